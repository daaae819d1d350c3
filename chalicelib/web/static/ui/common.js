// Shared helpers of the agency dashboard and the QA console (served as /ui/common.js).
//
// An ES module: load it with <script type="module" src="/your-page.js"> and
//   import { configure, api, signIn, el, ... } from "/ui/common.js";
// The pages run under a CSP without 'unsafe-inline': no inline scripts or styles, and
// every piece of data reaches the DOM through textContent (el(), text()), never innerHTML.
//
// Typical page:
//   configure({ tokenKey: "freigabe.qa", onUnauthorized: () => showSignIn() });
//   mountSignIn(root, { title: "QA-Konsole", check: "/qa/reviews?status=in_review",
//                        onSignedIn: start });
//   const data = await api("GET", "/qa/reviews?status=in_review");   // throws ApiError

const settings = {
  tokenKey: "freigabe.token",
  onUnauthorized: () => {},
};

/** Sets the sessionStorage key of the token and what happens on a 401. */
export function configure(options) {
  Object.assign(settings, options || {});
}

// -- the token ----------------------------------------------------------------------------
// sessionStorage, not a cookie: the browser never attaches it by itself (no CSRF surface),
// and it ends with the tab.

export function getToken() {
  try {
    return window.sessionStorage.getItem(settings.tokenKey);
  } catch (_) {
    return null;
  }
}

export function setToken(token) {
  window.sessionStorage.setItem(settings.tokenKey, token);
}

export function clearToken() {
  try {
    window.sessionStorage.removeItem(settings.tokenKey);
  } catch (_) {
    /* storage unavailable: nothing to clear */
  }
}

// -- API calls ----------------------------------------------------------------------------

const STATUS_MESSAGES = {
  0: "Der Server ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung.",
  400: "Die Anfrage war fehlerhaft.",
  401: "Ihre Anmeldung ist abgelaufen oder ungültig. Bitte melden Sie sich erneut an.",
  404: "Der Eintrag wurde nicht gefunden.",
  409: "Der Eintrag wurde inzwischen geändert. Bitte laden Sie die Ansicht neu.",
  410: "Dieser Vorgang ist nicht mehr möglich.",
  413: "Die Eingabe ist zu groß.",
  422: "Bitte prüfen Sie Ihre Eingaben.",
  429: "Zu viele Anfragen. Bitte versuchen Sie es gleich noch einmal.",
  503: "Der Dienst ist gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal.",
};

/** An answer outside 2xx, carrying the contract's envelope {"error": {code, message, fields}}. */
export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

function fallbackMessage(status) {
  return STATUS_MESSAGES[status] || "Ein unerwarteter Fehler ist aufgetreten (Status " + status + ").";
}

/**
 * Calls the API with the stored bearer token. Resolves with the parsed JSON body (or null;
 * the body as text with options.accept, e.g. "text/html"), rejects with an ApiError. A 401
 * clears the token and calls onUnauthorized (back to sign-in).
 */
export async function api(method, path, body, options) {
  const headers = { Accept: (options && options.accept) || "application/json" };
  const token = (options && options.token) || getToken();
  if (token) headers.Authorization = "Bearer " + token;
  const init = { method, headers, credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new ApiError(0, "network_error", fallbackMessage(0));
  }
  if (response.ok && options && options.accept) return response.text();
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("application/json")) {
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
  }
  if (response.ok) return data;
  const envelope = (data && data.error) || {};
  const error = new ApiError(response.status, envelope.code || "http_" + response.status,
    envelope.message || fallbackMessage(response.status), envelope.fields);
  if (response.status === 401 && !(options && options.token)) {
    clearToken();
    settings.onUnauthorized(error);
  }
  throw error;
}

// -- DOM helpers (textContent only) -------------------------------------------------------

/**
 * el("button", {class: "primary", type: "button", onclick: fn}, "Speichern", child, ...)
 * Attributes are set with setAttribute, "on*" keys become listeners, strings become text
 * nodes, null/false children are skipped: data can never turn into markup.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces the node's content with the given children. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function text(node, value) {
  node.textContent = value === null || value === undefined ? "" : String(value);
  return node;
}

let idCounter = 0;
/** A page-unique id for label/for pairs. */
export function uid(prefix) {
  idCounter += 1;
  return (prefix || "f") + "-" + idCounter;
}

/** A labelled input (or select/textarea): returns {wrap, input}. */
export function field(labelText, attrs, tag) {
  const id = (attrs && attrs.id) || uid(attrs && attrs.name);
  const input = el(tag || "input", { ...attrs, id });
  const wrap = el("div", { class: "field" }, el("label", { for: id }, labelText), input);
  return { wrap, input };
}

/** A labelled checkbox: returns {wrap, input}. */
export function checkbox(labelText, attrs) {
  const id = (attrs && attrs.id) || uid(attrs && attrs.name);
  const input = el("input", { type: "checkbox", ...attrs, id });
  const wrap = el("div", { class: "checkbox" }, input, el("label", { for: id }, labelText));
  return { wrap, input };
}

// -- messages -----------------------------------------------------------------------------

