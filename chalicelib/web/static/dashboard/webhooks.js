// Schnittstellen: the agency's webhooks (contract "Webhooks"): add one (URL, event types;
// the signing secret is shown once, with a copy button), send a test event, the delivery
// log with status, attempts and next attempt, retry a failed delivery, delete.

import { api, el, field, checkbox, showError, showOk, hideMessage, markInvalid, formatDateTime,
  confirmDialog } from "/ui/common.js";
import { page, message, table, qs } from "/dashboard/views.js";

const EVENT_TYPES = {
  "registration.created": "Neue Registrierung zu einem Rundgang",
  "registration.unlocked": "Rundgang freigeschaltet",
  "registration.denied": "Zugang verweigert",
  "review.published": "Bewertung veröffentlicht",
  "review.hidden": "Bewertung ausgeblendet",
  "address.consent_given": "Speicherung zugestimmt (DSGVO)",
  "address.deletion_requested": "Löschung beantragt (DSGVO)",
  "address.store_until_changed": "Speichern-Bis-Datum geändert",
  "address.deleted": "Adresse gelöscht",
};
const DELIVERY_STATUS = { pending: "ausstehend", delivered: "zugestellt", failed: "fehlgeschlagen" };

export async function listWebhooks(main) {
  const { webhooks } = await api("GET", "/agency/webhooks");
  const box = message();
  page(main, "Schnittstellen",
    el("p", { class: "muted" }, "Webhooks senden Ereignisse (neue Interessenten, Einwilligungen, "
      + "Löschungen) signiert nach dem Standard-Webhooks-Verfahren an Ihr CRM. Fehlgeschlagene "
      + "Zustellungen werden über 27 Stunden neun Mal versucht."),
    box,
    webhooks.length ? webhooks.map((hook) => webhookCard(hook, main)) : el("p", { class: "muted" }, "Noch keine Webhooks eingerichtet."),
    createForm(main));
}

function createForm(main) {
  const url = field("Adresse (URL, https://…)", { name: "url", type: "url", maxlength: 2000, required: true });
  const description = field("Beschreibung (optional)", { name: "description", maxlength: 200 });
  const types = Object.entries(EVENT_TYPES).map(([value, label]) => checkbox(label, { name: "events", value }));
  const fieldset = el("fieldset", { class: "field" }, el("legend", {}, "Ereignisse"), types.map((t) => t.wrap));
  const submit = el("button", { type: "submit", class: "primary" }, "Webhook hinzufügen");
  const box = message();
  const form = el("form", { class: "card", novalidate: true, "aria-labelledby": "new-webhook" },
    el("h3", { id: "new-webhook" }, "Neuer Webhook"), url.wrap, fieldset, description.wrap,
    el("div", { class: "actions" }, submit), box);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    submit.disabled = true;
    try {
      const created = await api("POST", "/agency/webhooks", {
        url: url.input.value.trim(),
        events: types.filter((t) => t.input.checked).map((t) => t.input.value),
        description: description.input.value.trim() || null,
      });
      markInvalid(form, null);
      await listWebhooks(main);
      main.querySelector("#page-title").after(secretNotice(created.secret,
        "Der Webhook ist eingerichtet. Das Signaturgeheimnis wird nur jetzt angezeigt:"));
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, { url: "Adresse", events: "Ereignisse" });
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function secretNotice(secret, text) {
  const code = el("code", { class: "secret" }, secret);
  const copy = el("button", { type: "button" }, "Kopieren");
  const done = el("span", { class: "muted small", role: "status" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(secret);
      done.textContent = "In die Zwischenablage kopiert.";
    } catch {
      done.textContent = "Bitte markieren und manuell kopieren.";
    }
  });
  return el("div", { class: "notice ok", role: "status" }, el("p", {}, text), el("p", {}, code, " ", copy, " ", done),
    el("p", { class: "small" }, "Bewahren Sie es sicher auf: Ihr CRM prüft damit jede Zustellung."));
}

