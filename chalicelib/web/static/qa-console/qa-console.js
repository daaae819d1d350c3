// The QA console (/qa-console/): the review queue with findings and due dates, decisions with a
// reason, phone checks, and report cases with their timeline. Only the contract's QA API is
// used; every piece of data reaches the page through textContent (common.js's el()).

import {
  configure, api, ensureSession, signOutEverywhere, mountSignIn, el, replace, field, checkbox,
  showError, showOk, hideMessage, markInvalid, formatDate, formatDateTime, ApiError,
} from "/ui/common.js";
import { REVIEW_STATUS, REPORT_CATEGORY } from "/dashboard/labels.js";
import { queueSummary } from "/qa-console/counts.js";

// The QA promise of the verification notice (FREIGABE_REVIEW_SLA_WORKING_DAYS, default 2).
const SLA_WORKING_DAYS = 2;

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOut = document.getElementById("sign-out");
const who = document.getElementById("who");

const CHECK = {
  self_review: "Eigenbewertung",
  multiple_review: "Mehrfachbewertung",
  abusive_language: "Schmähkritik / Beleidigung",
  duplicate_text: "Doppelter Text",
  contact_data_in_text: "Kontaktdaten im Text",
  reverification_unanswered: "Erneute Bestätigung nicht beantwortet",
  phone_check_failed: "Telefonische Prüfung nicht bestätigt",
  contact_undeliverable: "E-Mail nicht zustellbar",
};
const REJECT_CATEGORY = {
  "": "Aus den Befunden ableiten",
  self_review: "Eigenbewertung",
  multiple_review: "Mehrfachbewertung",
  abusive_language: "Schmähkritik oder Formalbeleidigung",
  duplicate_text: "Bereits veröffentlichter oder kopierter Text",
  contact_data_in_text: "Kontaktdaten, Links oder Werbung im Text",
  not_verified: "Echtheit nicht bestätigt",
  other: "Verstoß gegen die Nutzungsrichtlinien",
};
const OUTCOME = {
  keep: "Bewertung bleibt veröffentlicht",
  block: "Bewertung sperren",
  delete: "Bewertung löschen",
};
const ANSWER_KIND = {
  statement: { request: "Stellungnahme angefordert", answer: "Stellungnahme eingegangen",
    button: "Stellungnahme anfordern", path: "request-statement" },
  proof: { request: "Nachweis angefordert", answer: "Nachweis eingegangen",
    button: "Nachweis anfordern", path: "request-proof" },
};
const FIELD_LABELS = { decision: "Entscheidung", reason: "Begründung", category: "Ablehnungsgrund",
  confirmed: "Ergebnis", note: "Notiz", message: "Nachricht", outcome: "Ergebnis" };

configure({ tokenKey: "freigabe.qa", onUnauthorized: showSignIn });

// -- helpers ------------------------------------------------------------------------------

function label(map, code) {
  const entry = map[code];
  if (Array.isArray(entry)) return entry;
  return [entry || code || "–", ""];
}

function statusBadge(status) {
  const [text, kind] = label(REVIEW_STATUS, status);
  return el("span", { class: "badge " + kind, "data-status": status }, text);
}

/** Today in Berlin as YYYY-MM-DD: due dates are Berlin calendar days. */
function berlinToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric",
    month: "2-digit", day: "2-digit" }).format(new Date());
}

/** A due date (YYYY-MM-DD, due by the end of that day) or a deadline timestamp has passed. */
function overdue(value) {
  if (!value) return false;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value < berlinToday();
  const time = new Date(value).getTime();
  return !Number.isNaN(time) && time < Date.now();
}

function dueCell(value) {
  if (!value) return el("td", {}, "–");
  const late = overdue(value);
  return el("td", { class: "due" }, el("time", { datetime: value }, formatDate(value)),
    late ? el("span", { class: "overdue-label" }, " Überfällig") : null);
}

function stars(rating) {
  return el("span", { class: "rating", "aria-label": rating + " von 5 Sternen" },
    "★".repeat(rating) + "☆".repeat(Math.max(0, 5 - rating)));
}