/** Shows an error (ApiError or any Error) in German inside box, with the per-field reasons. */
export function showError(box, error, fieldLabels) {
  const message = error instanceof ApiError ? error.message
    : "Ein unerwarteter Fehler ist aufgetreten.";
  const items = Object.entries((error && error.fields) || {}).map(([name, why]) =>
    el("li", {}, ((fieldLabels && fieldLabels[name]) || name) + ": " + why));
  box.className = "notice error";
  box.setAttribute("role", "alert");
  replace(box, el("p", { class: "error-message" }, message), items.length ? el("ul", {}, items) : null);
  box.hidden = false;
  return box;
}

/** Shows a success message inside box (announced politely to screen readers). */
export function showOk(box, message) {
  box.className = "notice ok";
  box.setAttribute("role", "status");
  replace(box, message);
  box.hidden = false;
  return box;
}

export function hideMessage(box) {
  box.hidden = true;
  box.replaceChildren();
}

/**
 * Marks the inputs of a form named in a 422's fields as invalid (aria-invalid) and puts the
 * German reason right under each one (tied to it by aria-describedby, so a screen reader reads
 * it with the field). Clears the previous marks; returns the form's first invalid input (or
 * null), to move the focus there.
 */
export function markInvalid(form, error) {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const note of form.querySelectorAll(".field-error")) {
    for (const input of form.querySelectorAll('[aria-describedby~="' + note.id + '"]')) {
      const rest = input.getAttribute("aria-describedby").split(" ").filter((id) => id && id !== note.id);
      if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
      else input.removeAttribute("aria-describedby");
    }
    note.remove();
  }
  for (const [name, why] of Object.entries((error && error.fields) || {})) {
    const input = form.querySelector('[name="' + CSS.escape(name) + '"]');
    if (!input) continue;
    input.setAttribute("aria-invalid", "true");
    const note = el("p", { class: "field-error", id: uid("error") }, why);
    const wrap = input.closest(".field, .checkbox");
    if (wrap) wrap.append(note);
    else input.after(note);
    input.setAttribute("aria-describedby",
      [input.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
  }
  return form.querySelector('[aria-invalid="true"]');
}

// -- dates --------------------------------------------------------------------------------

const DATE_TIME = new Intl.DateTimeFormat("de-DE", {
  timeZone: "Europe/Berlin", day: "2-digit", month: "2-digit", year: "numeric",
  hour: "2-digit", minute: "2-digit",
});
const DATE = new Intl.DateTimeFormat("de-DE", {
  timeZone: "Europe/Berlin", day: "2-digit", month: "2-digit", year: "numeric",
});

/** "2026-11-23T09:00:00Z" → "23.11.2026, 10:00" (Berlin time); "" for empty input. */
export function formatDateTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : DATE_TIME.format(date);
}

/** A calendar date "2026-11-23" (or a timestamp) → "23.11.2026". */
export function formatDate(value) {
  if (!value) return "";
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
  if (match) return match[3] + "." + match[2] + "." + match[1];
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : DATE.format(date);
}

/** True when the timestamp or date lies before now. */
export function isPast(value, now) {
  if (!value) return false;
  const time = new Date(value).getTime();
  return !Number.isNaN(time) && time < (now || Date.now());
}

// -- dialogs ------------------------------------------------------------------------------

/**
 * A modal confirmation (<dialog>, focus trapped by the browser, Escape cancels).
 * Resolves true only when the confirm button was pressed.
 */
export function confirmDialog(title, message, confirmLabel, danger) {
  return new Promise((resolve) => {
    const titleId = uid("dialog-title");
    const cancel = el("button", { type: "button", class: "cancel" }, "Abbrechen");
    const confirm = el("button", { type: "button", class: danger ? "danger confirm" : "primary confirm" },
      confirmLabel);
    const dialog = el("dialog", { "aria-labelledby": titleId },
      el("h2", { id: titleId }, title), el("p", {}, message), el("div", { class: "actions" }, cancel, confirm));
    let result = false;
    cancel.addEventListener("click", () => dialog.close());
    confirm.addEventListener("click", () => { result = true; dialog.close(); });
    dialog.addEventListener("close", () => { dialog.remove(); resolve(result); });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

// -- sign-in ------------------------------------------------------------------------------

/**
 * Renders the sign-in form into root. The token is checked with a GET of options.check
 * before it is kept; then options.onSignedIn() runs.
 */
export function mountSignIn(root, options) {
  const message = el("div", { hidden: true });
  const token = field("Zugangstoken", {
    type: "password", name: "token", autocomplete: "current-password", required: true,
    spellcheck: "false",
  });
  const submit = el("button", { type: "submit", class: "primary" }, "Anmelden");
  const form = el("form", { class: "card signin", "aria-labelledby": "signin-title", novalidate: true },
    el("h2", { id: "signin-title" }, options.title || "Anmelden"),
    options.hint ? el("p", { class: "muted" }, options.hint) : null,
    message, token.wrap, el("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = token.input.value.trim();
    if (!value) {
      token.input.setAttribute("aria-invalid", "true");
      showError(message, new ApiError(422, "validation_failed", "Bitte geben Sie Ihr Zugangstoken ein."));
      token.input.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api("GET", options.check, undefined, { token: value });
      setToken(value);
      options.onSignedIn();
    } catch (error) {
      token.input.setAttribute("aria-invalid", "true");
      showError(message, error.status === 401
        ? new ApiError(401, "unauthorized", "Dieses Zugangstoken ist ungültig.") : error);
      token.input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, form);
  token.input.focus();
  return form;
}
