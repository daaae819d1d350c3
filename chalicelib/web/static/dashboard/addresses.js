// Addresses and GDPR: search, preview with activities, the three worklists with
// multi-select (consent mails, deletion), and the agency's GDPR settings.

import {
  api, el, field, checkbox, replace, showError, showOk, hideMessage, markInvalid,
  formatDate, formatDateTime, isPast, confirmDialog, ApiError,
} from "/ui/common.js";
import { ACTIVITY, GDPR_STATUS, SKIP_REASON, WORKLISTS } from "/dashboard/labels.js";
import { page, badge, message, table, fullName, qs } from "/dashboard/views.js";

const ADDRESS_LABELS = {
  store_until: "Speichern bis", store_until_reason: "Grund", gdpr_status: "DSGVO-Status",
  retention_days: "Aufbewahrung in Tagen", address_ids: "Auswahl", email: "E-Mail",
};

function reasonList(items) {
  return items.map((item) => (item.name || item.address_id) + ": "
    + (SKIP_REASON[item.reason] || item.reason)).join("; ");
}

function storeUntilCell(address) {
  if (!address.store_until) return el("td", {}, "–");
  const overdue = isPast(address.store_until + "T23:59:59+01:00");
  return el("td", { class: overdue ? "overdue" : null },
    formatDate(address.store_until),
    overdue ? [" ", el("span", { class: "overdue-label" }, "abgelaufen")] : null,
    address.store_until_reason ? el("div", { class: "muted small" }, address.store_until_reason) : null,
    el("div", { class: "muted small" }, address.store_until_manual ? "manuell gesetzt" : "automatisch"));
}

// -- search and list ----------------------------------------------------------------------

export async function listAddresses(main, email) {
  const box = message();
  const search = field("E-Mail-Adresse", { name: "email", type: "email", autocomplete: "off", value: email || "" });
  const form = el("form", { class: "card", role: "search", "aria-label": "Adresse suchen" },
    search.wrap, el("div", { class: "actions" },
      el("button", { type: "submit", class: "primary" }, "Suchen"),
      email ? el("a", { class: "button", href: "#/addresses" }, "Alle Adressen") : null));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = search.input.value.trim();
    location.hash = value ? "#/addresses?email=" + qs(value) : "#/addresses";
  });
  const results = el("div", {});
  page(main, "Adressen", box, form, results);
  await loadAddresses(results, box, email, null);
}

async function loadAddresses(results, box, email, cursor) {
  const params = email ? "?email=" + qs(email) : (cursor ? "?cursor=" + qs(cursor) : "");
  const data = await api("GET", "/agency/addresses" + params);
  const addresses = data.addresses || [];
  const rows = addresses.map((address) => el("tr", {},
    el("td", {}, el("a", { href: "#/addresses/" + qs(address.address_id) }, fullName(address))),
    el("td", {}, address.email || "–"),
    el("td", {}, [address.zip, address.city].filter(Boolean).join(" ") || "–"),
    el("td", {}, badge(GDPR_STATUS, address.gdpr_status)),
    storeUntilCell(address)));
  const existing = results.querySelector("tbody");
  if (existing && cursor) {
    existing.append(...rows);
  } else if (addresses.length) {
    replace(results, table(email ? "Suchergebnis" : "Adressbuch",
      ["Name", "E-Mail", "Ort", "DSGVO-Status", "Speichern bis"], rows));
  } else {
    replace(results, el("p", { class: "muted" }, email ? "Keine Adresse mit dieser E-Mail-Adresse." : "Noch keine Adressen."));
  }
  const old = results.querySelector(".more");
  if (old) old.remove();
  if (data.next_cursor) {
    const more = el("button", { type: "button", class: "more" }, "Weitere Adressen laden");
    more.addEventListener("click", async () => {
      more.disabled = true;
      try {
        await loadAddresses(results, box, null, data.next_cursor);
      } catch (error) {
        more.disabled = false;
        if (error.status !== 401) showError(box, error);
      }
    });
    results.append(more);
  }
}

// -- preview ------------------------------------------------------------------------------

