// Building blocks shared by the dashboard's sections.

import { el, replace, ApiError, showError, showOk } from "/ui/common.js";
import { labelled } from "/dashboard/labels.js";

/** Fills main with a section: a focusable heading (focus moves there on navigation). */
export function page(main, title, ...children) {
  const heading = el("h2", { tabindex: "-1", id: "page-title" }, title);
  replace(main, heading, ...children);
  document.title = title + " – Makler-Dashboard";
  return heading;
}

export function badge(table, code) {
  const [label, kind] = labelled(table, code);
  return el("span", { class: "badge " + kind, "data-status": code || "" }, label);
}

export function message() {
  return el("div", { class: "message", hidden: true });
}

/** Runs an action with its button disabled, showing the result or the error in box. */
export async function act(button, box, action, success) {
  button.disabled = true;
  try {
    const result = await action();
    if (success) showOk(box, typeof success === "function" ? success(result) : success);
    return result;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) showError(box, error);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** Every page of a cursor-paged list (stops after maxPages as a safety net). */
export async function allPages(fetchPage, key, maxPages) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < (maxPages || 50); i += 1) {
    const data = await fetchPage(cursor);
    items.push(...(data[key] || []));
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return items;
}

export function table(caption, headers, rows) {
  return el("div", { class: "table-wrap" },
    el("table", {},
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows)));
}

export function fullName(item) {
  return [item.first_name, item.last_name].filter(Boolean).join(" ") || item.company || "–";
}

export function qs(value) {
  return encodeURIComponent(value);
}
