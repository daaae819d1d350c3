// Addresses and GDPR: search, new address and contact edit, preview with activities (and
// adding one), the printable consent record, the three worklists with multi-select (consent
// mails, deletion), and the agency's GDPR settings.

import {
  api, el, field, checkbox, replace, showError, showOk, hideMessage, markInvalid, uid,
  formatDate, formatDateTime, isPast, confirmDialog, ApiError,
} from "/ui/common.js";
import {
  ACTIVITY, GDPR_STATUS, MANUAL_ACTIVITIES, RECORD_ACTION, SALUTATIONS, SKIP_REASON, WORKLISTS,
} from "/dashboard/labels.js";
import { page, badge, message, table, fullName, qs } from "/dashboard/views.js";
import { openTab, showInTab } from "/dashboard/printable.js";
import { profileForm } from "/dashboard/profile.js";
import { allProperties } from "/dashboard/properties.js";
import { invitationCard } from "/dashboard/invitations.js";
import { counted } from "/ui/plural.js";

// The contract's contact fields in form order: [name, label, input type] (none: a select).
const CONTACT_FIELDS = [
  ["salutation", "Anrede"], ["first_name", "Vorname", "text"], ["last_name", "Nachname", "text"],
  ["company", "Firma", "text"], ["email", "E-Mail", "email"], ["phone", "Telefon", "tel"],
  ["street", "Straße und Hausnummer", "text"], ["zip", "PLZ", "text"], ["city", "Ort", "text"],
  ["user_id", "Betreuer (Benutzer-ID)", "text"],
];

const ADDRESS_LABELS = {
  ...Object.fromEntries(CONTACT_FIELDS.map(([name, label]) => [name, label])),
  store_until: "Speichern-Bis-Datum", store_until_reason: "Speichern-Bis-Grund", gdpr_status: "DSGVO-Status",
  retention_days: "Aufbewahrung in Tagen", address_ids: "Auswahl",
  assigned_user_id: "Zugeordnet an", external_id: "Externe ID (CRM)",
  type: "Art der Aktivität", property_id: "Objekt-ID", note: "Notiz",
};

// A success message for the next address view (after a save that re-renders it).
let flash = null;

/** Re-renders the address with a success message; the focus, whose button is gone, goes to
 * the heading as after any navigation. */
async function reloadWith(message, reload) {
  flash = message;
  await reload();
  document.getElementById("page-title").focus();
}

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
  // The "Adressvervollständigung": searches as you type (from 2 characters, debounced) by
  // the start of any word of name, company, email or city, or of the phone number.
  const search = field("Adresse suchen", { name: "q", type: "search", autocomplete: "off",
    value: email || "", placeholder: "Name, Firma, E-Mail, Ort oder Telefon" });
  const form = el("form", { class: "card", role: "search", "aria-label": "Adresssuche" },
    search.wrap, el("p", { class: "muted small" }, "Jedes Wort ab 2 Zeichen muss der Anfang eines Worts sein; "
      + "ä, ö, ü und ß dürfen als ae, oe, ue und ss geschrieben werden."),
    el("div", { class: "actions" },
      el("button", { type: "submit", class: "primary" }, "Suchen"),
      email ? el("a", { class: "button", href: "#/addresses" }, "Alle Adressen") : null));
  const results = el("div", { "aria-live": "polite" });
  let timer = null;
  let asked = 0;
  const run = async () => {
    const value = search.input.value.trim();
    const mine = ++asked;
    const usable = value.split(/\s+/).some((term) => term.length >= 2);
    try {
      if (!value) await loadAddresses(results, box, null, null);
      else if (usable) await loadAddresses(results, box, null, null, value, () => mine === asked);
    } catch (error) {
      if (error.status !== 401) showError(box, error);
    }
  };
  search.input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 300);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
  page(main, "Adressen", box,
    el("div", { class: "actions" }, el("a", { class: "button primary needs-editor", href: "#/addresses/new" }, "Neue Adresse")),
    form, results);
  await loadAddresses(results, box, email, null);
}

