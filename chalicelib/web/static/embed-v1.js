/* freigabe embed v1: protected viewpoints with registration for 360° tour players.
 * Usage: <script src="https://<stack>/embed/v1.js"></script>
 *        Freigabe.init({tourId: "...", container: playerElement}).then(function (info) {
 *          // info.viewpointId: where the prospect wanted to go (after the unlock mail)
 *        });
 *        Freigabe.requestAccess(id).then(enterViewpoint, stayOutside);
 *        Freigabe.mediaUrl(id).then(loadPanorama); Freigabe.viewpointShown(id);
 * The integrator's guide (API, events, CSS custom properties) is in the README.
 * No dependencies; works in every current browser. Fails closed: when the API cannot be
 * reached, protected viewpoints stay closed. */
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
  var INIT_WAIT_MS = 10000;
  var FLUSH_MS = 30000;
  var MAX_EVENTS = 50;

  var state = {
    baseUrl: "", tourId: null, protection: null, status: "locked", waiters: [],
    polling: null, modal: null, privacyUrl: null, container: null, failed: false,
    fallback: null, initPromise: null, initWaiters: [], askedViewpoint: null,
    handlers: {}, queue: [], showing: null, flushTimer: null
  };

  function storageKey() { return "freigabe:" + state.tourId; }
  function readToken() {
    try { return window.localStorage.getItem(storageKey()); } catch (e) { return null; }
  }
  function writeToken(token) {
    try { window.localStorage.setItem(storageKey(), token); } catch (e) { /* private mode */ }
  }
  function dropToken() {
    try { window.localStorage.removeItem(storageKey()); } catch (e) { /* private mode */ }
  }

  function failure(reason, message) {
    var error = new Error(message || reason);
    error.reason = reason;
    return error;
  }

  // -- events ------------------------------------------------------------------------------
  function emit(type, detail) {
    (state.handlers[type] || []).slice().forEach(function (handler) {
      try { handler(detail || {}); } catch (e) {
        window.setTimeout(function () { throw e; }, 0);  // the page's bug, not ours
      }
    });
  }
  function setStatus(status) {
    if (status === state.status) { return; }
    var before = state.status;
    state.status = status;
    emit("statuschange", { status: status });
    if (status === "unlocked" && before !== "unlocked") {
      emit("unlocked", { viewpointId: state.askedViewpoint });
    }
  }

  function api(path, options) {
    options = options || {};
    // Content-Type only with a body: a bare GET of /protection then needs no CORS preflight.
    var headers = options.body ? { "Content-Type": "application/json" } : {};
    var token = readToken();
    if (token) { headers["X-Viewer-Token"] = token; }
    return window.fetch(state.baseUrl + path, {
      method: options.method || "GET", headers: headers, credentials: "omit",
      keepalive: !!options.keepalive,
      body: options.body ? JSON.stringify(options.body) : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: response.status, data: data, headers: response.headers };
      });
    });
  }
  function tourPath(rest) { return "/tours/" + encodeURIComponent(state.tourId) + rest; }

  // #freigabe=<token>&ansicht=<viewpoint> from the unlock mail's way back into the tour.
  function fromUrl() {
    var hash = window.location.hash || "";
    var token = /[#&]freigabe=([A-Za-z0-9._-]+)/.exec(hash);
    var view = /[#&]ansicht=([^&]+)/.exec(hash);
    if (!token && !view) { return {}; }
    // Keep the token out of the address bar (screenshots, shared links).
    var rest = hash.replace(/^#/, "").split("&").filter(function (part) {
      return part && !/^(freigabe|ansicht)=/.test(part);
    }).join("&");
    try {
      window.history.replaceState(null, "", window.location.pathname + window.location.search +
        (rest ? "#" + rest : ""));
    } catch (e) { /* ignore */ }
    var viewpoint = null;
    if (view) { try { viewpoint = decodeURIComponent(view[1]); } catch (e) { viewpoint = null; } }
    return { token: token ? token[1] : null, viewpoint: viewpoint };
  }

  function settle() {
    if (state.status !== "unlocked") { return; }
    var waiters = state.waiters;
    state.waiters = [];
    closeModal();
    waiters.forEach(function (w) { w.resolve(true); });
  }

  function refreshAccess() {
    return api(tourPath("/access")).then(function (r) {
      if (r.status === 200 && r.data) {
        state.protection.protected_viewpoints = r.data.protected_viewpoints || [];
        setStatus(r.data.status);
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

  // Styling: the page may set these custom properties on any ancestor of the container.
  var STYLE = ".fg-backdrop{position:fixed;inset:0;background:var(--freigabe-backdrop,rgba(15,23,42,.55));" +
    "display:flex;align-items:center;justify-content:center;z-index:var(--freigabe-z-index,2147483000);" +
    "font-family:var(--freigabe-font,system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif)}" +
    ".fg-dialog{background:var(--freigabe-background,#fff);color:var(--freigabe-text,#1f2933);" +
    "border-radius:var(--freigabe-radius,10px);max-width:440px;width:calc(100% - 32px);" +
    "max-height:calc(100% - 32px);overflow:auto;padding:20px;box-sizing:border-box;" +
    "box-shadow:0 10px 30px rgba(0,0,0,.25);text-align:left;font-size:16px;line-height:1.4}" +
    ".fg-dialog h2{font-size:1.25rem;margin:0 0 8px}.fg-dialog a{color:var(--freigabe-accent,#1f6feb)}" +
    ".fg-dialog label{display:block;font-weight:600;margin:10px 0 4px}.fg-dialog input[type=text]," +
    ".fg-dialog input[type=email],.fg-dialog input[type=tel],.fg-dialog textarea{width:100%;" +
    "box-sizing:border-box;padding:9px;border:1px solid #9aa5b1;border-radius:6px;font:inherit;" +
    "background:#fff;color:#1f2933}" +
    ".fg-check{display:flex;gap:8px;align-items:flex-start;margin-top:12px}.fg-check label{font-weight:400;margin:0}" +
    ".fg-error{color:var(--freigabe-error,#c62828);font-size:.9rem;margin-top:2px}" +
    ".fg-actions{display:flex;gap:8px;margin-top:16px}" +
    ".fg-actions button{flex:1;padding:11px;border-radius:6px;border:0;font:inherit;font-weight:600;cursor:pointer}" +
    ".fg-primary{background:var(--freigabe-accent,#1f6feb);color:var(--freigabe-accent-text,#fff)}" +
    ".fg-secondary{background:#e4e7eb;color:#1f2933}" +
    ".fg-status{padding:12px;border-radius:6px;background:#eef4ff;margin-top:8px}" +
    ".fg-dialog :focus-visible{outline:3px solid var(--freigabe-accent,#1f6feb);outline-offset:2px}";

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
    if (waiters.length) { emit("cancel", {}); }
    waiters.forEach(function (w) { w.reject(failure("cancel", "cancelled")); });
  }

  // The dialog lives in the player's own element (or whatever is fullscreen now): outside
  // document.fullscreenElement nothing would be visible.
  function mountPoint() {
    var full = document.fullscreenElement || document.webkitFullscreenElement;
    var container = state.container;
    if (full && !(container && full.contains(container))) { return full; }
    return container || document.body;
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
      event.stopPropagation();  // the player's own keyboard controls stay out of the form
      if (event.key === "Escape") { cancelWaiters(); }
      if (event.key === "Tab") {  // keep focus inside the dialog
        var focusable = dialog.querySelectorAll("input,textarea,button,a[href]");
        if (!focusable.length) { return; }
        var first = focusable[0], last = focusable[focusable.length - 1];
        if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
        else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
      }
    });
    ["pointerdown", "mousedown", "touchstart", "wheel"].forEach(function (type) {
      backdrop.addEventListener(type, function (event) { event.stopPropagation(); });
    });
    mountPoint().appendChild(backdrop);
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
      "Der Zugang zu diesem Bereich des Rundgangs wurde leider nicht freigegeben. Bei Fragen wenden Sie sich bitte an den Makler."],
    unavailable: ["Bereich derzeit nicht verfügbar",
      "Dieser geschützte Bereich kann gerade nicht geöffnet werden. Bitte versuchen Sie es später noch einmal."]
  };

  function renderMessage(key, onClose) {
    var text = STATUS_TEXT[key];
    var close = el("button", { type: "button", "class": "fg-secondary", text: "Schließen" });
    close.addEventListener("click", onClose);
    openModal(el("div", {}, [
      el("h2", { id: "fg-title", text: text[0] }),
      el("p", { "class": "fg-status", role: "status", text: text[1] }),
      el("div", { "class": "fg-actions" }, [close])
    ]), "fg-title");
  }

  function renderStatus() {
    if (!STATUS_TEXT[state.status] || !state.waiters.length) { return; }
    renderMessage(state.status, cancelWaiters);
  }

  // The API's German message for a field, right after its input and tied to it for screen readers.
  function appendError(form, input, message) {
    if (!message) { return; }
    var id = input.id + "-error";
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    form.appendChild(el("div", { id: id, "class": "fg-error", text: message }));
  }

  function privacyLabel() {
    var label = el("label", { "for": "fg-privacy_accepted" });
    var url = state.privacyUrl;
    label.appendChild(document.createTextNode("Ich habe die "));
    // Never a link to "#": without a known address the words stay plain text.
    label.appendChild(url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer",
      text: "Datenschutzerklärung" }) : document.createTextNode("Datenschutzerklärung des Anbieters"));
    label.appendChild(document.createTextNode(" gelesen und stimme der Verarbeitung meiner Angaben zu. *"));
    return label;
  }

  function checkbox(name, checked) {
    var input = el("input", { id: "fg-" + name, name: name, type: "checkbox" });
    input.checked = !!checked;
    return input;
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
    var privacy = checkbox("privacy_accepted", values.privacy_accepted);
    privacy.setAttribute("required", "required");
    form.appendChild(el("div", { "class": "fg-check" }, [privacy, privacyLabel()]));
    appendError(form, privacy, errors.privacy_accepted);
    // Voluntary and off by default: only with this consent the agency sees what this person viewed.
    var stats = checkbox("viewing_stats_accepted", values.viewing_stats_accepted);
    form.appendChild(el("div", { "class": "fg-check" }, [stats, el("label", {
      "for": "fg-viewing_stats_accepted",
      text: "Freiwillig: Der Makler darf sehen, welche Bereiche des Rundgangs ich mir wie lange ansehe."
    })]));
    if (errors._form) { form.appendChild(el("div", { "class": "fg-error", role: "alert", text: errors._form })); }
    var submit = el("button", { type: "submit", "class": "fg-primary", text: "Zugang anfordern" });
    var cancel = el("button", { type: "button", "class": "fg-secondary", text: "Abbrechen" });
    cancel.addEventListener("click", cancelWaiters);
    form.appendChild(el("div", { "class": "fg-actions" }, [cancel, submit]));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { privacy_accepted: privacy.checked, viewing_stats_accepted: stats.checked };
      var entered = { privacy_accepted: privacy.checked, viewing_stats_accepted: stats.checked };
      if (state.askedViewpoint) { body.viewpoint_id = state.askedViewpoint; }
      fields.forEach(function (name) {
        var value = form.elements[name].value.trim();
        entered[name] = value;
        if (value) { body[name] = value; }
      });
      submit.disabled = true;
      register(body).then(null, function (problem) {
        renderForm(problem.fields || { _form: problem.message }, entered);
      });
    });
    openModal(form, "fg-title");
    track({ type: "form_opened" });
  }

  function register(body) {
    return api(tourPath("/registrations"), { method: "POST", body: body }).then(function (r) {
      if (r.status === 202 && r.data) {
        writeToken(r.data.viewer_token);
        setStatus(r.data.status);
        emit("registered", { status: r.data.status });
        renderStatus();
        poll();
        return r.data;
      }
      var error = (r.data && r.data.error) || {};
      var message = error.message || "Die Registrierung ist fehlgeschlagen. Bitte versuchen Sie es erneut.";
      if (r.status === 429) {
        message = "Zu viele Versuche. Bitte versuchen Sie es später erneut.";
      }
      emit("error", { message: message });
      throw { fields: error.fields ? error.fields : { _form: message }, message: message };
    }, function () {
      var message = "Keine Verbindung. Bitte prüfen Sie Ihre Internetverbindung.";
      emit("error", { message: message });
      throw { message: message };
    });
  }

  // -- viewing statistics: batched every 30 s, and by sendBeacon when the page is hidden --------
  function track(event) {
    if (!state.tourId || state.failed) { return; }
    state.queue.push(event);
    if (state.queue.length >= MAX_EVENTS) { flush(false); }
    if (!state.flushTimer) {
      state.flushTimer = window.setTimeout(function () { state.flushTimer = null; flush(false); }, FLUSH_MS);
    }
  }
  function endShowing() {
    var showing = state.showing;
    if (!showing) { return; }
    state.showing = null;
    var seconds = Math.min(3600, Math.max(0, Math.round((Date.now() - showing.since) / 1000)));
    track({ type: "viewpoint_view", viewpoint_id: showing.id, seconds: seconds });
  }
  function flush(leaving) {
    while (state.queue.length) {
      var events = state.queue.splice(0, MAX_EVENTS);
      var body = { events: events };
      var token = readToken();
      if (token) { body.viewer_token = token; }
      var url = state.baseUrl + tourPath("/views");
      if (leaving && window.navigator.sendBeacon) {
        // text/plain keeps the beacon a simple CORS request (no preflight on unload).
        if (window.navigator.sendBeacon(url, JSON.stringify(body))) { continue; }
      }
      window.fetch(url, { method: "POST", credentials: "omit", keepalive: true,
        headers: { "Content-Type": "text/plain;charset=UTF-8" }, body: JSON.stringify(body)
      }).then(null, function () { /* statistics are best effort */ });
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      var showing = state.showing;
      endShowing();
      flush(true);
      state.resume = showing ? showing.id : null;
    } else if (state.resume) {
      state.showing = { id: state.resume, since: Date.now() };
      state.resume = null;
    }
  });
  window.addEventListener("pagehide", function () { endShowing(); flush(true); });

  // -- init and the fail-closed rule -----------------------------------------------------------
  function finishInit(ok) {
    var waiters = state.initWaiters;
    state.initWaiters = [];
    waiters.forEach(function (resolve) { resolve(ok); });
  }
  // Resolves true once init succeeded, false when it failed or took longer than 10 s.
  function initDone() {
    if (state.protection) { return Promise.resolve(true); }
    if (state.failed) { return Promise.resolve(false); }
    return new Promise(function (resolve) {
      state.initWaiters.push(resolve);
      window.setTimeout(function () { resolve(!!state.protection); }, INIT_WAIT_MS);
    });
  }

  function resolveContainer(value) {
    if (!value) { return null; }
    if (typeof value === "string") { return document.querySelector(value); }
    return value.nodeType === 1 ? value : null;
  }

  function unavailable(viewpointId) {
    state.askedViewpoint = viewpointId;
    renderMessage("unavailable", closeModal);
    emit("error", { message: STATUS_TEXT.unavailable[1] });
    return Promise.reject(failure("unavailable", "Freigabe nicht erreichbar"));
  }

  var Freigabe = {
    init: function (options) {
      options = options || {};
      if (!options.tourId) { return Promise.reject(new Error("tourId fehlt")); }
      state.tourId = String(options.tourId);
      state.baseUrl = String(options.baseUrl || scriptOrigin || "").replace(/\/+$/, "");
      state.container = resolveContainer(options.container);
      state.fallback = Array.isArray(options.fallbackProtected)
        ? options.fallbackProtected.map(String) : null;
      state.failed = false;
      state.protection = null;
      var optionPrivacy = options.privacyUrl || null;
      var handover = fromUrl();
      if (handover.token) { writeToken(handover.token); }
      if (handover.viewpoint) { state.askedViewpoint = handover.viewpoint; }
      state.initPromise = api(tourPath("/protection")).then(function (r) {
        if (r.status !== 200 || !r.data) { throw new Error("Rundgang nicht gefunden"); }
        state.protection = r.data;
        state.privacyUrl = r.data.privacy_url || optionPrivacy;
        return refreshAccess();
      }).then(function (status) {
        finishInit(true);
        if (status === "pending_email" || status === "pending_approval") { poll(); }
        track({ type: "tour_view" });
        return { status: status, protected_viewpoints: state.protection.protected_viewpoints,
                 viewpointId: handover.viewpoint || null };
      }, function (error) {
        state.failed = true;
        state.protection = null;
        finishInit(false);
        emit("error", { message: error && error.message ? error.message : "Freigabe nicht erreichbar" });
        throw error instanceof Error ? error : new Error("Freigabe nicht erreichbar");
      });
      return state.initPromise;
    },
    isProtected: function (viewpointId) {
      var id = String(viewpointId);
      if (!state.protection) {
        // Fail closed: without an answer every viewpoint is protected, except those the page
        // declared free by leaving them out of fallbackProtected.
        return state.fallback ? state.fallback.indexOf(id) >= 0 : true;
      }
      if (state.protection.mode === "off") { return false; }
      return (state.protection.protected_viewpoints || []).indexOf(id) >= 0;
    },
    status: function () { return state.status; },
    requestAccess: function (viewpointId) {
      var id = String(viewpointId);
      return initDone().then(function (ok) {
        if (!ok) {
          if (!Freigabe.isProtected(id)) { return true; }
          return unavailable(id);
        }
        if (!Freigabe.isProtected(id) || state.status === "unlocked") { return true; }
        state.askedViewpoint = id;
        return new Promise(function (resolve, reject) {
          state.waiters.push({ resolve: resolve, reject: reject });
          if (state.status === "locked") { renderForm(); } else { renderStatus(); poll(); }
        });
      });
    },
    mediaUrl: function (viewpointId) {
      var id = String(viewpointId);
      return initDone().then(function (ok) {
        if (!ok) { throw failure("unavailable", "Freigabe nicht erreichbar"); }
        return api(tourPath("/viewpoints/" + encodeURIComponent(id) + "/media"));
      }).then(function (r) {
        if (r.status === 200 && r.data && r.data.url) { return r.data.url; }
        var code = (r.data && r.data.error && r.data.error.code) || "unavailable";
        throw failure(code, (r.data && r.data.error && r.data.error.message) || code);
      }, function (error) {
        throw error && error.reason ? error : failure("unavailable", "Freigabe nicht erreichbar");
      });
    },
    viewpointShown: function (viewpointId) {
      var id = String(viewpointId);
      if (state.showing && state.showing.id === id) { return; }
      endShowing();
      state.showing = { id: id, since: Date.now() };
    },
    forget: function () {
      dropToken();
      if (state.polling) { window.clearTimeout(state.polling); state.polling = null; }
      setStatus(state.protection && state.protection.mode === "off" ? "unlocked" : "locked");
    },
    on: function (type, handler) {
      if (typeof handler !== "function") { return Freigabe; }
      (state.handlers[type] = state.handlers[type] || []).push(handler);
      return Freigabe;
    },
    off: function (type, handler) {
      state.handlers[type] = (state.handlers[type] || []).filter(function (h) {
        return handler !== undefined && h !== handler;
      });
      return Freigabe;
    }
  };
  window.Freigabe = Freigabe;
})(window, document);
