// Tours: list, create and edit the protection settings, leads with approve/deny, stats,
// CSV export of the leads.

import {
  api, el, field, checkbox, showError, showOk, hideMessage, markInvalid,
  formatDateTime, confirmDialog,
} from "/ui/common.js";
import { FIELD, MODE, REGISTRATION_STATUS } from "/dashboard/labels.js";
import { page, badge, message, act, allPages, table, fullName, qs } from "/dashboard/views.js";
import { toCsv, download } from "/dashboard/csv.js";
import { mediaSection } from "/dashboard/media.js";

const FIELD_NAMES = ["first_name", "last_name", "email", "phone", "street", "zip", "city", "message"];
const STATS = [
  ["registrations", "Registrierungen"],
  ["unlocked", "Freigeschaltet"],
  ["pending_email", "Wartet auf E-Mail"],
  ["pending_approval", "Wartet auf Freigabe"],
  ["denied", "Abgelehnt"],
];
const FORM_LABELS = {
  title: "Titel", tour_url: "Rundgang-URL", property_id: "Objekt-ID",
  "protection.mode": "Schutz", "protection.required_fields": "Pflichtfelder",
  "protection.protected_viewpoints": "Geschützte Standpunkte",
  "contact.name": "Name des Ansprechpartners", "contact.company": "Firma", "contact.email": "E-Mail des Ansprechpartners",
  "contact.phone": "Telefon des Ansprechpartners", privacy_url: "Datenschutzerklärung",
};

export async function listTours(main) {
  const box = message();
  page(main, "Rundgänge", box);
  const data = await api("GET", "/agency/tours");
  const tours = data.tours || [];
  const rows = tours.map((tour) => el("tr", {},
    el("td", {}, el("a", { href: "#/tours/" + qs(tour.tour_id) }, tour.title)),
    el("td", {}, MODE[tour.protection && tour.protection.mode] || "–"),
    el("td", {}, tour.property_id || "–"),
    el("td", {}, formatDateTime(tour.created_at))));
  main.append(
    el("div", { class: "actions" }, el("a", { class: "button primary needs-editor", href: "#/tours/new" }, "Neuer Rundgang")),
    tours.length ? table("Ihre Rundgänge", ["Titel", "Schutz", "Objekt", "Angelegt"], rows)
      : el("p", { class: "muted" }, "Noch keine Rundgänge angelegt."));
}

export async function tourDetail(main, tourId, leadId) {
  const [tour, stats, registrations] = await Promise.all([
    api("GET", "/agency/tours/" + qs(tourId)),
    api("GET", "/agency/tours/" + qs(tourId) + "/stats"),
    allPages((cursor) => api("GET", "/agency/tours/" + qs(tourId) + "/registrations"
      + (cursor ? "?cursor=" + qs(cursor) : "")), "registrations"),
  ]);
  const box = message();
  const protection = tour.protection || {};
  const contact = tour.contact || {};
  page(main, tour.title, box,
    el("p", {}, el("a", { href: "#/tours" }, "← Alle Rundgänge")),
    el("section", { class: "card", "aria-labelledby": "settings-title" },
      el("h3", { id: "settings-title" }, "Einstellungen"),
      el("dl", { class: "grid" },
        definition("Schutz", MODE[protection.mode] || protection.mode),
        definition("Pflichtfelder", (protection.required_fields || []).map((f) => FIELD[f] || f).join(", ")),
        definition("Geschützte Standpunkte", (protection.protected_viewpoints || []).join(", ") || "keine"),
        definition("Rundgang-URL", tour.tour_url),
        definition("Objekt-ID", tour.property_id || "–"),
        definition("Ansprechpartner", [contact.name, contact.company, contact.email, contact.phone]
          .filter(Boolean).join(" · "))),
      el("div", { class: "actions" },
        el("a", { class: "button needs-editor", href: "#/tours/" + qs(tourId) + "/edit" }, "Einstellungen bearbeiten"))),
    mediaSection(tour),
    embedSection(tour, box),
    el("section", { class: "card", "aria-labelledby": "stats-title" },
      el("h3", { id: "stats-title" }, "Statistik"),
      el("ul", { class: "stats" }, STATS.map(([key, label]) =>
        el("li", { "data-stat": key }, el("strong", {}, String(stats[key] ?? 0)), label)))),
    funnelSection(stats),
    leadsSection(tour, registrations, box, () => tourDetail(main, tourId, leadId)),
    el("section", { class: "card", id: "lead-viewing", hidden: true, "aria-live": "polite" }));
  // A deep link to one lead (the manual-release mail): mark its row and bring it into view.
  const lead = leadId && [...main.querySelectorAll("tr[data-registration-id]")]
    .find((row) => row.dataset.registrationId === leadId);
  if (lead) {
    lead.classList.add("highlight");
    lead.setAttribute("aria-current", "true");
    lead.scrollIntoView({ block: "center" });
  }
}