async function loadAddresses(results, box, email, cursor, q, current) {
  const params = email ? "?email=" + qs(email)
    : "?" + [q ? "q=" + qs(q) : "", cursor ? "cursor=" + qs(cursor) : ""].filter(Boolean).join("&");
  const data = await api("GET", "/agency/addresses" + (params === "?" ? "" : params));
  if (current && !current()) return; // a newer search has been typed meanwhile
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
    replace(results, table(email || q ? "Suchergebnis" : "Adressbuch",
      ["Name", "E-Mail", "Ort", "DSGVO-Status", "Speichern-Bis-Datum"], rows));
  } else {
    replace(results, el("p", { class: "muted" }, q ? "Keine Adresse gefunden." : email ? "Keine Adresse mit dieser E-Mail-Adresse." : "Noch keine Adressen."));
  }
  const old = results.querySelector(".more");
  if (old) old.remove();
  if (data.next_cursor) {
    const more = el("button", { type: "button", class: "more" }, "Weitere Adressen laden");
    more.addEventListener("click", async () => {
      more.disabled = true;
      try {
        await loadAddresses(results, box, null, data.next_cursor, q);
      } catch (error) {
        more.disabled = false;
        if (error.status !== 401) showError(box, error);
      }
    });
    results.append(more);
  }
}

// -- new address, contact edit ------------------------------------------------------------

function contactInputs(address) {
  return CONTACT_FIELDS.map(([name, label, type]) => {
    if (!type) {
      const select = field(label, { name }, "select");
      select.input.append(el("option", { value: "" }, "–"),
        ...SALUTATIONS.map((value) => el("option", { value, selected: address[name] === value }, value)));
      return [name, select];
    }
    // Someone else's data: the browser must not offer the agent's own name or e-mail.
    return [name, field(label, { name, type, autocomplete: "off", value: address[name] || "" })];
  });
}

/** Who made an entry (an actor {kind, id, name}): the person, the API key or the link. */
function byLine(by) {
  if (!by || typeof by !== "object") return "";
  const name = by.name || (by.kind === "api_key" ? "API-Schlüssel" : by.kind === "link"
    ? "per E-Mail-Link" : "");
  return name ? el("span", { class: "by muted" }, " · " + name) : "";
}

/** The person an address is assigned to; a disabled one stays, marked "(deaktiviert)". */
function assigneeName(userId, users) {
  const user = users.find((u) => u.user_id === userId);
  if (!user) return userId;
  return user.name + (user.disabled ? " (deaktiviert)" : "");
}

/** "Zugeordnet an" (a person of the agency) and the CRM's own id. */
function assignmentInputs(address, users) {
  const assigned = field("Zugeordnet an", { name: "assigned_user_id" }, "select");
  assigned.input.append(el("option", { value: "" }, "– niemand –"));
  for (const user of users) {
    if (user.disabled && user.user_id !== address.assigned_user_id) continue;
    assigned.input.append(el("option", { value: user.user_id,
      selected: user.user_id === address.assigned_user_id }, assigneeName(user.user_id, users)));
  }
  const external = field("Externe ID (CRM)", { name: "external_id", type: "text", maxlength: 100,
    autocomplete: "off", value: address.external_id || "" });
  return [["assigned_user_id", assigned], ["external_id", external]];
}