export async function addressPreview(main, addressId) {
  const path = "/agency/addresses/" + qs(addressId);
  const [preview, records, settings] = await Promise.all([
    api("GET", path + "/preview"), api("GET", path + "/consent-records"), api("GET", "/agency/gdpr/settings"),
  ]);
  const address = preview.address;
  const box = message();
  const activities = preview.activities || [];
  page(main, fullName(address), box,
    el("p", {}, el("a", { href: "#/addresses" }, "← Alle Adressen")),
    el("div", { class: "grid" },
      el("section", { class: "card", "aria-labelledby": "contact-title" },
        el("h3", { id: "contact-title" }, "Kontakt"),
        el("p", {}, [address.salutation, address.first_name, address.last_name].filter(Boolean).join(" ") || "–"),
        address.company ? el("p", {}, address.company) : null,
        el("p", {}, address.email || "keine E-Mail-Adresse",
          address.email_undeliverable ? [" ", el("span", { class: "badge danger" }, "Unzustellbar")] : null),
        el("p", {}, address.phone || ""),
        el("p", {}, [address.street, [address.zip, address.city].filter(Boolean).join(" ")].filter(Boolean).join(", "))),
      el("section", { class: "card", "aria-labelledby": "gdpr-title" },
        el("h3", { id: "gdpr-title" }, "DSGVO"),
        el("p", {}, badge(GDPR_STATUS, preview.gdpr_status)),
        el("p", {}, "Speichern bis: ", preview.store_until ? formatDate(preview.store_until) : "–",
          preview.store_until_reason ? " (" + preview.store_until_reason + ")" : "",
          preview.store_until ? (preview.store_until_manual ? ", manuell" : ", automatisch") : ""),
        preview.last_consent_request_on
          ? el("p", {}, "Zuletzt angeschrieben: " + formatDate(preview.last_consent_request_on)) : null,
        (preview.relations || []).length ? el("p", {}, "Beziehungen: " + preview.relations.join(", ")) : null,
        (preview.interest_properties || []).length
          ? el("p", {}, "Interesse an: " + preview.interest_properties.join(", ")) : null)),
    gdprForm(address, preview, settings, box, () => addressPreview(main, addressId)),
    el("section", { class: "card", "aria-labelledby": "activities-title" },
      el("h3", { id: "activities-title" }, "Aktivitäten"),
      activities.length ? el("ol", { class: "activities" }, activities.map((a) => el("li", {},
        el("strong", {}, ACTIVITY[a.type] || a.type), " · ", formatDateTime(a.created_at),
        a.property_id ? " · Objekt " + a.property_id : "", a.note ? el("div", {}, a.note) : null)))
        : el("p", { class: "muted" }, "Keine Aktivitäten.")),
    el("section", { class: "card", "aria-labelledby": "records-title" },
      el("h3", { id: "records-title" }, "Einwilligungsnachweise"),
      (records.records || []).length ? el("ul", {}, records.records.map((r) => el("li", {},
        (r.action === "consent" ? "Einwilligung" : r.action === "deletion_request" ? "Löschantrag" : r.action)
          + " · " + formatDateTime(r.at))))
        : el("p", { class: "muted" }, "Noch keine Nachweise.")),
    addressActions(address, box, main));
}

function gdprForm(address, preview, settings, box, reload) {
  const status = field("DSGVO-Status", { name: "gdpr_status" }, "select");
  for (const code of ["none", "ignore", "deletion_requested"]) {
    status.input.append(el("option", { value: code, selected: preview.gdpr_status === code }, GDPR_STATUS[code][0]));
  }
  if (preview.gdpr_status === "consented") {
    status.input.prepend(el("option", { value: "consented", selected: true, disabled: true }, GDPR_STATUS.consented[0]));
  }
  const until = field("Speichern bis (manuell)", { name: "store_until", type: "date",
    value: preview.store_until_manual ? preview.store_until : "" });
  const reason = field("Grund", { name: "store_until_reason" }, "select");
  reason.input.append(el("option", { value: "" }, "–"));
  for (const value of settings.store_until_reasons || []) {
    reason.input.append(el("option", { value, selected: value === preview.store_until_reason }, value));
  }
  const save = el("button", { type: "submit", class: "primary" }, "DSGVO-Angaben speichern");
  const automatic = el("button", { type: "button" }, "Speichern-bis automatisch bestimmen");
  const form = el("form", { class: "card", novalidate: true, "aria-labelledby": "gdpr-form-title" },
    el("h3", { id: "gdpr-form-title" }, "DSGVO-Angaben ändern"),
    el("p", { class: "muted small" }, "„Einwilligung erteilt“ entsteht nur über den Link in der Einwilligungs-Mail."),
    status.wrap, until.wrap, reason.wrap, el("div", { class: "actions" }, save, automatic));
  async function patch(body, button) {
    hideMessage(box);
    button.disabled = true;
    try {
      await api("PATCH", "/agency/addresses/" + qs(address.address_id), body);
      await reload();
      showOk(document.querySelector("#main .message"), "Die DSGVO-Angaben wurden gespeichert.");
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, ADDRESS_LABELS);
    } finally {
      button.disabled = false;
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {};
    if (status.input.value !== preview.gdpr_status && status.input.value !== "consented") body.gdpr_status = status.input.value;
    if (until.input.value) {
      body.store_until = until.input.value;
      body.store_until_reason = reason.input.value || null;
    }
    if (!Object.keys(body).length) {
      showError(box, new ApiError(422, "nothing_changed", "Es wurde nichts geändert."));
      return;
    }
    patch(body, save);
  });
  automatic.addEventListener("click", () => patch({ store_until: null }, automatic));
  return form;
}