// The snippet an integrator pastes into the player page: the script and an init call.
export function embedSnippet(tour, origin) {
  const viewpoints = (tour.protection && tour.protection.protected_viewpoints) || [];
  return '<script src="' + origin + '/embed/v1.js"></script>\n<script>\n'
    + "  Freigabe.init({\n    tourId: " + JSON.stringify(tour.tour_id) + ",\n"
    + "    container: document.getElementById(\"panorama\"), // das Element Ihres Players\n"
    + "    fallbackProtected: " + JSON.stringify(viewpoints) + "\n  }).then(function (info) {\n"
    + "    if (info.viewpointId) { /* diesen Standpunkt öffnen */ }\n  });\n<\/script>";
}

function embedSection(tour, box) {
  const snippet = el("textarea", { id: "embed-snippet", readonly: true, rows: 10, class: "code",
    "aria-describedby": "embed-hint" });
  snippet.value = embedSnippet(tour, location.origin);
  const copy = el("button", { type: "button", id: "copy-snippet" }, "Code kopieren");
  copy.addEventListener("click", async () => {
    snippet.select();
    try { await navigator.clipboard.writeText(snippet.value); showOk(box, "Der Code ist in der Zwischenablage."); }
    catch { showOk(box, "Bitte kopieren Sie den markierten Code (Strg+C)."); }
  });
  return el("section", { class: "card", "aria-labelledby": "embed-title" },
    el("h3", { id: "embed-title" }, "In den Rundgang einbinden"),
    el("dl", { class: "grid" }, definition("Rundgang-ID", el("code", { id: "tour-id" }, tour.tour_id)),
      definition("Datenschutzerklärung", tour.privacy_url || "aus dem Profil der Agentur"),
      definition("Erlaubte Player-Origins", (tour.allowed_origins || []).join(", ") || "alle")),
    el("label", { for: "embed-snippet" }, "Code für die Seite des Tour-Players"),
    snippet,
    el("p", { class: "muted small", id: "embed-hint" },
      "Geschützte Standpunkte öffnet der Player erst nach Freigabe.requestAccess(id); ihre Bilder lädt er mit Freigabe.mediaUrl(id). Anleitung: README, Abschnitt „Integrator's guide“."),
    el("div", { class: "actions" }, copy));
}

const FUNNEL = [
  ["tour_views", "Rundgang geöffnet"], ["form_opened", "Formular geöffnet"],
  ["registrations", "Registriert"], ["unlocked", "Freigeschaltet"],
];