function findingsList(findings) {
  if (!findings || !findings.length) return el("p", { class: "muted" }, "Keine Befunde.");
  return el("ul", { class: "findings" }, findings.map((f) =>
    el("li", { "data-check": f.check }, el("strong", {}, label(CHECK, f.check)[0] + ": "), f.detail || "")));
}

async function allPages(path, key) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 20; i += 1) {
    const sep = path.includes("?") ? "&" : "?";
    const data = await api("GET", path + (cursor ? sep + "cursor=" + encodeURIComponent(cursor) : ""));
    items.push(...(data[key] || []));
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return items;
}

function heading(title) {
  document.title = title + " – QA-Konsole";
  return el("h2", { tabindex: "-1", id: "page-title" }, title);
}

function show(...children) {
  replace(main, ...children);
  const title = document.getElementById("page-title");
  if (title && document.activeElement === document.body) title.focus({ preventScroll: true });
}

function failure(error) {
  if (error instanceof ApiError && error.status === 401) return;
  const box = el("div", {});
  show(heading("Fehler"), showError(box, error));
}

/** Submits a form's action with its button disabled; field errors are marked on the inputs. */
async function submitForm(form, box, action, success) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  hideMessage(box);
  try {
    const result = await action();
    markInvalid(form, null);
    showOk(box, success);
    return result;
  } catch (error) {
    markInvalid(form, error);
    if (!(error instanceof ApiError) || error.status !== 401) showError(box, error, FIELD_LABELS);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

function radios(legend, name, options, checked) {
  return el("fieldset", { class: "radio-group" }, el("legend", {}, legend),
    Object.entries(options).map(([value, text]) =>
      checkbox(text, { type: "radio", name, value, checked: value === checked }).wrap));
}

function selectField(text, name, options) {
  const { wrap, input } = field(text, { name }, "select");
  for (const [value, caption] of Object.entries(options)) input.appendChild(el("option", { value }, caption));
  return { wrap, input };
}

// -- the queue ----------------------------------------------------------------------------

async function queueView() {
  const reviews = await allPages("/qa/reviews?status=in_review", "reviews");
  reviews.sort((a, b) => String(a.due_by || "").localeCompare(String(b.due_by || "")));
  const late = reviews.filter((r) => overdue(r.due_by)).length;
  const rows = reviews.map((r) => el("tr", { class: overdue(r.due_by) ? "overdue" : null,
    "data-review-id": r.review_id },
  el("td", {}, el("a", { href: "#/reviews/" + encodeURIComponent(r.review_id) }, r.title || "(ohne Titel)"),
    el("div", { class: "small muted" }, (r.reviewer_name || "") + " · " + (r.agency_name || r.agency_id))),
  el("td", {}, stars(r.rating)),
  el("td", {}, findingsList(r.findings)),
  el("td", {}, formatDateTime(r.confirmed_at || r.submitted_at)),
  dueCell(r.due_by)));
  show(heading("Prüfliste"),
    el("p", { class: "muted", id: "queue-summary" }, queueSummary(reviews.length, late, SLA_WORKING_DAYS)),
    reviews.length ? el("div", { class: "table-wrap" }, el("table", { id: "queue" },
      el("caption", {}, "Bewertungen in Prüfung, älteste Frist zuerst"),
      el("thead", {}, el("tr", {}, ["Bewertung", "Sterne", "Befunde", "Bestätigt", "Fällig bis"]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows)))
      : el("p", { class: "notice ok" }, "Keine Bewertungen in Prüfung."));
}

// -- one review ---------------------------------------------------------------------------

function historyList(review) {
  const items = [
    ...(review.decisions || []).map((d) => ({ at: d.at, text: (d.decision === "publish"
      ? "Veröffentlicht" : "Abgelehnt") + (d.category ? " (" + label(REJECT_CATEGORY, d.category)[0] + ")" : ""),
    detail: d.reason, by: d.by })),
    ...(review.phone_checks || []).map((c) => ({ at: c.at, text: c.confirmed
      ? "Telefonisch bestätigt" : "Telefonisch nicht bestätigt", detail: c.note, by: c.by })),
  ].sort((a, b) => String(a.at).localeCompare(String(b.at)));
  if (!items.length) return null;
  return el("section", { class: "card", "aria-labelledby": "history-title" },
    el("h3", { id: "history-title" }, "Bisherige Prüfungen"),
    el("ul", { class: "timeline" }, items.map((i) => el("li", {},
      el("time", { datetime: i.at }, formatDateTime(i.at)), el("strong", {}, i.text), actorName(i.by),
      i.detail ? el("p", { class: "detail" }, i.detail) : null))));
}

/** The QA member (or token) behind a step: QA sees the names (contract: QA only). */
function actorName(by) {
  const name = by && typeof by === "object" ? by.name : null;
  return name ? el("span", { class: "by" }, " – " + name) : null;
}

function decisionForm(review, reload) {
  const box = el("div", { hidden: true });
  const category = selectField("Ablehnungsgrund (für die Mitteilung an den Verfasser)", "category",
    REJECT_CATEGORY);
  const reason = field("Begründung (intern, 1–2000 Zeichen)", { name: "reason", maxlength: "2000",
    required: true }, "textarea");
  const form = el("form", { class: "card", id: "decision-form", "aria-labelledby": "decision-title",
    novalidate: true },
  el("h3", { id: "decision-title" }, "Entscheidung"), box,
  radios("Entscheidung", "decision", { publish: "Veröffentlichen", reject: "Ablehnen" }),
  category.wrap, reason.wrap,
  el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Entscheidung speichern")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=decision]:checked");
    const body = { decision: chosen ? chosen.value : "", reason: reason.input.value.trim() };
    if (body.decision === "reject" && category.input.value) body.category = category.input.value;
    const done = await submitForm(form, box, () => api("POST",
      "/qa/reviews/" + encodeURIComponent(review.review_id) + "/decision", body), "Die Entscheidung ist gespeichert.");
    if (done) reload(done, box.textContent);
  });
  return form;
}

