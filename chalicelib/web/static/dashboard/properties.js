// Properties ("Immobilien"): create, list, archive (showing for whom the automatic
// Speichern-Bis-Datum was set and who is excluded, with the reason), the owner, buyer
// and tenant relations, the address picked from the address book's search, and
// "Bewertung anfragen" for the property's buyers and tenants (invitations.js).

import { api, el, field, hideMessage, markInvalid, showError, showOk } from "/ui/common.js";
import { counted } from "/ui/plural.js";
import { page, message, table, fullName, qs, allPages } from "/dashboard/views.js";
import { ROLE } from "/dashboard/labels.js";
import { bulkInviteButton } from "/dashboard/invitations.js";

const STATUS = { active: "aktiv", archived: "archiviert" };
const EXCLUDED = {
  manual_date: "Speichern-Bis-Datum manuell gesetzt",
  consented: "DSGVO-Status „Speicherung zugestimmt“",
  ignored: "DSGVO-Status „Ignorieren“",
  interested_in_active_property: "Interesse an einer anderen aktiven Immobilie",
  owner_buyer_tenant: "Eigentümer, Käufer oder Mieter einer Immobilie",
  company: "Anrede „Firma“ mit Firmenname",
  assigned_to_user: "einem Benutzer zugeordnet",
};

/** Every property of the agency (for the pickers). */
export async function allProperties() {
  return allPages((cursor) => api("GET", "/agency/properties" + (cursor ? "?cursor=" + qs(cursor) : "")),
    "properties", 20);
}

export async function listProperties(main) {
  const box = message();
  const properties = await allProperties();
  const reload = () => listProperties(main);
  const title = field("Titel", { name: "title", required: true, maxlength: 200 });
  const create = el("button", { type: "submit", class: "primary" }, "Immobilie anlegen");
  const form = el("form", { class: "card needs-editor", novalidate: true, "aria-labelledby": "new-property" },
    el("h3", { id: "new-property" }, "Neue Immobilie"), title.wrap, el("div", { class: "actions" }, create));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    create.disabled = true;
    try {
      await api("POST", "/agency/properties", { title: title.input.value.trim() });
      await reload();
      showOk(document.querySelector("#main .message"), "Die Immobilie wurde angelegt.");
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, { title: "Titel" });
    } finally {
      create.disabled = false;
    }
  });
  const rows = properties.map((p) => el("tr", { "data-property-id": p.property_id },
    el("td", {}, p.title), el("td", {}, el("code", {}, p.property_id)),
    el("td", {}, STATUS[p.status] || p.status + (p.archived_on ? "" : "")),
    el("td", {}, p.archived_on || "–"),
    el("td", {}, p.status === "active" ? archiveButton(p, box, reload) : "–", " ", relationButton(p, box), " ", bulkInviteButton(p, box))));
  page(main, "Immobilien", box,
    el("p", { class: "muted" }, "Beim Archivieren erhalten die Interessenten automatisch ein "
      + "Speichern-Bis-Datum (Einstellung unter DSGVO); Eigentümer, Käufer und Mieter sind ausgenommen."),
    form,
    properties.length ? table("Immobilien", ["Titel", "Objekt-ID", "Status", "Archiviert am", "Aktionen"], rows)
      : el("p", { class: "muted" }, "Noch keine Immobilien."));
}

function archiveButton(property, box, reload) {
  const button = el("button", { type: "button", class: "needs-editor" }, "Archivieren");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const result = await api("POST", "/agency/properties/" + qs(property.property_id) + "/archive");
      const set = (result.store_until_set || []).length;
      const excluded = (result.excluded || []).map((e) => e.address_id + ": " + (EXCLUDED[e.reason] || e.reason));
      await reload();
      showOk(document.querySelector("#main .message"), "„" + property.title + "“ archiviert. "
        + (result.auto_store_until ? "Speichern-Bis-Datum gesetzt für " + counted(set, "Adresse", "Adressen") + "." : "Automatisches Speichern-Bis-Datum ist ausgeschaltet.")
        + (excluded.length ? " Ausgenommen: " + excluded.join("; ") + "." : ""));
    } catch (error) {
      button.disabled = false;
      if (error.status !== 401) showError(box, error);
    }
  });
  return button;
}

function relationButton(property, box) {
  const button = el("button", { type: "button", class: "needs-editor" }, "Beziehung eintragen");
  button.addEventListener("click", () => {
    const cell = button.parentElement;
    button.remove();
    cell.append(relationForm(property, box));
  });
  return button;
}

function relationForm(property, box) {
  const role = field("Rolle", { name: "role" }, "select");
  role.input.append(...Object.entries(ROLE).map(([value, label]) => el("option", { value }, label)));
  const search = field("Adresse suchen", { name: "q", type: "search", autocomplete: "off" });
  const pick = field("Adresse", { name: "address_id", required: true }, "select");
  const save = el("button", { type: "submit", class: "primary" }, "Eintragen");
  let timer = null;
  search.input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const value = search.input.value.trim();
      if (value.length < 2) return;
      try {
        const data = await api("GET", "/agency/addresses?q=" + qs(value));
        pick.input.replaceChildren(...(data.addresses || []).map((a) =>
          el("option", { value: a.address_id }, fullName(a) + (a.email ? " <" + a.email + ">" : ""))));
      } catch (error) {
        if (error.status !== 401) showError(box, error);
      }
    }, 300);
  });
  const form = el("form", { class: "relation", novalidate: true, "aria-label": "Beziehung zu " + property.title },
    role.wrap, search.wrap, pick.wrap, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pick.input.value) {
      showError(box, new Error("Bitte eine Adresse aus der Suche wählen."));
      return;
    }
    save.disabled = true;
    try {
      await api("POST", "/agency/properties/" + qs(property.property_id) + "/relations",
        { address_id: pick.input.value, role: role.input.value });
      showOk(box, ROLE[role.input.value] + " eingetragen: " + pick.input.selectedOptions[0].textContent
        + " (vom automatischen Speichern-Bis-Datum ausgenommen).");
    } catch (error) {
      if (error.status !== 401) showError(box, error);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