function addressActions(address, box, main) {
  const consent = el("button", { type: "button" }, "Einwilligung per E-Mail anfragen");
  consent.addEventListener("click", () => requestConsent([address], consent, box));
  const remove = el("button", { type: "button", class: "danger" }, "Adresse löschen");
  remove.addEventListener("click", async () => {
    const sure = await confirmDialog("Adresse endgültig löschen?",
      fullName(address) + " wird mit allen Aktivitäten, Nachweisen und Registrierungen gelöscht. "
      + "Das lässt sich nicht rückgängig machen.", "Endgültig löschen", true);
    if (!sure) return;
    remove.disabled = true;
    try {
      await api("DELETE", "/agency/addresses/" + qs(address.address_id));
      page(main, "Adresse gelöscht", el("p", {}, fullName(address) + " wurde gelöscht. Ein Löschnachweis ist gespeichert."),
        el("p", {}, el("a", { href: "#/addresses" }, "Zurück zu den Adressen")));
    } catch (error) {
      remove.disabled = false;
      if (error.status !== 401) showError(box, error);
    }
  });
  return el("section", { class: "card", "aria-labelledby": "actions-title" },
    el("h3", { id: "actions-title" }, "Aktionen"), el("div", { class: "actions" }, consent, remove));
}

async function requestConsent(addresses, button, box) {
  hideMessage(box);
  button.disabled = true;
  try {
    const names = Object.fromEntries(addresses.map((a) => [a.address_id, fullName(a)]));
    const result = await api("POST", "/agency/gdpr/consent-requests",
      { address_ids: addresses.map((a) => a.address_id) });
    const sent = (result.sent || []).map((id) => names[id] || id);
    const skipped = (result.skipped || []).map((s) => ({ ...s, name: names[s.address_id] }));
    showOk(box, (sent.length ? "Einwilligungs-Mail gesendet an: " + sent.join(", ") + "." : "Keine Mail gesendet.")
      + (skipped.length ? " Übersprungen – " + reasonList(skipped) + "." : ""));
    return result;
  } catch (error) {
    if (error.status !== 401) showError(box, error, ADDRESS_LABELS);
    return null;
  } finally {
    button.disabled = false;
  }
}

// -- worklists and settings ---------------------------------------------------------------

export async function gdprOverview(main) {
  const [settings, ...lists] = await Promise.all([
    api("GET", "/agency/gdpr/settings"),
    ...WORKLISTS.map(([name]) => api("GET", "/agency/gdpr/widgets/" + name)),
  ]);
  const reload = () => gdprOverview(main);
  page(main, "DSGVO",
    el("p", { class: "muted" }, "Die drei Arbeitslisten zeigen, was datenschutzrechtlich fällig ist."),
    WORKLISTS.map(([name, title, hint], i) => worklist(name, title, hint, lists[i].addresses || [], reload)),
    settingsForm(settings));
}

