/* freigabe embed v1: protected viewpoints with registration for 360° tour players.
 * Usage: <script src="https://<stack>/embed/v1.js"></script>
 *        Freigabe.init({tourId: "..."}).then(() => { ... Freigabe.isProtected(id) ...
 *        Freigabe.requestAccess(id).then(enterViewpoint) });
 * No dependencies; works in every current browser. */
(function (window, document) {
  "use strict";
  if (window.Freigabe) { return; }

  var script = document.currentScript;
  var scriptOrigin = script && script.src ? new URL(script.src, window.location.href).origin : "";
  var LABELS = {
    first_name: "Vorname", last_name: "Nachname", email: "E-Mail-Adresse", phone: "Telefon",
    street: "Straße und Hausnummer", zip: "PLZ", city: "Ort", message: "Nachricht"
  };
  var TYPES = { email: "email", phone: "tel" };
  var AUTOCOMPLETE = {
    first_name: "given-name", last_name: "family-name", email: "email", phone: "tel",
    street: "street-address", zip: "postal-code", city: "address-level2"
  };
  var FIELD_ORDER = ["first_name", "last_name", "email", "phone", "street", "zip", "city", "message"];

  var state = {
    baseUrl: "", tourId: null, protection: null, status: "locked", waiters: [],
    polling: null, modal: null, privacyUrl: null
  };

  function storageKey() { return "freigabe:" + state.tourId; }
  function readToken() {
    try { return window.localStorage.getItem(storageKey()); } catch (e) { return null; }
  }
  function writeToken(token) {
    try { window.localStorage.setItem(storageKey(), token); } catch (e) { /* private mode */ }
  }

  function api(path, options) {
    options = options || {};
    // Content-Type only with a body: a bare GET of /protection then needs no CORS preflight.
    var headers = options.body ? { "Content-Type": "application/json" } : {};
    var token = readToken();
    if (token) { headers["X-Viewer-Token"] = token; }
    return window.fetch(state.baseUrl + path, {
      method: options.method || "GET", headers: headers, credentials: "omit",
      body: options.body ? JSON.stringify(options.body) : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: response.status, data: data, headers: response.headers };
      });
    });
  }

  function tokenFromUrl() {
    var match = /[#&]freigabe=([A-Za-z0-9._-]+)/.exec(window.location.hash || "");
    if (!match) { return null; }
    // Keep the token out of the address bar (screenshots, shared links).
    var rest = window.location.hash.replace(match[0], "").replace(/^#&?/, "");
    try {
      window.history.replaceState(null, "", window.location.pathname + window.location.search +
        (rest ? "#" + rest : ""));
    } catch (e) { /* ignore */ }
    return match[1];
  }

  function settle() {
    if (state.status !== "unlocked") { return; }
    var waiters = state.waiters;
    state.waiters = [];
    closeModal();
    waiters.forEach(function (w) { w.resolve(true); });
  }

  function refreshAccess() {
    return api("/tours/" + encodeURIComponent(state.tourId) + "/access").then(function (r) {
      if (r.status === 200 && r.data) {
        state.status = r.data.status;
        state.protection.protected_viewpoints = r.data.protected_viewpoints || [];
      }
      settle();
      return state.status;
    });
  }

  function poll() {
    if (state.polling) { return; }
    var delay = 3000;
    function tick() {
      refreshAccess().then(function (status) {
        renderStatus();
        if (status === "pending_email" || status === "pending_approval") {
          delay = Math.min(delay * 1.5, 60000);
          state.polling = window.setTimeout(tick, delay);
        } else {
          state.polling = null;
        }
      }, function () {
        delay = Math.min(delay * 2, 60000);
        state.polling = window.setTimeout(tick, delay);
      });
    }
    state.polling = window.setTimeout(tick, delay);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  var STYLE = ".fg-backdrop{position:fixed;inset:0;background:rgba(15,23,42,.55);display:flex;" +
    "align-items:center;justify-content:center;z-index:2147483000;font-family:system-ui,-apple-system," +
    "'Segoe UI',Roboto,Arial,sans-serif}.fg-dialog{background:#fff;color:#1f2933;border-radius:10px;" +
    "max-width:440px;width:calc(100% - 32px);max-height:calc(100% - 32px);overflow:auto;padding:20px;" +
    "box-shadow:0 10px 30px rgba(0,0,0,.25)}.fg-dialog h2{font-size:1.25rem;margin:0 0 8px}" +
    ".fg-dialog label{display:block;font-weight:600;margin:10px 0 4px}.fg-dialog input[type=text]," +
    ".fg-dialog input[type=email],.fg-dialog input[type=tel],.fg-dialog textarea{width:100%;" +
    "box-sizing:border-box;padding:9px;border:1px solid #9aa5b1;border-radius:6px;font:inherit}" +
    ".fg-check{display:flex;gap:8px;align-items:flex-start;margin-top:12px}.fg-check label{font-weight:400;margin:0}" +
    ".fg-error{color:#c62828;font-size:.9rem;margin-top:2px}.fg-actions{display:flex;gap:8px;margin-top:16px}" +
    ".fg-actions button{flex:1;padding:11px;border-radius:6px;border:0;font:inherit;font-weight:600;cursor:pointer}" +
    ".fg-primary{background:#1f6feb;color:#fff}.fg-secondary{background:#e4e7eb;color:#1f2933}" +
    ".fg-status{padding:12px;border-radius:6px;background:#eef4ff;margin-top:8px}";

  function closeModal() {
    if (state.modal) {
      state.modal.remove();
      state.modal = null;
      if (state.lastFocus && state.lastFocus.focus) { state.lastFocus.focus(); }
    }
  }

  function cancelWaiters() {
    var waiters = state.waiters;
    state.waiters = [];
    closeModal();
    waiters.forEach(function (w) { w.reject(new Error("cancelled")); });
  }

  function openModal(content, titleId) {
    closeModal();
    state.lastFocus = document.activeElement;
    if (!document.getElementById("fg-style")) {
      document.head.appendChild(el("style", { id: "fg-style", text: STYLE }));
    }
    var dialog = el("div", { "class": "fg-dialog", role: "dialog", "aria-modal": "true",
      "aria-labelledby": titleId }, [content]);
    var backdrop = el("div", { "class": "fg-backdrop" }, [dialog]);
    backdrop.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { cancelWaiters(); }
      if (event.key === "Tab") {  // keep focus inside the dialog
        var focusable = dialog.querySelectorAll("input,textarea,button,a[href]");
        if (!focusable.length) { return; }
        var first = focusable[0], last = focusable[focusable.length - 1];
        if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
        else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
      }
    });
    document.body.appendChild(backdrop);
    state.modal = backdrop;
    var target = dialog.querySelector("input,textarea,button");
    if (target) { target.focus(); }
  }

  var STATUS_TEXT = {
    pending_email: ["Bitte prüfen Sie Ihr E-Mail-Postfach",
      "Wir haben Ihnen einen Link zur Freischaltung geschickt. Ein Klick darauf öffnet den vollständigen Rundgang."],
    pending_approval: ["Ihre Anfrage wird geprüft",
      "Der Makler prüft Ihre Anfrage persönlich. Sobald der Zugang freigegeben ist, erhalten Sie eine E-Mail."],
    denied: ["Zugang nicht möglich",
      "Der Zugang zu diesem Bereich des Rundgangs wurde leider nicht freigegeben. Bei Fragen wenden Sie sich bitte an den Makler."]
  };

  function renderStatus() {
    var text = STATUS_TEXT[state.status];
    if (!text || !state.waiters.length) { return; }
    var close = el("button", { type: "button", "class": "fg-secondary", text: "Schließen" });
    close.addEventListener("click", cancelWaiters);
    openModal(el("div", {}, [
      el("h2", { id: "fg-title", text: text[0] }),
      el("p", { "class": "fg-status", role: "status", text: text[1] }),
      el("div", { "class": "fg-actions" }, [close])
    ]), "fg-title");
  }

  // The API's German message for a field, right after its input and tied to it for screen readers.
  function appendError(form, input, message) {
    if (!message) { return; }
    var id = input.id + "-error";
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    form.appendChild(el("div", { id: id, "class": "fg-error", text: message }));
  }

  function renderForm(errors, values) {
    errors = errors || {};
    values = values || {};
    var required = state.protection.required_fields || ["email"];
    var fields = FIELD_ORDER.filter(function (name) {
      return required.indexOf(name) >= 0 || name === "message";
    });
    var form = el("form", { novalidate: "novalidate" });
    form.appendChild(el("h2", { id: "fg-title", text: "Registrierung für den Rundgang" }));
    form.appendChild(el("p", { text: "Dieser Bereich ist geschützt. Bitte registrieren Sie sich, um ihn anzusehen." }));
    fields.forEach(function (name) {
      var isRequired = required.indexOf(name) >= 0;
      var id = "fg-" + name;
      var input = name === "message"
        ? el("textarea", { id: id, name: name, rows: "3", maxlength: "2000" })
        : el("input", { id: id, name: name, type: TYPES[name] || "text",
            autocomplete: AUTOCOMPLETE[name] || "off", maxlength: name === "street" ? "200" : "100" });
      if (isRequired) { input.setAttribute("required", "required"); input.setAttribute("aria-required", "true"); }
      if (values[name]) { input.value = values[name]; }
      form.appendChild(el("label", { "for": id, text: LABELS[name] + (isRequired ? " *" : " (optional)") }));
      form.appendChild(input);
      appendError(form, input, errors[name]);
    });
    var privacy = el("input", { id: "fg-privacy_accepted", name: "privacy_accepted", type: "checkbox",
      required: "required" });
    if (values.privacy_accepted) { privacy.checked = true; }
    var privacyLabel = el("label", { "for": "fg-privacy_accepted" });
    privacyLabel.appendChild(document.createTextNode("Ich habe die "));
    var privacyLink = el("a", { href: state.privacyUrl || "#", target: "_blank", rel: "noopener",
      text: "Datenschutzerklärung" });
    privacyLabel.appendChild(privacyLink);
    privacyLabel.appendChild(document.createTextNode(" gelesen und stimme der Verarbeitung meiner Angaben zu. *"));
    form.appendChild(el("div", { "class": "fg-check" }, [privacy, privacyLabel]));
    appendError(form, privacy, errors.privacy_accepted);
    if (errors._form) { form.appendChild(el("div", { "class": "fg-error", role: "alert", text: errors._form })); }
    var submit = el("button", { type: "submit", "class": "fg-primary", text: "Zugang anfordern" });
    var cancel = el("button", { type: "button", "class": "fg-secondary", text: "Abbrechen" });
    cancel.addEventListener("click", cancelWaiters);
    form.appendChild(el("div", { "class": "fg-actions" }, [cancel, submit]));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { privacy_accepted: privacy.checked };
      var entered = { privacy_accepted: privacy.checked };
      fields.forEach(function (name) {
        var value = form.elements[name].value.trim();
        entered[name] = value;
        if (value) { body[name] = value; }
      });
      submit.disabled = true;
      register(body).then(null, function (failure) {
        renderForm(failure.fields || { _form: failure.message }, entered);
      });
    });
    openModal(form, "fg-title");
  }

  function register(body) {
    return api("/tours/" + encodeURIComponent(state.tourId) + "/registrations",
      { method: "POST", body: body }).then(function (r) {
      if (r.status === 202 && r.data) {
        writeToken(r.data.viewer_token);
        state.status = r.data.status;
        renderStatus();
        poll();
        return r.data;
      }
      var error = (r.data && r.data.error) || {};
      var message = error.message || "Die Registrierung ist fehlgeschlagen. Bitte versuchen Sie es erneut.";
      if (r.status === 429) {
        message = "Zu viele Versuche. Bitte versuchen Sie es später erneut.";
      }
      throw { fields: error.fields ? error.fields : { _form: message }, message: message };
    }, function () {
      throw { message: "Keine Verbindung. Bitte prüfen Sie Ihre Internetverbindung." };
    });
  }

  var Freigabe = {
    init: function (options) {
      options = options || {};
      if (!options.tourId) { return Promise.reject(new Error("tourId fehlt")); }
      state.tourId = String(options.tourId);
      state.baseUrl = String(options.baseUrl || scriptOrigin || "").replace(/\/+$/, "");
      state.privacyUrl = options.privacyUrl || null;
      var fromUrl = tokenFromUrl();
      if (fromUrl) { writeToken(fromUrl); }
      return api("/tours/" + encodeURIComponent(state.tourId) + "/protection").then(function (r) {
        if (r.status !== 200 || !r.data) { throw new Error("Rundgang nicht gefunden"); }
        state.protection = r.data;
        return refreshAccess();
      }).then(function (status) {
        if (status === "pending_email" || status === "pending_approval") { poll(); }
        return { status: status, protected_viewpoints: state.protection.protected_viewpoints };
      });
    },
    isProtected: function (viewpointId) {
      if (!state.protection || state.protection.mode === "off") { return false; }
      return (state.protection.protected_viewpoints || []).indexOf(String(viewpointId)) >= 0;
    },
    status: function () { return state.status; },
    requestAccess: function (viewpointId) {
      if (!Freigabe.isProtected(viewpointId) || state.status === "unlocked") {
        return Promise.resolve(true);
      }
      return new Promise(function (resolve, reject) {
        state.waiters.push({ resolve: resolve, reject: reject });
        if (state.status === "locked") { renderForm(); } else { renderStatus(); poll(); }
      });
    }
  };
  window.Freigabe = Freigabe;
})(window, document);