function webhookCard(hook, main) {
  const box = message();
  const log = el("div", {});
  const ping = el("button", { type: "button" }, "Testereignis senden");
  const rotate = el("button", { type: "button" }, "Geheimnis erneuern");
  const remove = el("button", { type: "button", class: "danger" }, "Löschen");
  const card = el("article", { class: "card", "data-webhook-id": hook.webhook_id, "aria-label": hook.url },
    el("h3", {}, hook.url),
    hook.description ? el("p", {}, hook.description) : null,
    el("p", { class: "muted small" }, "Ereignisse: " + hook.events.map((t) => EVENT_TYPES[t] || t).join(", ")),
    el("div", { class: "actions" }, ping, rotate, remove), box, log);
  ping.addEventListener("click", async () => {
    hideMessage(box);
    ping.disabled = true;
    try {
      await api("POST", "/agency/webhooks/" + qs(hook.webhook_id) + "/ping");
      showOk(box, "Das Testereignis ist unterwegs.");
      await showLog(log, hook);
    } catch (error) {
      if (error.status !== 401) showError(box, error);
    } finally {
      ping.disabled = false;
    }
  });
  rotate.addEventListener("click", async () => {
    if (!await confirmDialog("Geheimnis erneuern?", "Das bisherige Geheimnis signiert noch 24 Stunden mit; "
      + "stellen Sie Ihr CRM in dieser Zeit um.", "Erneuern")) return;
    hideMessage(box);
    try {
      const rotated = await api("POST", "/agency/webhooks/" + qs(hook.webhook_id) + "/rotate-secret");
      box.replaceWith(secretNotice(rotated.secret, "Neues Signaturgeheimnis (wird nur jetzt angezeigt):"));
    } catch (error) {
      if (error.status !== 401) showError(box, error);
    }
  });
  remove.addEventListener("click", async () => {
    if (!await confirmDialog("Webhook löschen?", "An " + hook.url + " werden keine Ereignisse mehr gesendet.",
      "Löschen", true)) return;
    try {
      await api("DELETE", "/agency/webhooks/" + qs(hook.webhook_id));
      await listWebhooks(main);
    } catch (error) {
      if (error.status !== 401) showError(box, error);
    }
  });
  showLog(log, hook).catch((error) => { if (error.status !== 401) showError(box, error); });
  return card;
}

async function showLog(log, hook) {
  const { deliveries } = await api("GET", "/agency/webhooks/" + qs(hook.webhook_id) + "/deliveries?limit=20");
  if (!deliveries.length) {
    log.replaceChildren(el("p", { class: "muted small" }, "Noch keine Zustellungen."));
    return;
  }
  const rows = deliveries.map((d) => {
    const cell = el("td", {});
    if (d.status === "failed") {
      const retry = el("button", { type: "button" }, "Erneut senden");
      retry.addEventListener("click", async () => {
        retry.disabled = true;
        try {
          await api("POST", "/agency/webhooks/" + qs(hook.webhook_id) + "/deliveries/" + qs(d.delivery_id) + "/retry");
          await showLog(log, hook);
        } catch (error) {
          retry.disabled = false;
          if (error.status !== 401) showError(cell.appendChild(message()), error);
        }
      });
      cell.append(retry);
    }
    return el("tr", { "data-delivery-id": d.delivery_id },
      el("td", {}, EVENT_TYPES[d.type] || (d.type === "ping" ? "Testereignis" : d.type)),
      el("td", {}, formatDateTime(d.created_at)),
      el("td", { "data-status": d.status }, DELIVERY_STATUS[d.status] || d.status),
      el("td", {}, String(d.attempts)),
      el("td", {}, d.last_status_code === null ? (d.last_error || "–") : String(d.last_status_code)),
      el("td", {}, d.next_attempt_at ? formatDateTime(d.next_attempt_at) : "–"),
      cell);
  });
  log.replaceChildren(table("Letzte Zustellungen", ["Ereignis", "Zeitpunkt", "Status", "Versuche",
    "Antwort", "Nächster Versuch", ""], rows));
}