function worklist(name, title, hint, addresses, reload) {
  const titleId = "list-" + name;
  const box = message();
  const section = el("section", { class: "card worklist", "data-worklist": name, "aria-labelledby": titleId },
    el("h3", { id: titleId }, title + " (" + addresses.length + ")"), el("p", { class: "muted small" }, hint), box);
  if (!addresses.length) {
    section.append(el("p", { class: "muted" }, "Keine Adressen in dieser Liste."));
    return section;
  }
  const all = checkbox("Alle auswählen", { name: "select-all-" + name });
  const picks = addresses.map((address) => ({
    address, box: checkbox("Auswählen: " + fullName(address), { name: "address_id", value: address.address_id }),
  }));
  for (const pick of picks) pick.box.wrap.querySelector("label").classList.add("visually-hidden");
  const selected = () => picks.filter((p) => p.box.input.checked).map((p) => p.address);
  const consent = el("button", { type: "button", class: "primary" }, "Einwilligung anfragen");
  const remove = el("button", { type: "button", class: "danger" }, "Löschen");
  const count = el("span", { class: "muted small", "aria-live": "polite" }, "0 ausgewählt");
  const update = () => {
    const n = selected().length;
    count.textContent = n + " ausgewählt";
    consent.disabled = remove.disabled = n === 0;
    all.input.checked = n === picks.length;
    all.input.indeterminate = n > 0 && n < picks.length;
  };
  all.input.addEventListener("change", () => {
    for (const pick of picks) pick.box.input.checked = all.input.checked;
    update();
  });
  for (const pick of picks) pick.box.input.addEventListener("change", update);
  consent.addEventListener("click", async () => {
    const result = await requestConsent(selected(), consent, box);
    if (result && (result.sent || []).length) {
      const text = box.textContent;
      await reload();
      showOk(document.querySelector('[data-worklist="' + name + '"] .message'), text);
    }
  });
  remove.addEventListener("click", async () => {
    const chosen = selected();
    const sure = await confirmDialog(chosen.length + " Adresse(n) endgültig löschen?",
      chosen.map(fullName).join(", ") + " – mit allen Aktivitäten, Nachweisen und Registrierungen. "
      + "Das lässt sich nicht rückgängig machen.", "Endgültig löschen", true);
    if (!sure) return;
    remove.disabled = true;
    try {
      const names = Object.fromEntries(chosen.map((a) => [a.address_id, fullName(a)]));
      const result = await api("POST", "/agency/addresses/bulk-delete", { address_ids: chosen.map((a) => a.address_id) });
      const refused = (result.refused || []).map((r) => ({ ...r, name: names[r.address_id] }));
      const text = (result.deleted || []).length + " Adresse(n) gelöscht."
        + (refused.length ? " Nicht gelöscht – " + reasonList(refused) + "." : "");
      await reload();
      showOk(document.querySelector('[data-worklist="' + name + '"] .message'), text);
    } catch (error) {
      remove.disabled = false;
      if (error.status !== 401) showError(box, error, ADDRESS_LABELS);
    }
  });
  const rows = picks.map(({ address, box: pick }) => el("tr", { "data-address-id": address.address_id },
    el("td", {}, pick.wrap),
    el("td", {}, el("a", { href: "#/addresses/" + qs(address.address_id) }, fullName(address))),
    el("td", {}, address.email || "–"),
    el("td", {}, badge(GDPR_STATUS, address.gdpr_status)),
    storeUntilCell(address),
    el("td", {}, (address.activities || [])[0]
      ? (ACTIVITY[address.activities[0].type] || address.activities[0].type) + ", " + formatDate(address.activities[0].created_at)
      : "–")));
  section.append(el("div", { class: "row" }, all.wrap, count),
    table(title, ["Auswahl", "Name", "E-Mail", "DSGVO-Status", "Speichern bis", "Letzte Aktivität"], rows),
    el("div", { class: "actions" }, consent, remove));
  update();
  return section;
}

function settingsForm(settings) {
  const box = message();
  const auto = checkbox("Speichern-bis-Datum automatisch setzen, wenn ein Objekt archiviert wird",
    { name: "auto_store_until", checked: settings.auto_store_until });
  const days = field("Aufbewahrung nach Archivierung (Tage)", { name: "retention_days", type: "number", min: 1,
    max: 3650, required: true, value: settings.retention_days });
  const autoDelete = checkbox("Abgelaufene Adressen nachts automatisch löschen",
    { name: "auto_delete_expired", checked: settings.auto_delete_expired });
  const reasons = field("Eigene Speichern-bis-Gründe (einer pro Zeile)", { name: "custom_reasons", rows: 3 }, "textarea");
  reasons.input.value = (settings.custom_reasons || []).join("\n");
  const save = el("button", { type: "submit", class: "primary" }, "Einstellungen speichern");
  const form = el("form", { class: "card", novalidate: true, "aria-labelledby": "settings-title" },
    el("h3", { id: "settings-title" }, "DSGVO-Einstellungen"), box,
    auto.wrap, days.wrap, autoDelete.wrap, reasons.wrap, el("div", { class: "actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    save.disabled = true;
    try {
      await api("PUT", "/agency/gdpr/settings", {
        auto_store_until: auto.input.checked,
        retention_days: Number.parseInt(days.input.value, 10),
        auto_delete_expired: autoDelete.input.checked,
        custom_reasons: reasons.input.value.split("\n").map((r) => r.trim()).filter(Boolean),
      });
      markInvalid(form, null);
      showOk(box, "Die DSGVO-Einstellungen wurden gespeichert.");
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, ADDRESS_LABELS);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
