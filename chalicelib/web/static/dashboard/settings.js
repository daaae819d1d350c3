// Team & API keys (owners): the agency's people with their roles, invitations by mail,
// disabling; the API keys of its integrations (the key is shown once, at creation).

import {
  api, el, field, showError, showOk, hideMessage, markInvalid, formatDateTime, confirmDialog,
} from "/ui/common.js";
import { page, message, table, qs } from "/dashboard/views.js";
import { me, roleLabel } from "/dashboard/session.js";

const ROLES = ["owner", "agent", "assistant"];
const STATUS = { invited: "Eingeladen", active: "Aktiv", disabled: "Deaktiviert" };
const LABELS = { email: "E-Mail-Adresse", name: "Name", role: "Rolle" };

export async function teamPage(main) {
  const [users, keys] = await Promise.all([
    api("GET", "/agency/users"), api("GET", "/agency/api-keys")]);
  const box = message();
  const reload = () => teamPage(main);
  page(main, "Team & API-Schlüssel", box,
    el("section", { class: "card", "aria-labelledby": "team-title" },
      el("h3", { id: "team-title" }, "Team"),
      table("Personen mit Zugang zum Dashboard", ["Name", "E-Mail", "Rolle", "Status", "Aktion"],
        users.users.map((user) => userRow(user, box, reload))),
      inviteForm(box, reload)),
    el("section", { class: "card", "aria-labelledby": "keys-title" },
      el("h3", { id: "keys-title" }, "API-Schlüssel"),
      el("p", { class: "muted" }, "Für Integrationen (CRM, Skripte). Ein Schlüssel handelt wie ein "
        + "Inhaber, darf aber keine Personen oder Schlüssel anlegen."),
      keys.api_keys.length
        ? table("API-Schlüssel", ["Name", "Beginnt mit", "Angelegt", "Aktion"],
          keys.api_keys.map((key) => keyRow(key, box, reload)))
        : el("p", { class: "muted" }, "Noch keine API-Schlüssel."),
      keyForm(box, reload)));
}

function userRow(user, box, reload) {
  const self = me() && me().user_id === user.user_id;
  const role = el("select", { name: "role", "aria-label": "Rolle von " + user.name, disabled: user.disabled });
  for (const code of ROLES) role.append(el("option", { value: code, selected: user.role === code }, roleLabel(code)));
  role.addEventListener("change", () => change(user, { role: role.value }, box, reload));
  const toggle = el("button", { type: "button", class: user.disabled ? "" : "danger" },
    user.disabled ? "Aktivieren" : "Deaktivieren");
  toggle.addEventListener("click", async () => {
    if (!user.disabled) {
      const sure = await confirmDialog("Zugang deaktivieren?", user.name + " kann sich danach nicht "
        + "mehr anmelden; laufende Sitzungen enden sofort.", "Deaktivieren", true);
      if (!sure) return;
    }
    change(user, { disabled: !user.disabled }, box, reload);
  });
  const resend = user.status === "invited" && !user.disabled
    ? el("button", { type: "button" }, "Einladung erneut senden") : null;
  if (resend) {
    resend.addEventListener("click", async () => {
      resend.disabled = true;
      try {
        await api("POST", "/agency/users/" + qs(user.user_id) + "/resend-invitation");
        showOk(box, "Die Einladung an " + user.email + " wurde erneut gesendet.");
      } catch (error) {
        showError(box, error);
      } finally {
        resend.disabled = false;
      }
    });
  }
  return el("tr", { "data-user-id": user.user_id },
    el("td", {}, user.name, self ? " (Sie)" : ""), el("td", {}, user.email), el("td", {}, role),
    el("td", {}, user.disabled ? STATUS.disabled : STATUS[user.status] || user.status),
    el("td", {}, toggle, " ", resend));
}

async function change(user, body, box, reload) {
  hideMessage(box);
  try {
    await api("PATCH", "/agency/users/" + qs(user.user_id), body);
    await reload();
  } catch (error) {
    await reload();
    showError(pageBox(box), error);
  }
}

function inviteForm(box, reload) {
  const name = field("Name", { type: "text", name: "name", required: true, maxlength: 120, autocomplete: "off" });
  const email = field("E-Mail-Adresse", { name: "email", type: "email", required: true, autocomplete: "off" });
  const role = field("Rolle", { name: "role" }, "select");
  for (const code of ROLES) role.input.append(el("option", { value: code, selected: code === "agent" }, roleLabel(code)));
  const submit = el("button", { type: "submit", class: "primary" }, "Einladen");
  const form = el("form", { class: "invite", novalidate: true, "aria-labelledby": "invite-title" },
    el("h4", { id: "invite-title" }, "Person einladen"),
    el("p", { class: "muted small" }, "Die Person erhält eine E-Mail mit einem vorläufigen Passwort."),
    name.wrap, email.wrap, role.wrap, el("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const created = await api("POST", "/agency/users", {
        name: name.input.value.trim(), email: email.input.value.trim(), role: role.input.value });
      await reload();
      showOk(pageBox(box),
        "Die Einladung an " + created.email + " ist unterwegs.");
    } catch (error) {
      markInvalid(form, error);
      showError(box, error, LABELS);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function keyRow(key, box, reload) {
  const revoke = el("button", { type: "button", class: "danger" }, "Widerrufen");
  revoke.addEventListener("click", async () => {
    const sure = await confirmDialog("API-Schlüssel widerrufen?", "Integrationen mit „" + key.name
      + "“ erhalten ab sofort keinen Zugang mehr.", "Widerrufen", true);
    if (!sure) return;
    try {
      await api("DELETE", "/agency/api-keys/" + qs(key.api_key_id));
      await reload();
    } catch (error) {
      showError(box, error);
    }
  });
  return el("tr", { "data-api-key-id": key.api_key_id }, el("td", {}, key.name),
    el("td", {}, el("code", {}, key.prefix || "–")), el("td", {}, formatDateTime(key.created_at)),
    el("td", {}, revoke));
}

function keyForm(box, reload) {
  const name = field("Name des Schlüssels", { type: "text", name: "name", required: true, maxlength: 100 });
  const submit = el("button", { type: "submit", class: "primary" }, "Schlüssel erzeugen");
  const shown = el("div", { hidden: true, class: "notice ok", role: "status" });
  const form = el("form", { class: "api-key", novalidate: true }, name.wrap,
    el("div", { class: "actions" }, submit), shown);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const created = await api("POST", "/agency/api-keys", { name: name.input.value.trim() });
      await reload();
      const notice = pageBox(box);
      showOk(notice, "Neuer API-Schlüssel „" + created.name + "“ – nur jetzt sichtbar, bitte sicher "
        + "aufbewahren: ");
      notice.append(el("code", { id: "new-api-key" }, created.key));
    } catch (error) {
      markInvalid(form, error);
      showError(box, error, { name: "Name" });
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The message box of the page as rendered now (a reload replaces the old one). */
function pageBox(fallback) {
  return document.querySelector("#main .message, #main .notice") || fallback;
}