function funnelSection(stats) {
  const funnel = stats.funnel || {};
  const top = Math.max(1, funnel.tour_views || 0, funnel.registrations || 0);
  const points = stats.viewpoints || [];
  const longest = Math.max(1, ...points.map((v) => v.seconds));
  return el("section", { class: "card", "aria-labelledby": "funnel-title" },
    el("h3", { id: "funnel-title" }, "Trichter"),
    el("ol", { class: "funnel" }, FUNNEL.map(([key, label]) => el("li", { "data-funnel": key },
      el("span", {}, label + ": "), el("strong", {}, String(funnel[key] ?? 0)), " ",
      el("meter", { min: 0, max: top, value: funnel[key] || 0, "aria-label": label })))),
    el("h4", {}, "Standpunkte"),
    points.length ? table("Aufrufe und Verweildauer je Standpunkt", ["Standpunkt", "Aufrufe", "Zeit", ""],
      points.map((v) => el("tr", { "data-viewpoint": v.viewpoint_id },
        el("td", {}, v.viewpoint_id), el("td", {}, String(v.views)), el("td", {}, duration(v.seconds)),
        el("td", {}, el("meter", { min: 0, max: longest, value: v.seconds, "aria-label": "Zeit " + v.viewpoint_id })))))
      : el("p", { class: "muted" }, "Noch keine Aufrufe gemeldet."));
}

export function duration(seconds) {
  const s = Number(seconds) || 0;
  if (s < 60) return s + " s";
  const m = Math.floor(s / 60);
  return m < 60 ? m + " min " + (s % 60) + " s" : Math.floor(m / 60) + " h " + (m % 60) + " min";
}

async function showViewing(reg) {
  const card = document.getElementById("lead-viewing");
  const full = await api("GET", "/agency/registrations/" + qs(reg.registration_id));
  const viewing = full.viewing || {};
  card.replaceChildren(
    el("h3", { id: "viewing-title" }, "Rundgang-Verlauf: " + (fullName(reg) || reg.email)),
    viewing.accepted
      ? el("div", {},
        el("p", {}, viewing.visits + " Besuch(e), " + duration(viewing.seconds) + ", zuletzt "
          + formatDateTime(viewing.last_seen_at)),
        el("ol", { class: "timeline" }, (viewing.timeline || []).map((visit) => el("li", {},
          el("strong", {}, formatDateTime(visit.started_at)), " – " + duration(visit.seconds) + ": ",
          visit.viewpoints.map((v) => v.viewpoint_id + " (" + duration(v.seconds) + ")").join(", ") || "nur Start"))))
      : el("p", { class: "muted" }, "Die Person hat der Auswertung ihres Rundgangs nicht zugestimmt."));
  card.hidden = false;
  card.scrollIntoView({ block: "nearest" });
}

function definition(term, value) {
  return el("div", {}, el("dt", { class: "muted small" }, term), el("dd", {}, value || "–"));
}

function leadsSection(tour, registrations, box, reload) {
  const exportButton = el("button", { type: "button", id: "export-csv" }, "Leads als CSV exportieren");
  exportButton.addEventListener("click", () => {
    download(csvName(tour), leadsCsv(registrations));
    showOk(box, "Die CSV-Datei mit " + registrations.length + " Lead(s) wurde erstellt.");
  });
  const rows = registrations.map((reg) => el("tr", { "data-registration-id": reg.registration_id },
    el("td", {}, fullName(reg)),
    el("td", {}, reg.email || "–", reg.undeliverable
      ? [" ", el("span", { class: "badge danger", title: "Mails an diese Adresse kommen nicht an." }, "Unzustellbar")]
      : null),
    el("td", {}, reg.phone || "–"),
    el("td", {}, badge(REGISTRATION_STATUS, reg.status)),
    el("td", {}, formatDateTime(reg.created_at)),
    el("td", {}, viewingButton(reg)),
    el("td", {}, decisionButtons(reg, box, reload))));
  return el("section", { class: "card", "aria-labelledby": "leads-title" },
    el("h3", { id: "leads-title" }, "Leads"),
    el("div", { class: "actions" }, exportButton),
    registrations.length
      ? table("Registrierungen zu diesem Rundgang", ["Name", "E-Mail", "Telefon", "Status", "Eingang", "Angesehen", "Aktion"], rows)
      : el("p", { class: "muted" }, "Noch keine Registrierungen."));
}

function viewingButton(reg) {
  const viewing = reg.viewing || {};
  if (!viewing.accepted) return el("span", { class: "muted small" }, "keine Zustimmung");
  const button = el("button", { type: "button", class: "small", "data-viewing": reg.registration_id },
    duration(viewing.seconds) + " · " + viewing.visits + " Besuch(e)");
  button.addEventListener("click", () => showViewing(reg));
  return button;
}

