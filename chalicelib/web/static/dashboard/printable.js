// Server-rendered pages that need the agency token, shown in a tab of their own (today the
// printable consent record, GET /agency/addresses/{id}/consent-records?format=html).
//
// Why not a link: the route wants "Authorization: Bearer", which a link cannot send (the
// token is never a cookie or in a URL). So the page is fetched and shown in a new tab.
// Why not a Blob URL: a blob: or about:blank document inherits the dashboard's CSP
// (style-src 'self'), which refuses the page's inline <style>; it would be unstyled and log a
// CSP error. Instead the tab is opened at once (inside the click, so no pop-up blocker
// objects), the page's own markup goes into it without its <style>, and that CSS is applied as
// a constructed stylesheet (CSSOM, which CSP leaves to the page's trusted scripts). The tab
// keeps the dashboard's CSP: no script in the fetched page could run there.

import { api, text } from "/ui/common.js";

// A <style> element's text ends at the first "</style" (raw text); the server escapes "<" in
// everything it fills in, so each match is one of its own stylesheets.
const STYLE = /<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi;

/** Opens a tab now; returns null when the browser blocked it. */
export function openTab(waitingText) {
  const tab = window.open("", "_blank");
  if (!tab) return null;
  tab.document.title = waitingText;
  text(tab.document.body, waitingText);
  return tab;
}

/** Fetches the HTML page at path (with the token) and shows it in tab. */
export async function showInTab(tab, path) {
  const html = await api("GET", path, undefined, { accept: "text/html" });
  const css = [];
  const markup = html.replace(STYLE, (_, rules) => {
    css.push(rules);
    return "";
  });
  // A parsed, inert document: nothing in it runs or loads before it is moved into the tab.
  const parsed = new DOMParser().parseFromString(markup, "text/html");
  for (const script of parsed.querySelectorAll("script")) script.remove();
  const doc = tab.document;
  doc.replaceChild(doc.importNode(parsed.documentElement, true), doc.documentElement);
  const sheet = new tab.CSSStyleSheet();
  sheet.replaceSync(css.join("\n"));
  doc.adoptedStyleSheets = [sheet];
}