function phoneForm(review, reload) {
  const box = el("div", { hidden: true });
  const note = field("Notiz zum Anruf (optional)", { name: "note", maxlength: "2000" }, "textarea");
  const form = el("form", { class: "card", id: "phone-form", "aria-labelledby": "phone-title", novalidate: true },
    el("h3", { id: "phone-title" }, "Telefonische Prüfung"),
    el("p", {}, "Telefon des Verfassers: ", el("a", { href: "tel:" + review.phone.replace(/[^+\d]/g, "") },
      review.phone)),
    box,
    radios("Ergebnis des Anrufs", "confirmed", { true: "Bewertung bestätigt", false: "Nicht bestätigt" }),
    note.wrap,
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Prüfung eintragen")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=confirmed]:checked");
    const body = { confirmed: chosen ? chosen.value === "true" : null };
    if (note.input.value.trim()) body.note = note.input.value.trim();
    const done = await submitForm(form, box, () => api("POST",
      "/qa/reviews/" + encodeURIComponent(review.review_id) + "/phone-check", body),
    "Die telefonische Prüfung ist eingetragen.");
    if (done) reload(done, box.textContent);
  });
  return form;
}

function flagsSection(review) {
  const plan = review.reverification_plan || {};
  const flags = plan.flags || [];
  return el("section", { class: "card", "aria-labelledby": "flags-title", id: "flags" },
    el("h3", { id: "flags-title" }, "Erneute Bestätigung"),
    el("p", { class: "muted" }, plan.next_sample_on
      ? "Nächste Stichprobe: " + formatDate(plan.next_sample_on)
      : "Keine Stichprobe geplant."),
    flags.length ? el("ul", { class: "timeline" }, flags.map((f) => el("li", {},
      el("time", { datetime: f.at }, formatDateTime(f.at)), el("strong", {}, f.label),
      el("p", { class: "detail" }, f.reason + (f.pending ? " (wird bei der nächsten Prüfung angefragt)" : "")))))
      : el("p", { class: "muted" }, "Keine Auffälligkeiten vorgemerkt."));
}

