// Reviews: the agency's reviews with status, its public comment and "Problem melden".

import { api, el, field, showError, showOk, hideMessage, markInvalid, formatDateTime } from "/ui/common.js";
import { REVIEW_STATUS, REPORT_CATEGORY } from "/dashboard/labels.js";
import { page, badge, message, allPages, qs } from "/dashboard/views.js";
import { me } from "/dashboard/session.js";

const COMMENTABLE = ["published", "reported"];

export async function listReviews(main, focusId) {
  const reviews = await allPages((cursor) => api("GET", "/agency/reviews"
    + (cursor ? "?cursor=" + qs(cursor) : "")), "reviews");
  page(main, "Bewertungen",
    el("p", { class: "muted" }, "Kommentare erscheinen öffentlich unter der Bewertung. "
      + "Melden Sie eine Bewertung, wenn sie unzutreffend ist – das QA-Team prüft den Fall."),
    sealSection(),
    reviews.length ? reviews.map(reviewCard) : el("p", { class: "muted" }, "Noch keine Bewertungen."));
  if (focusId) {
    const card = main.querySelector('[data-review-id="' + CSS.escape(focusId) + '"]');
    if (card) {
      card.classList.add("highlight");
      card.focus();
      card.scrollIntoView({ block: "start" });
    }
  }
}

// The seal for the agency's own website: the badge links to the public profile page. Both
// are public, cacheable and need no script on the agency's page.
export function sealSnippet(agencyId, origin) {
  const base = origin + "/agencies/" + encodeURIComponent(agencyId);
  return '<a href="' + base + '/profile">\n  <img src="' + base + '/badge.svg" width="220" height="72"'
    + ' alt="Bewertungen unserer Kundinnen und Kunden">\n</a>';
}

function sealSection() {
  const who = me();
  if (!who || !who.agency_id) return null;
  const box = message();
  const base = location.origin + "/agencies/" + encodeURIComponent(who.agency_id);
  const snippet = el("textarea", { id: "seal-snippet", readonly: true, rows: 5, class: "code" });
  snippet.value = sealSnippet(who.agency_id, location.origin);
  const copy = el("button", { type: "button", id: "copy-seal" }, "Code kopieren");
  copy.addEventListener("click", async () => {
    snippet.select();
    try { await navigator.clipboard.writeText(snippet.value); showOk(box, "Der Code ist in der Zwischenablage."); }
    catch { showOk(box, "Bitte kopieren Sie den markierten Code (Strg+C)."); }
  });
  return el("details", { class: "card seal" },
    el("summary", {}, "Bewertungssiegel für Ihre Website"),
    el("p", { class: "muted small" }, "Das Siegel zeigt Durchschnitt und Anzahl Ihrer veröffentlichten "
      + "Bewertungen und verlinkt auf Ihre öffentliche Profilseite."),
    el("p", {}, el("img", { id: "seal-preview", src: base + "/badge.svg", width: 220, height: 72,
      alt: "Vorschau des Bewertungssiegels" }), " ",
    el("a", { href: base + "/profile", target: "_blank", rel: "noopener" }, "Profilseite öffnen")),
    el("label", { for: "seal-snippet" }, "Code für Ihre Website"),
    snippet, box,
    el("div", { class: "actions" }, copy));
}

function stars(rating) {
  const value = Number(rating) || 0;
  return el("span", { class: "stars", role: "img", "aria-label": value + " von 5 Sternen" },
    "★".repeat(value) + "☆".repeat(Math.max(0, 5 - value)));
}

function reviewCard(review) {
  const titleId = "review-" + review.review_id;
  const box = message();
  const card = el("article", { class: "card review", "data-review-id": review.review_id, tabindex: "-1",
    "aria-labelledby": titleId },
  el("h3", { id: titleId }, stars(review.rating), " ", review.title || "(ohne Titel)"),
  el("p", { class: "row" }, badge(REVIEW_STATUS, review.status),
    el("span", { class: "muted" }, "von " + (review.reviewer_name || "–")
      + (review.published_at ? " · veröffentlicht " + formatDateTime(review.published_at)
        : " · eingegangen " + formatDateTime(review.submitted_at)))),
  el("p", { class: "review-text" }, review.text || ""),
  box);
  if (COMMENTABLE.includes(review.status)) card.append(commentForm(review, box));
  if (review.status === "published") card.append(reportForm(review, box));
  if (review.status === "reported") {
    card.append(el("p", { class: "muted small" }, "Zu dieser Bewertung ist eine Meldung beim QA-Team offen."));
  }
  return card;
}

function commentForm(review, box) {
  const comment = review.comment;
  const text = field("Ihr öffentlicher Kommentar", { name: "text", maxlength: 2000, rows: 3 }, "textarea");
  text.input.value = comment ? comment.text : "";
  const submit = el("button", { type: "submit", class: "primary" }, comment ? "Kommentar aktualisieren" : "Kommentar speichern");
  const form = el("form", { class: "comment-form needs-editor", novalidate: true },
    text.wrap,
    comment ? el("p", { class: "muted small" }, "Kommentiert am " + formatDateTime(comment.updated_at || comment.created_at)) : null,
    el("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    submit.disabled = true;
    try {
      await api("PUT", "/agency/reviews/" + qs(review.review_id) + "/comment", { text: text.input.value.trim() });
      markInvalid(form, null);
      submit.textContent = "Kommentar aktualisieren";
      showOk(box, "Ihr Kommentar wurde gespeichert und ist öffentlich sichtbar.");
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, { text: "Kommentar" });
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function reportForm(review, box) {
  const category = field("Grund der Meldung", { name: "category" }, "select");
  category.input.append(el("option", { value: "" }, "Bitte wählen …"));
  for (const [value, label] of Object.entries(REPORT_CATEGORY)) category.input.append(el("option", { value }, label));
  const reason = field("Begründung (mindestens 10 Zeichen)", { name: "reason", maxlength: 2000, rows: 3 }, "textarea");
  const submit = el("button", { type: "submit", class: "danger" }, "Meldung absenden");
  const form = el("form", { class: "report-form", novalidate: true }, category.wrap, reason.wrap,
    el("div", { class: "actions" }, submit));
  const details = el("details", { class: "report needs-editor" }, el("summary", {}, "Problem melden"), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    submit.disabled = true;
    try {
      await api("POST", "/agency/reviews/" + qs(review.review_id) + "/reports",
        { category: category.input.value, reason: reason.input.value.trim() });
      details.replaceWith(el("p", { class: "muted small" }, "Zu dieser Bewertung ist eine Meldung beim QA-Team offen."));
      const status = box.parentNode.querySelector(".badge");
      if (status) status.replaceWith(badge(REVIEW_STATUS, "reported"));
      showOk(box, "Ihre Meldung ist eingegangen. Das QA-Team prüft den Fall und meldet sich.");
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, { category: "Grund", reason: "Begründung" });
    } finally {
      submit.disabled = false;
    }
  });
  return details;
}