/** "#/addresses/new" (addressId undefined) or "#/addresses/<id>/edit". */
export async function addressForm(main, addressId) {
  const path = addressId ? "/agency/addresses/" + qs(addressId) : null;
  const [address, settings, team] = await Promise.all([
    path ? api("GET", path) : {}, path ? null : api("GET", "/agency/gdpr/settings"),
    api("GET", "/agency/users").catch(() => ({ users: [] }))]);
  const box = message();
  box.tabIndex = -1;
  const contact = [...contactInputs(address), ...assignmentInputs(address, team.users || [])];
  // A new address may start with its GDPR state; an existing one changes it on its page.
  const gdpr = path ? null : gdprFields({ gdpr_status: "none" }, settings);
  const submit = el("button", { type: "submit", class: "primary" }, path ? "Speichern" : "Adresse anlegen");
  const form = el("form", { class: "card", novalidate: true, "aria-labelledby": "page-title" },
    el("fieldset", {}, el("legend", {}, "Kontakt"),
      el("p", { class: "muted small" }, "Mindestens ein Name, eine Firma oder eine E-Mail-Adresse."),
      el("div", { class: "grid" }, contact.map(([, f]) => f.wrap))),
    gdpr ? el("fieldset", {}, el("legend", {}, "DSGVO"), gdpr.status.wrap, gdpr.until.wrap, gdpr.reason.wrap) : null,
    el("div", { class: "actions" }, submit,
      el("a", { class: "button", href: path ? "#/addresses/" + qs(addressId) : "#/addresses" }, "Abbrechen")));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    const body = {};
    for (const [name, f] of contact) {
      const value = f.input.value.trim() || null;
      // PATCH names only what changed; a new address leaves empty fields out.
      if (path ? value !== (address[name] ?? null) : value !== null) body[name] = value;
    }
    if (gdpr) Object.assign(body, gdpr.values());
    if (path && !Object.keys(body).length) {
      showError(box, new ApiError(422, "nothing_changed", "Es wurde nichts geändert."));
      box.focus();
      return;
    }
    submit.disabled = true;
    try {
      const saved = await api(path ? "PATCH" : "POST", path || "/agency/addresses", body);
      flash = path ? "Die Kontaktdaten wurden gespeichert." : "Die Adresse wurde angelegt.";
      location.hash = "#/addresses/" + qs(saved.address_id);
    } catch (error) {
      if (error.status === 401) return;
      // The API's 409 for a taken e-mail address names no field; it belongs to that one.
      const invalid = markInvalid(form, error.code === "email_exists" ? { fields: { email: error.message } } : error);
      showError(box, error, ADDRESS_LABELS);
      (invalid || box).focus();
    } finally {
      submit.disabled = false;
    }
  });
  page(main, path ? "Kontaktdaten bearbeiten: " + fullName(address) : "Neue Adresse", box, form);
}

// -- preview ------------------------------------------------------------------------------

export async function addressPreview(main, addressId) {
  const path = "/agency/addresses/" + qs(addressId);
  const [preview, records, settings, team] = await Promise.all([
    api("GET", path + "/preview"), api("GET", path + "/consent-records"), api("GET", "/agency/gdpr/settings"),
    api("GET", "/agency/users").catch(() => ({ users: [] })),
  ]);
  const address = preview.address;
  const invitations = (preview.relations || []).length
    ? await invitationCard(address, preview, await allProperties()) : null;
  const box = message();
  if (flash) {
    showOk(box, flash);
    flash = null;
  }
  const activities = preview.activities || [];
  const reload = () => addressPreview(main, addressId);
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
        el("p", {}, [address.street, [address.zip, address.city].filter(Boolean).join(" ")].filter(Boolean).join(", ")),
        address.user_id ? el("p", {}, "Betreuer: " + address.user_id) : null,
        address.assigned_user_id ? el("p", { "data-assigned": address.assigned_user_id },
          "Zugeordnet: " + assigneeName(address.assigned_user_id, team.users || [])) : null,
        address.external_id ? el("p", {}, "Externe ID (CRM): " + address.external_id) : null,
        el("div", { class: "actions" },
          el("a", { class: "button needs-editor", href: "#/addresses/" + qs(addressId) + "/edit" }, "Kontaktdaten bearbeiten"))),
      el("section", { class: "card", "aria-labelledby": "gdpr-title" },
        el("h3", { id: "gdpr-title" }, "DSGVO"),
        el("p", {}, badge(GDPR_STATUS, preview.gdpr_status)),
        el("p", {}, "Speichern-Bis-Datum: ", preview.store_until ? formatDate(preview.store_until) : "–",
          preview.store_until_reason ? " (" + preview.store_until_reason + ")" : "",
          preview.store_until ? (preview.store_until_manual ? ", manuell" : ", automatisch") : ""),
        preview.last_consent_request_on
          ? el("p", {}, "Zuletzt angeschrieben: " + formatDate(preview.last_consent_request_on)) : null,
        (preview.relations || []).length ? el("p", {}, "Beziehungen: " + preview.relations.join(", ")) : null,
        (preview.interest_properties || []).length
          ? el("p", {}, "Interesse an: " + preview.interest_properties.join(", ")) : null)),
    gdprForm(address, preview, settings, box, reload),
    invitations,
    el("section", { class: "card", "aria-labelledby": "activities-title" },
      el("h3", { id: "activities-title" }, "Aktivitäten"),
      activities.length ? el("ol", { class: "activities" }, activities.map((a) => el("li", {},
        el("strong", {}, ACTIVITY[a.type] || a.type), " · ", formatDateTime(a.created_at),
        a.property_id ? " · Objekt " + a.property_id : "", byLine(a.by),
        a.type === "inquiry" && a.verified === false ? [" ", el("span", { class: "badge" }, "unbestätigt")] : null,
        a.note ? el("div", {}, a.note) : null,
        a.type === "suggestion" ? suggestionControls(address, a, box, reload) : null)))
        : el("p", { class: "muted" }, "Keine Aktivitäten."),
      activityForm(address, reload)),
    el("section", { class: "card", "aria-labelledby": "records-title" },
      el("h3", { id: "records-title" }, "Einwilligungsnachweise"),
      (records.records || []).length ? el("ul", {}, records.records.map((r) => el("li", {},
        (RECORD_ACTION[r.action] || r.action) + " · " + formatDateTime(r.at))))
        : el("p", { class: "muted" }, "Noch keine Nachweise."),
      printableButton(address, box)),
    addressActions(address, box, main));
}