function flagForm(review, reload) {
  const box = el("div", { hidden: true });
  const reason = field("Grund der Vormerkung", { name: "reason", maxlength: "500", required: true }, "textarea");
  const form = el("form", { class: "card", id: "flag-form", "aria-labelledby": "flag-title", novalidate: true },
    el("h3", { id: "flag-title" }, "Zur erneuten Bestätigung vormerken"), box, reason.wrap,
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Vormerken")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = await submitForm(form, box, () => api("POST",
      "/qa/reviews/" + encodeURIComponent(review.review_id) + "/flag", { reason: reason.input.value.trim() }),
    "Die Bewertung ist vorgemerkt.");
    if (done) reload(done, box.textContent);
  });
  return form;
}

function takedownForm(review, reload) {
  const box = el("div", { hidden: true });
  const category = selectField("Verstoßene Regel", "category", REJECT_CATEGORY);
  const reason = field("Sachverhalt (geht mit der Begründung an Verfasser und Makler)", { name: "reason",
    maxlength: "2000", required: true }, "textarea");
  const form = el("form", { class: "card", id: "takedown-form", "aria-labelledby": "takedown-title", novalidate: true },
    el("h3", { id: "takedown-title" }, "Bewertung sperren"), box, category.wrap, reason.wrap,
    el("div", { class: "actions" }, el("button", { type: "submit", class: "danger" }, "Sperren")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = await submitForm(form, box, () => api("POST",
      "/qa/reviews/" + encodeURIComponent(review.review_id) + "/takedown",
      { category: category.input.value, reason: reason.input.value.trim() }),
    "Die Bewertung ist gesperrt; Verfasser und Makler erhalten die Begründung.");
    if (done) reload(done, box.textContent);
  });
  return form;
}

function reviewView(review, notice) {
  const render = (next, message) => reviewView(next, message);
  const facts = el("dl", { class: "facts" },
    el("dt", {}, "Status"), el("dd", {}, statusBadge(review.status)),
    el("dt", {}, "Makler"), el("dd", {}, review.agency_name || review.agency_id),
    el("dt", {}, "Verfasser"), el("dd", {}, (review.reviewer_name || "") + " · " + (review.email || "")),
    el("dt", {}, "Bestätigt"), el("dd", {}, formatDateTime(review.confirmed_at) || "–"),
    el("dt", {}, "Fällig bis"), el("dd", { class: overdue(review.due_by) && review.status === "in_review"
      ? "overdue-label" : null }, review.due_by ? formatDate(review.due_by)
      + (overdue(review.due_by) && review.status === "in_review" ? " – überfällig" : "") : "–"));
  const status = notice ? showOk(el("div", {}), notice) : null;
  show(heading("Bewertung prüfen"),
    el("p", {}, el("a", { href: "#/queue" }, "← Zur Prüfliste")),
    status,
    el("section", { class: "card", "aria-labelledby": "review-title" },
      el("h3", { id: "review-title" }, review.title || "(ohne Titel)", " ", stars(review.rating)),
      el("p", { class: "review-text" }, review.text || ""), facts,
      el("h4", {}, "Befunde der automatischen Prüfung"), findingsList(review.findings)),
    historyList(review),
    flagsSection(review),
    el("div", { class: "decision-forms" },
      review.status === "in_review" ? decisionForm(review, render) : null,
      ["published", "reported"].includes(review.status) ? flagForm(review, render) : null,
      ["published", "reported"].includes(review.status) ? takedownForm(review, render) : null,
      review.phone && ["in_review", "published", "reported"].includes(review.status)
        ? phoneForm(review, render) : null));
}

// -- reports ------------------------------------------------------------------------------

async function findReport(reportId) {
  for (const status of ["open", "resolved"]) {
    const found = (await allPages("/qa/reports?status=" + status, "reports"))
      .find((r) => r.report_id === reportId);
    if (found) return found;
  }
  throw new ApiError(404, "not_found", "Diese Meldung wurde nicht gefunden.");
}