function decisionButtons(reg, box, reload) {
  if (reg.status !== "pending_approval") return "–";
  const name = fullName(reg);
  const approve = el("button", { type: "button", class: "primary needs-editor", "aria-label": "Zugang gewähren für " + name },
    "Zugang gewähren");
  const deny = el("button", { type: "button", class: "needs-editor", "aria-label": "Zugang verweigern für " + name }, "Zugang verweigern");
  const path = "/agency/registrations/" + qs(reg.registration_id);
  approve.addEventListener("click", async () => {
    const done = await act(approve, box, () => api("POST", path + "/approve"));
    if (done !== undefined) {
      await reload();
      showOk(document.querySelector("#main .message"), "Zugang gewährt: " + name + " erhält eine E-Mail mit dem Weg in den Rundgang.");
    }
  });
  deny.addEventListener("click", async () => {
    const sure = await confirmDialog("Zugang verweigern?",
      name + " erhält eine E-Mail, dass der Zugang nicht gewährt wurde.", "Zugang verweigern", true);
    if (!sure) return;
    const done = await act(deny, box, () => api("POST", path + "/deny"));
    if (done !== undefined) {
      await reload();
      showOk(document.querySelector("#main .message"), "Zugang verweigert: " + name + ".");
    }
  });
  return el("div", { class: "row" }, approve, deny);
}

export function leadsCsv(registrations) {
  const header = ["Registrierungs-ID", "Status", "Eingang", ...FIELD_NAMES.map((f) => FIELD[f]), "Unzustellbar",
    "Entschieden", "Freigeschaltet", "Besuche", "Sekunden im Rundgang"];
  const rows = registrations.map((reg) => {
    const viewing = (reg.viewing && reg.viewing.accepted) ? reg.viewing : null;
    return [
      reg.registration_id, (REGISTRATION_STATUS[reg.status] || [reg.status])[0], formatDateTime(reg.created_at),
      ...FIELD_NAMES.map((f) => reg[f]), reg.undeliverable ? "ja" : "nein",
      formatDateTime(reg.decided_at), formatDateTime(reg.unlocked_at),
      viewing ? String(viewing.visits) : "", viewing ? String(viewing.seconds) : ""];
  });
  return toCsv(header, rows);
}

function csvName(tour) {
  const slug = String(tour.title || "rundgang").toLowerCase().replace(/[^a-z0-9äöüß]+/g, "-").replace(/^-|-$/g, "");
  return "leads-" + (slug || "rundgang") + ".csv";
}

// -- create / edit ------------------------------------------------------------------------