const SUGGESTION_FIELDS = { first_name: "Vorname", last_name: "Nachname", phone: "Telefon",
  street: "Straße", zip: "PLZ", city: "Ort" };

// A verified registration's differing contact details (issue 19): never stored by
// themselves, applied with one click.
function suggestionControls(address, activity, box, reload) {
  const rows = Object.entries(activity.suggestion || {}).map(([name, change]) => el("li", {},
    (SUGGESTION_FIELDS[name] || name) + ": " + (change.current || "–") + " → " + change.suggested));
  if (activity.status !== "open") {
    return el("div", {}, el("ul", {}, rows), el("p", { class: "muted small" }, "Übernommen."));
  }
  const apply = el("button", { type: "button", class: "primary" }, "Vorschlag übernehmen");
  apply.addEventListener("click", async () => {
    apply.disabled = true;
    hideMessage(box);
    try {
      await api("POST", "/agency/addresses/" + qs(address.address_id) + "/suggestions/"
        + qs(activity.activity_id) + "/apply");
      await reloadWith("Die vorgeschlagenen Kontaktdaten wurden übernommen.", reload);
    } catch (error) {
      if (error.status === 401) return;
      showError(box, error, ADDRESS_LABELS);
      apply.disabled = false;
    }
  });
  return el("div", {}, el("ul", {}, rows), el("div", { class: "actions" }, apply));
}

