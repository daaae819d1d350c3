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

// -- the session ---------------------------------------------------------------------------
// People sign in with e-mail and password (POST /auth/sign-in). The short-lived id token
// (1 hour) lives in sessionStorage: per tab, gone with it, never attached by the browser
// on its own (no cookie, no CSRF surface). The refresh token lives in localStorage, so a
// new tab or a reload continues the session without a new sign-in. It is readable by
// script on this origin, which is acceptable here because the pages run under a strict
// CSP (script-src 'self', no inline script, no third-party code) and put every piece of
// data into the DOM through textContent; sign-out revokes it server-side (global
// sign-out) and removes it in every tab (the storage event).

function idKey() { return settings.tokenKey + ".id"; }
function refreshKey() { return settings.tokenKey + ".refresh"; }

export function getToken() {
  try {
    return window.sessionStorage.getItem(idKey());
  } catch (_) {
    return null;
  }
}

/** Keeps the tokens of a sign-in or refresh answer. */
export function setSession(tokens) {
  window.sessionStorage.setItem(idKey(), tokens.id_token);
  if (tokens.refresh_token) window.localStorage.setItem(refreshKey(), tokens.refresh_token);
}

export function clearToken() {
  try {
    window.sessionStorage.removeItem(idKey());
    window.localStorage.removeItem(refreshKey());
  } catch (_) {
    /* storage unavailable: nothing to clear */
  }
}

function refreshToken() {
  try {
    return window.localStorage.getItem(refreshKey());
  } catch (_) {
    return null;
  }
}

let refreshing = null;