export async function tourForm(main, tourId) {
  const tour = tourId ? await api("GET", "/agency/tours/" + qs(tourId)) : null;
  const protection = (tour && tour.protection) || { mode: "email", required_fields: ["first_name", "last_name", "email"] };
  const contact = (tour && tour.contact) || {};
  const box = message();

  const title = field("Titel", { name: "title", type: "text", required: true, maxlength: 200, value: tour ? tour.title : "" });
  const url = field("Rundgang-URL", { name: "tour_url", type: "url", required: true, value: tour ? tour.tour_url : "",
    placeholder: "https://…", "aria-describedby": "tour-url-hint" });
  const urlHint = el("p", { class: "muted small", id: "tour-url-hint" },
    "Die Seite mit dem Rundgang. Nach der Freischaltung landen Interessenten dort.");
  const privacy = field("Datenschutzerklärung (URL, optional)", { name: "privacy_url", type: "url",
    value: tour && tour.privacy_url ? tour.privacy_url : "", placeholder: "https://…", "aria-describedby": "privacy-hint" });
  const privacyHint = el("p", { class: "muted small", id: "privacy-hint" },
    "Verlinkt im Registrierungsformular. Leer: die Datenschutzerklärung aus dem Profil der Agentur.");
  const property = field("Objekt-ID (optional)", { name: "property_id", type: "text", maxlength: 100,
    value: tour && tour.property_id ? tour.property_id : "" });
  const mode = field("Schutz", { name: "protection.mode" }, "select");
  for (const [value, label] of Object.entries(MODE)) {
    mode.input.append(el("option", { value, selected: value === protection.mode }, label));
  }
  const required = FIELD_NAMES.map((name) => checkbox(FIELD[name], {
    name: "required_field", value: name, checked: name === "email" || (protection.required_fields || []).includes(name),
    disabled: name === "email",
  }));
  const viewpoints = field("Geschützte Standpunkte (einer pro Zeile)", {
    name: "protection.protected_viewpoints", rows: 4, "aria-describedby": "viewpoints-hint" }, "textarea");
  viewpoints.input.value = (protection.protected_viewpoints || []).join("\n");
  const viewpointsHint = el("p", { class: "muted small", id: "viewpoints-hint" },
    "Die IDs der Standpunkte im Tour-Player, z. B. wohnzimmer oder bad.");
  const contactFields = {
    name: field("Name des Ansprechpartners", { name: "contact.name", type: "text", required: true, autocomplete: "name", value: contact.name || "" }),
    company: field("Firma", { name: "contact.company", type: "text", required: true, autocomplete: "organization", value: contact.company || "" }),
    email: field("E-Mail des Ansprechpartners", { name: "contact.email", type: "email", required: true, autocomplete: "email", value: contact.email || "" }),
    phone: field("Telefon des Ansprechpartners", { name: "contact.phone", type: "tel", required: true, autocomplete: "tel", value: contact.phone || "" }),
  };
  const submit = el("button", { type: "submit", class: "primary" }, tour ? "Speichern" : "Rundgang anlegen");
  const form = el("form", { novalidate: true, class: "card" },
    title.wrap, url.wrap, urlHint, privacy.wrap, privacyHint, property.wrap,
    el("fieldset", {}, el("legend", {}, "Schutz"), mode.wrap,
      el("fieldset", {}, el("legend", {}, "Pflichtfelder der Registrierung"),
        el("p", { class: "muted small" }, "Die E-Mail-Adresse ist immer Pflicht."),
        required.map((r) => r.wrap)),
      viewpoints.wrap, viewpointsHint),
    el("fieldset", {}, el("legend", {}, "Ansprechpartner (steht in jeder Mail zu diesem Rundgang)"),
      Object.values(contactFields).map((f) => f.wrap)),
    el("div", { class: "actions" }, submit,
      el("a", { class: "button", href: tour ? "#/tours/" + qs(tourId) : "#/tours" }, "Abbrechen")));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    const body = {
      title: title.input.value.trim(),
      tour_url: url.input.value.trim(),
      protection: {
        mode: mode.input.value,
        required_fields: required.filter((r) => r.input.checked).map((r) => r.input.value),
        protected_viewpoints: viewpoints.input.value.split(/[\n,]/).map((v) => v.trim()).filter(Boolean),
      },
      contact: Object.fromEntries(Object.entries(contactFields).map(([k, f]) => [k, f.input.value.trim()])),
    };
    if (property.input.value.trim()) body.property_id = property.input.value.trim();
    // Empty on a tour that had one clears it; empty on a new tour leaves the field out.
    if (privacy.input.value.trim()) body.privacy_url = privacy.input.value.trim();
    else if (tour && tour.privacy_url) body.privacy_url = null;
    // PUT replaces the tour: keep the player origins set through the API, or the edit would reopen CORS.
    if (tour && tour.allowed_origins) body.allowed_origins = tour.allowed_origins;
    submit.disabled = true;
    try {
      const saved = tour ? await api("PUT", "/agency/tours/" + qs(tourId), body)
        : await api("POST", "/agency/tours", body);
      location.hash = "#/tours/" + qs(saved.tour_id);
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, FORM_LABELS);
      box.focus();
    } finally {
      submit.disabled = false;
    }
  });
  box.tabIndex = -1;
  page(main, tour ? "Rundgang bearbeiten: " + tour.title : "Neuer Rundgang", box, form);
}