function activityForm(address, reload) {
  const box = message();
  const type = field("Art der Aktivität", { name: "type" }, "select");
  type.input.append(...MANUAL_ACTIVITIES.map((code) => el("option", { value: code }, ACTIVITY[code])));
  const hintId = uid("property-hint");
  // Chosen from the agency's properties (a typo would silently mean "no property").
  const listId = uid("properties");
  const property = field("Objekt-ID (optional)", { name: "property_id", type: "text", maxlength: 100,
    autocomplete: "off", "aria-describedby": hintId, list: listId });
  const choices = el("datalist", { id: listId });
  let known = null;
  allProperties().then((items) => {
    known = new Set(items.map((p) => p.property_id));
    choices.append(...items.map((p) => el("option", { value: p.property_id },
      p.title + (p.status === "archived" ? " (archiviert)" : ""))));
  }).catch(() => { known = null; });
  property.wrap.append(choices);
  const note = field("Notiz (optional)", { name: "note", rows: 3, maxlength: 2000 }, "textarea");
  const submit = el("button", { type: "submit", class: "primary" }, "Aktivität speichern");
  const form = el("form", { novalidate: true, "aria-labelledby": "activity-form-title" },
    el("h4", { id: "activity-form-title" }, "Aktivität hinzufügen"), box,
    el("div", { class: "grid" }, type.wrap, property.wrap),
    el("p", { class: "muted small", id: hintId },
      "Eine Besichtigung, ein Exposéversand, eine Widerrufsbelehrung oder eine Anfrage zu einem aktiven "
      + "Objekt gilt als erneutes Interesse: ein automatisches Speichern-Bis-Datum wird dann zurückgesetzt."),
    note.wrap, el("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    const body = { type: type.input.value };
    if (property.input.value.trim()) body.property_id = property.input.value.trim();
    // A well-formed id that is none of the agency's properties (the API explains a malformed one).
    if (body.property_id && known && /^[A-Za-z0-9_.:-]{1,100}$/.test(body.property_id)
        && !known.has(body.property_id)) {
      const unknown = new ApiError(422, "validation_failed", "Bitte prüfen Sie Ihre Angaben.",
        { property_id: "Unbekannte Immobilie – bitte aus der Liste wählen." });
      markInvalid(form, unknown);
      showError(box, unknown, ADDRESS_LABELS);
      return;
    }
    if (note.input.value.trim()) body.note = note.input.value.trim();
    submit.disabled = true;
    try {
      const added = await api("POST", "/agency/addresses/" + qs(address.address_id) + "/activities", body);
      await reloadWith("Die Aktivität wurde gespeichert." + (added && added.store_until_reset
        ? " Das Speichern-Bis-Datum wurde zurückgesetzt (erneutes Interesse an einem aktiven Objekt)." : ""), reload);
    } catch (error) {
      if (error.status === 401) return;
      const invalid = markInvalid(form, error);
      showError(box, error, ADDRESS_LABELS);
      if (invalid) invalid.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function printableButton(address, box) {
  const button = el("button", { type: "button" }, "Einwilligungsnachweis öffnen (Druckansicht)");
  button.addEventListener("click", async () => {
    hideMessage(box);
    const tab = openTab("Einwilligungsnachweis wird geladen …");
    if (!tab) {
      showError(box, new ApiError(0, "popup_blocked",
        "Der Browser hat das neue Fenster blockiert. Bitte erlauben Sie Pop-ups für das Dashboard."));
      return;
    }
    button.disabled = true;
    try {
      await showInTab(tab, "/agency/addresses/" + qs(address.address_id) + "/consent-records?format=html");
    } catch (error) {
      tab.close();
      if (error.status !== 401) showError(box, error);
    } finally {
      button.disabled = false;
    }
  });
  return el("div", { class: "actions" }, button);
}

/** The GDPR inputs (status, manual store-until, reason) and the body they ask for. */
function gdprFields(current, settings) {
  const status = field("DSGVO-Status", { name: "gdpr_status" }, "select");
  for (const code of ["none", "ignore", "deletion_requested"]) {
    status.input.append(el("option", { value: code, selected: current.gdpr_status === code }, GDPR_STATUS[code][0]));
  }
  if (current.gdpr_status === "consented") {
    status.input.prepend(el("option", { value: "consented", selected: true, disabled: true }, GDPR_STATUS.consented[0]));
  }
  const until = field("Speichern-Bis-Datum (manuell)", { name: "store_until", type: "date",
    value: current.store_until_manual ? current.store_until : "" });
  const reason = field("Speichern-Bis-Grund", { name: "store_until_reason" }, "select");
  reason.input.append(el("option", { value: "" }, "–"));
  for (const value of settings.store_until_reasons || []) {
    reason.input.append(el("option", { value, selected: value === current.store_until_reason }, value));
  }
  // Only what differs from the current state: consent is never set here, and an empty date
  // leaves the store-until date as it is.
  const values = () => {
    const body = {};
    if (status.input.value !== (current.gdpr_status || "none") && status.input.value !== "consented") {
      body.gdpr_status = status.input.value;
    }
    if (until.input.value) {
      body.store_until = until.input.value;
      body.store_until_reason = reason.input.value || null;
    }
    return body;
  };
  return { status, until, reason, values };
}

function gdprForm(address, preview, settings, box, reload) {
  const { status, until, reason, values } = gdprFields(preview, settings);
  const save = el("button", { type: "submit", class: "primary" }, "DSGVO-Angaben speichern");
  const automatic = el("button", { type: "button" }, "Speichern-Bis-Datum automatisch bestimmen");
  const form = el("form", { class: "card", novalidate: true, "aria-labelledby": "gdpr-form-title" },
    el("h3", { id: "gdpr-form-title" }, "DSGVO-Angaben ändern"),
    el("p", { class: "muted small" }, "„Speicherung zugestimmt“ entsteht nur über den Link in der E-Mail des Einverständnis-Assistenten."),
    status.wrap, until.wrap, reason.wrap, el("div", { class: "actions" }, save, automatic));
  async function patch(body, button) {
    hideMessage(box);
    button.disabled = true;
    try {
      await api("PATCH", "/agency/addresses/" + qs(address.address_id), body);
      await reloadWith("Die DSGVO-Angaben wurden gespeichert.", reload);
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, ADDRESS_LABELS);
    } finally {
      button.disabled = false;
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = values();
    if (!Object.keys(body).length) {
      showError(box, new ApiError(422, "nothing_changed", "Es wurde nichts geändert."));
      return;
    }
    patch(body, save);
  });
  automatic.addEventListener("click", async () => {
    // Clearing re-applies the automatic rule at once; with nightly deletion on, a date that
    // is already past means the address goes in the next night's run.
    if (settings.auto_delete_expired && (preview.interest_properties || []).length) {
      const sure = await confirmDialog("Speichern-Bis-Datum automatisch bestimmen?",
        "Das Datum wird sofort nach der Regel „Objekt archiviert“ neu gesetzt. Liegt es in der "
        + "Vergangenheit, wird die Adresse in der nächsten Nacht automatisch gelöscht "
        + "(automatische Löschung ist eingeschaltet).", "Automatisch bestimmen", true);
      if (!sure) return;
    }
    patch({ store_until: null }, automatic);
  });
  return form;
}

function addressActions(address, box, main) {
  const consent = el("button", { type: "button" }, "Einwilligung per E-Mail anfragen");
  consent.addEventListener("click", () => requestConsent([address], consent, box));
  const remove = el("button", { type: "button", class: "danger needs-editor" }, "Adresse löschen");
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
  const [settings, profile, ...lists] = await Promise.all([
    api("GET", "/agency/gdpr/settings"),
    api("GET", "/agency/profile"),
    ...WORKLISTS.map(([name]) => api("GET", "/agency/gdpr/widgets/" + name)),
  ]);
  const reload = () => gdprOverview(main);
  page(main, "DSGVO",
    el("p", { class: "muted" }, "Die drei Arbeitslisten zeigen, was datenschutzrechtlich fällig ist."),
    WORKLISTS.map(([name, title, hint], i) => worklist(name, title, hint, lists[i], reload, settings)),
    profileForm(profile), settingsForm(settings));
}

// Which bulk action a list offers: every address of the Einverständnis-Assistent has a
// future date (no deletion); a deletion request is not asked for consent again.
const LIST_ACTIONS = {
  "consent-assistant": { consent: true, remove: false },
  "deletion-requested": { consent: false, remove: true },
  expired: { consent: false, remove: true },
};

function worklist(name, title, hint, first, reload) {
  const titleId = "list-" + name;
  const box = message();
  const addresses = [...(first.addresses || [])];
  const total = first.total === undefined ? addresses.length : first.total;
  const section = el("section", { class: "card worklist", "data-worklist": name, "aria-labelledby": titleId },
    el("h3", { id: titleId }, title + " (" + total + ")"), el("p", { class: "muted small" }, hint), box);
  if (!addresses.length) {
    section.append(el("p", { class: "muted" }, "Keine Adressen in dieser Liste."));
    return section;
  }
  const all = checkbox("Alle auswählen", { name: "select-all-" + name });
  const pickOf = (address) => {
    const pick = { address, box: checkbox("Auswählen: " + fullName(address), { name: "address_id", value: address.address_id }) };
    pick.box.wrap.querySelector("label").classList.add("visually-hidden");
    return pick;
  };
  const picks = addresses.map(pickOf);
  // The selection spans the pages loaded so far ("Weitere laden" appends to it).
  const selected = () => picks.filter((p) => p.box.input.checked).map((p) => p.address);
  const consent = el("button", { type: "button", class: "primary" }, "Einwilligung anfragen");
  const remove = el("button", { type: "button", class: "danger needs-editor" }, "Löschen");
  const count = el("span", { class: "muted small", "aria-live": "polite" }, "0 ausgewählt");
  const shown = el("span", { class: "muted small", "data-shown": "" });
  const update = () => {
    const n = selected().length;
    count.textContent = n + " ausgewählt";
    shown.textContent = picks.length + " von " + total + " angezeigt";
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
    const sure = await confirmDialog(counted(chosen.length, "Adresse", "Adressen") + " endgültig löschen?",
      chosen.map(fullName).join(", ") + " – mit allen Aktivitäten, Nachweisen und Registrierungen. "
      + "Das lässt sich nicht rückgängig machen.", "Endgültig löschen", true);
    if (!sure) return;
    remove.disabled = true;
    try {
      const names = Object.fromEntries(chosen.map((a) => [a.address_id, fullName(a)]));
      const result = await api("POST", "/agency/addresses/bulk-delete", { address_ids: chosen.map((a) => a.address_id) });
      const refused = (result.refused || []).map((r) => ({ ...r, name: names[r.address_id] }));
      const text = counted((result.deleted || []).length, "Adresse", "Adressen") + " gelöscht."
        + (refused.length ? " Nicht gelöscht – " + reasonList(refused) + "." : "");
      await reload();
      showOk(document.querySelector('[data-worklist="' + name + '"] .message'), text);
    } catch (error) {
      remove.disabled = false;
      if (error.status !== 401) showError(box, error, ADDRESS_LABELS);
    }
  });
  const rowOf = ({ address, box: pick }) => el("tr", { "data-address-id": address.address_id },
    el("td", {}, pick.wrap),
    el("td", {}, el("a", { href: "#/addresses/" + qs(address.address_id) }, fullName(address))),
    el("td", {}, address.email || "–"),
    el("td", {}, badge(GDPR_STATUS, address.gdpr_status)),
    storeUntilCell(address),
    el("td", {}, (address.activities || [])[0]
      ? (ACTIVITY[address.activities[0].type] || address.activities[0].type) + ", " + formatDate(address.activities[0].created_at)
      : "–"));
  const rows = picks.map(rowOf);
  const listTable = table(title, ["Auswahl", "Name", "E-Mail", "DSGVO-Status", "Speichern-Bis-Datum", "Letzte Aktivität"], rows);
  const actions = LIST_ACTIONS[name] || { consent: true, remove: true };
  let cursor = first.next_cursor;
  const more = el("button", { type: "button", class: "more" }, "Weitere laden");
  more.hidden = !cursor;
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const next = await api("GET", "/agency/gdpr/widgets/" + name + "?cursor=" + qs(cursor));
      const added = (next.addresses || []).map(pickOf);
      for (const pick of added) {
        pick.box.input.checked = all.input.checked;
        pick.box.input.addEventListener("change", update);
      }
      picks.push(...added);
      listTable.querySelector("tbody").append(...added.map(rowOf));
      cursor = next.next_cursor;
      more.hidden = !cursor;
      update();
    } catch (error) {
      if (error.status !== 401) showError(box, error);
    } finally {
      more.disabled = false;
    }
  });
  section.append(el("div", { class: "row" }, all.wrap, count, shown), listTable, more,
    el("div", { class: "actions" }, actions.consent ? consent : null, actions.remove ? remove : null));
  update();
  return section;
}

function settingsForm(settings) {
  const box = message();
  const auto = checkbox("Speichern-Bis-Datum automatisch setzen, wenn ein Objekt archiviert wird",
    { name: "auto_store_until", checked: settings.auto_store_until });
  const days = field("Aufbewahrung nach Archivierung (Tage)", { name: "retention_days", type: "number", min: 1,
    max: 3650, required: true, value: settings.retention_days });
  const autoDelete = checkbox("Abgelaufene Adressen nachts automatisch löschen",
    { name: "auto_delete_expired", checked: settings.auto_delete_expired });
  const reasons = field("Eigene Speichern-Bis-Gründe (einer pro Zeile)", { name: "custom_reasons", rows: 3 }, "textarea");
  reasons.input.value = (settings.custom_reasons || []).join("\n");
  const save = el("button", { type: "submit", class: "primary" }, "Einstellungen speichern");
  const form = el("form", { class: "card needs-owner", novalidate: true, "aria-labelledby": "settings-title" },
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