/** A fresh id token from the refresh token (one request at a time); false if none. */
async function refreshSession() {
  const token = refreshToken();
  if (!token) return false;
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const tokens = await publicPost("/auth/refresh", { refresh_token: token });
        setSession(tokens);
        return true;
      } catch (_) {
        clearToken();
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

/** True when this tab has a session (kept, or continued with the refresh token). */
export async function ensureSession() {
  return Boolean(getToken()) || refreshSession();
}

/** Ends every session of the person (server-side) and forgets the tokens here. */
export async function signOutEverywhere() {
  const token = getToken();
  clearToken();
  if (token) {
    try {
      await fetch("/auth/sign-out", { method: "POST", credentials: "omit", cache: "no-store",
        headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" } });
    } catch (_) {
      /* offline: the tokens here are gone all the same */
    }
  }
}

// Another tab signed out: this one follows.
window.addEventListener("storage", (event) => {
  if (event.key === refreshKey() && !event.newValue) {
    try { window.sessionStorage.removeItem(idKey()); } catch (_) { /* nothing to clear */ }
    settings.onUnauthorized(new ApiError(401, "signed_out", "Sie wurden abgemeldet."));
  }
});

/** A POST without the bearer (the /auth routes). */
function publicPost(path, body) {
  return call("POST", path, body, { anonymous: true });
}

// -- API calls ----------------------------------------------------------------------------

const STATUS_MESSAGES = {
  0: "Der Server ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung.",
  400: "Die Anfrage war fehlerhaft.",
  401: "Ihre Anmeldung ist abgelaufen oder ungültig. Bitte melden Sie sich erneut an.",
  403: "Ihre Rolle erlaubt diese Aktion nicht.",
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
  try {
    return await call(method, path, body, options);
  } catch (error) {
    // An expired id token: continue with the refresh token once, then ask again.
    if (error.status === 401 && error.code !== "role_forbidden" && !(options && options.token)
        && await refreshSession()) {
      return call(method, path, body, options);
    }
    if (error.status === 401 && !(options && options.token)) {
      clearToken();
      settings.onUnauthorized(error);
    }
    throw error;
  }
}

async function call(method, path, body, options) {
  const headers = { Accept: (options && options.accept) || "application/json" };
  const token = options && options.anonymous ? null : (options && options.token) || getToken();
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
  throw new ApiError(response.status, envelope.code || "http_" + response.status,
    envelope.message || fallbackMessage(response.status), envelope.fields);
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
 * Renders the sign-in into root: e-mail and password; the new password a temporary one
 * asks for; "Passwort vergessen?" with the mailed code. Once signed in, the tokens are kept
 * and options.onSignedIn() runs (the page's hash, e.g. a deep link from a mail, is left
 * alone, so the page lands where the link pointed).
 */
export function mountSignIn(root, options) {
  const message = el("div", { hidden: true });
  const email = field("E-Mail-Adresse", { type: "email", name: "email", autocomplete: "username",
    required: true, spellcheck: "false" });
  const password = field("Passwort", { type: "password", name: "password",
    autocomplete: "current-password", required: true });
  const submit = el("button", { type: "submit", class: "primary" }, "Anmelden");
  const forgot = el("button", { type: "button", class: "link", id: "forgot-password" },
    "Passwort vergessen?");
  const form = el("form", { class: "card signin", "aria-labelledby": "signin-title", novalidate: true },
    el("h2", { id: "signin-title" }, options.title || "Anmelden"),
    options.hint ? el("p", { class: "muted" }, options.hint) : null,
    message, email.wrap, password.wrap, el("div", { class: "actions" }, submit, forgot));
  if (options.notice) showOk(message, options.notice);
  if (options.email) email.input.value = options.email;
  forgot.addEventListener("click", () => mountForgot(root, options, email.input.value.trim()));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { email: email.input.value.trim(), password: password.input.value };
    if (!body.email || !body.password) {
      showError(message, new ApiError(422, "validation_failed",
        "Bitte geben Sie E-Mail-Adresse und Passwort ein."));
      (body.email ? password : email).input.focus();
      return;
    }
    submit.disabled = true;
    try {
      const answer = await publicPost("/auth/sign-in", body);
      if (answer.challenge === "NEW_PASSWORD_REQUIRED") {
        mountNewPassword(root, options, answer.session);
        return;
      }
      await signedIn(answer, options, message);
    } catch (error) {
      password.input.setAttribute("aria-invalid", "true");
      showError(message, error, { email: "E-Mail-Adresse", password: "Passwort" });
      password.input.value = "";
      password.input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, form);
  (options.email ? password : email).input.focus();
  return form;
}

async function signedIn(tokens, options, message) {
  setSession(tokens);
  if (options.check) {
    try {
      await call("GET", options.check);
    } catch (error) {
      clearToken();
      showError(message, error.status === 401
        ? new ApiError(401, "wrong_area", options.wrongArea
          || "Mit diesem Konto können Sie sich hier nicht anmelden.") : error);
      return;
    }
  }
  options.onSignedIn();
}

function passwordFields() {
  const first = field("Neues Passwort", { type: "password", name: "new_password",
    autocomplete: "new-password", required: true, minlength: "12" });
  const again = field("Neues Passwort wiederholen", { type: "password", name: "repeat",
    autocomplete: "new-password", required: true });
  const rules = el("p", { class: "muted small" },
    "Mindestens 12 Zeichen mit Groß- und Kleinbuchstaben, einer Ziffer und einem Sonderzeichen.");
  return { first, again, rules };
}

function samePasswords(fields, message) {
  if (fields.first.input.value !== fields.again.input.value) {
    fields.again.input.setAttribute("aria-invalid", "true");
    showError(message, new ApiError(422, "validation_failed", "Die Passwörter stimmen nicht überein."));
    fields.again.input.focus();
    return false;
  }
  return true;
}

function mountNewPassword(root, options, session) {
  const message = el("div", { hidden: true });
  const fields = passwordFields();
  const submit = el("button", { type: "submit", class: "primary" }, "Passwort festlegen");
  const form = el("form", { class: "card signin", "aria-labelledby": "newpw-title", novalidate: true },
    el("h2", { id: "newpw-title" }, "Eigenes Passwort festlegen"),
    el("p", { class: "muted" }, "Sie melden sich zum ersten Mal an. Bitte ersetzen Sie das "
      + "vorläufige Passwort aus der Einladung durch ein eigenes."),
    message, fields.first.wrap, fields.again.wrap, fields.rules,
    el("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!samePasswords(fields, message)) return;
    submit.disabled = true;
    try {
      const answer = await publicPost("/auth/challenge",
        { session, new_password: fields.first.input.value });
      await signedIn(answer, options, message);
    } catch (error) {
      if (error.fields && error.fields.session) {
        mountSignIn(root, { ...options, notice: undefined });
        return;
      }
      markInvalid(form, error);
      showError(message, error, { new_password: "Neues Passwort" });
      fields.first.input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, form);
  fields.first.input.focus();
}

function mountForgot(root, options, knownEmail) {
  const message = el("div", { hidden: true });
  const email = field("E-Mail-Adresse", { type: "email", name: "email", autocomplete: "username",
    required: true });
  email.input.value = knownEmail || "";
  const send = el("button", { type: "submit", class: "primary" }, "Code anfordern");
  const back = el("button", { type: "button", class: "link" }, "Zurück zur Anmeldung");
  back.addEventListener("click", () => mountSignIn(root, options));
  const form = el("form", { class: "card signin", "aria-labelledby": "forgot-title", novalidate: true },
    el("h2", { id: "forgot-title" }, "Passwort vergessen"),
    el("p", { class: "muted" }, "Wir senden Ihnen einen Code per E-Mail. Er gilt eine Stunde."),
    message, email.wrap, el("div", { class: "actions" }, send, back));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    send.disabled = true;
    try {
      await publicPost("/auth/forgot-password", { email: email.input.value.trim() });
      mountReset(root, options, email.input.value.trim());
    } catch (error) {
      markInvalid(form, error);
      showError(message, error, { email: "E-Mail-Adresse" });
    } finally {
      send.disabled = false;
    }
  });
  replace(root, form);
  email.input.focus();
}

function mountReset(root, options, email) {
  const message = el("div", { hidden: true });
  showOk(message, "Falls zu " + email + " ein Konto besteht, ist der Code jetzt unterwegs.");
  const code = field("Code aus der E-Mail", { type: "text", name: "code", inputmode: "numeric",
    autocomplete: "one-time-code", required: true });
  const fields = passwordFields();
  const submit = el("button", { type: "submit", class: "primary" }, "Passwort ändern");
  const back = el("button", { type: "button", class: "link" }, "Zurück zur Anmeldung");
  back.addEventListener("click", () => mountSignIn(root, { ...options, email }));
  const form = el("form", { class: "card signin", "aria-labelledby": "reset-title", novalidate: true },
    el("h2", { id: "reset-title" }, "Passwort zurücksetzen"),
    message, code.wrap, fields.first.wrap, fields.again.wrap, fields.rules,
    el("div", { class: "actions" }, submit, back));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!samePasswords(fields, message)) return;
    submit.disabled = true;
    try {
      await publicPost("/auth/reset-password", { email, code: code.input.value.trim(),
        new_password: fields.first.input.value });
      mountSignIn(root, { ...options, email,
        notice: "Ihr Passwort ist geändert. Bitte melden Sie sich mit dem neuen Passwort an." });
    } catch (error) {
      markInvalid(form, error);
      showError(message, error, { code: "Code", new_password: "Neues Passwort" });
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, form);
  code.input.focus();
}