async function reportsView(status) {
  const reports = await allPages("/qa/reports?status=" + status, "reports");
  const other = status === "open" ? "resolved" : "open";
  const rows = reports.map((r) => {
    const deadlines = ["statement", "proof"].map((k) => r[k] && !r[k].answered_at ? r[k].deadline : null)
      .filter(Boolean).sort();
    return el("tr", { "data-report-id": r.report_id, class: deadlines.some(overdue) ? "overdue" : null },
      el("td", {}, el("a", { href: "#/reports/" + encodeURIComponent(r.report_id) },
        (r.review && r.review.title) || r.review_id)),
      el("td", {}, REPORT_CATEGORY[r.category] || r.category),
      el("td", {}, formatDateTime(r.created_at)),
      el("td", {}, r.review ? statusBadge(r.review.status) : "–"),
      deadlines.length ? dueCell(deadlines[0]) : el("td", {}, "–"));
  });
  show(heading(status === "open" ? "Offene Meldungen" : "Erledigte Meldungen"),
    el("p", {}, el("a", { href: other === "open" ? "#/reports" : "#/reports?resolved" },
      other === "open" ? "Offene Meldungen anzeigen" : "Erledigte Meldungen anzeigen")),
    reports.length ? el("div", { class: "table-wrap" }, el("table", { id: "reports" },
      el("caption", {}, "Meldungen von Maklern („Problem melden“)"),
      el("thead", {}, el("tr", {}, ["Bewertung", "Kategorie", "Gemeldet", "Status", "Nächste Frist"]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows)))
      : el("p", { class: "notice ok" }, "Keine Meldungen."));
}

/** Every step of a report case in time order: report, requests, answers, deadlines, outcome. */
function timelineEvents(report) {
  const events = [{ at: report.created_at, title: "Meldung des Maklers: " +
    (REPORT_CATEGORY[report.category] || report.category), detail: report.reason }];
  const requests = [...(report.history || []),
    ...["statement", "proof"].filter((k) => report[k]).map((k) => ({ kind: k, ...report[k] }))];
  for (const request of requests) {
    const kind = ANSWER_KIND[request.kind];
    const open = !request.answered_at && report.status === "open";
    events.push({ at: request.requested_at, title: kind.request, detail: request.message,
      by: request.requested_by,
      deadline: request.deadline, late: open && overdue(request.deadline), kind: request.kind });
    if (request.answered_at) {
      events.push({ at: request.answered_at, title: kind.answer, detail: request.answer, kind: request.kind });
    }
  }
  if (report.resolved_at) {
    events.push({ at: report.resolved_at, title: "Entschieden: " + (OUTCOME[report.outcome] || report.outcome),
      detail: report.resolution_reason, by: report.resolved_by });
  }
  return events.sort((a, b) => String(a.at).localeCompare(String(b.at)));
}

function timeline(report) {
  return el("ol", { class: "timeline", id: "timeline" }, timelineEvents(report).map((e) =>
    el("li", { class: e.late ? "overdue" : null, "data-kind": e.kind || null },
      el("time", { datetime: e.at }, formatDateTime(e.at)), el("strong", {}, e.title), actorName(e.by),
      e.deadline ? el("span", { class: e.late ? "overdue-label" : "muted" },
        " – Frist bis " + formatDateTime(e.deadline) + (e.late ? " (abgelaufen)" : "")) : null,
      e.detail ? el("p", { class: "detail" }, e.detail) : null)));
}

function requestForm(report, kind, reload) {
  const spec = ANSWER_KIND[kind];
  const box = el("div", { hidden: true });
  const message = field("Nachricht an den Verfasser (optional)", { name: "message", maxlength: "2000" },
    "textarea");
  const form = el("form", { class: "card", id: kind + "-form", "aria-label": spec.button, novalidate: true },
    el("h3", {}, spec.button), box, message.wrap,
    el("div", { class: "actions" }, el("button", { type: "submit" }, spec.button)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = message.input.value.trim();
    const done = await submitForm(form, box, () => api("POST", "/qa/reports/" +
      encodeURIComponent(report.report_id) + "/" + spec.path, text ? { message: text } : {}),
    spec.request + ": Der Verfasser hat eine E-Mail mit Frist erhalten.");
    if (done) reload(done, box.textContent);
  });
  return form;
}

function resolveForm(report, reload) {
  const box = el("div", { hidden: true });
  const reason = field("Begründung (geht an Makler und Verfasser)", { name: "reason", maxlength: "2000",
    required: true }, "textarea");
  const form = el("form", { class: "card", id: "resolve-form", "aria-labelledby": "resolve-title", novalidate: true },
    el("h3", { id: "resolve-title" }, "Meldung entscheiden"), box,
    radios("Ergebnis", "outcome", OUTCOME), reason.wrap,
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Entscheidung speichern")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=outcome]:checked");
    const done = await submitForm(form, box, () => api("POST", "/qa/reports/" +
      encodeURIComponent(report.report_id) + "/resolve",
    { outcome: chosen ? chosen.value : "", reason: reason.input.value.trim() }), "Die Meldung ist entschieden.");
    if (done) reload(done, box.textContent);
  });
  return form;
}

function reportView(report, notice) {
  const render = (next, message) => reportView(next, message);
  const review = report.review || {};
  const open = report.status === "open";
  show(heading("Meldung"),
    el("p", {}, el("a", { href: "#/reports" }, "← Zu den Meldungen")),
    notice ? showOk(el("div", {}), notice) : null,
    el("section", { class: "card", "aria-labelledby": "case-title" },
      el("h3", { id: "case-title" }, review.title || report.review_id, " ", review.rating ? stars(review.rating) : null),
      el("p", { class: "review-text" }, review.text || ""),
      el("p", {}, "Bewertung: ", review.status ? statusBadge(review.status) : "–", " · Meldung: ",
        el("span", { class: "badge " + (open ? "warn" : "ok") }, open ? "offen" : "erledigt"),
        review.review_id ? [" · ", el("a", { href: "#/reviews/" + encodeURIComponent(review.review_id) },
          "Bewertung öffnen")] : null)),
    el("section", { class: "card", "aria-labelledby": "timeline-title" },
      el("h3", { id: "timeline-title" }, "Verlauf"), timeline(report)),
    open ? el("div", { class: "decision-forms" },
      report.statement && !report.statement.answered_at ? null : requestForm(report, "statement", render),
      report.proof && !report.proof.answered_at ? null : requestForm(report, "proof", render),
      resolveForm(report, render)) : null);
}

// -- navigation ---------------------------------------------------------------------------

async function route() {
  const hash = window.location.hash || "#/queue";
  const [, section, id] = /^#\/([a-z]+)(?:\/([^?]+))?/.exec(hash) || [null, "queue", null];
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.section === section || (section === "reviews" && link.dataset.section === "queue")) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  try {
    if (section === "reviews" && id) {
      reviewView(await api("GET", "/qa/reviews/" + encodeURIComponent(decodeURIComponent(id))));
    } else if (section === "reports" && id) {
      reportView(await findReport(decodeURIComponent(id)));
    } else if (section === "reports") {
      await reportsView(hash.includes("?resolved") ? "resolved" : "open");
    } else {
      await queueView();
    }
  } catch (error) {
    failure(error);
  }
}

function showSignIn() {
  signedIn = false;
  nav.hidden = true;
  signOut.hidden = true;
  who.hidden = true;
  document.title = "Anmelden – QA-Konsole";
  mountSignIn(main, { title: "Anmeldung für das QA-Team", check: "/qa/me",
    hint: "Bitte melden Sie sich mit Ihrer E-Mail-Adresse und Ihrem Passwort an.",
    wrongArea: "Dieses Konto gehört nicht zum QA-Team.",
    onSignedIn: start });
}

let signedIn = false;

async function start() {
  if (!await ensureSession()) {
    showSignIn();
    return;
  }
  let me;
  try {
    me = await api("GET", "/qa/me");
  } catch (_) {
    return; // a 401 has already shown the sign-in
  }
  signedIn = true;
  who.textContent = (me.name || "QA-Team") + " · Qualitätssicherung";
  nav.hidden = false;
  signOut.hidden = false;
  who.hidden = false;
  route();
}

window.addEventListener("hashchange", () => { if (signedIn) route(); });
signOut.addEventListener("click", async () => {
  await signOutEverywhere();
  window.location.hash = "";
  showSignIn();
});

start();
