// Panoramas per viewpoint on the tour's page: the file goes straight from the browser to the
// private bucket (presigned PUT, so the progress bar shows the real transfer), then the API's
// complete step checks what arrived; thumbnails come from short-lived presigned GET URLs.

import { api, el, replace, showError, showOk, hideMessage, confirmDialog, formatDateTime, ApiError } from "/ui/common.js";
import { message, qs } from "/dashboard/views.js";

// The contract's limits: only these types (the API checks the first bytes too), ≤ 100 MB.
const TYPES = { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP" };
const MAX_BYTES = 100 * 1024 * 1024;
const VIEWPOINT_ID = /^[A-Za-z0-9_.:-]{1,100}$/;
const LABELS = { content_type: "Dateityp", size: "Dateigröße", media: "Panorama", viewpoint_id: "Standpunkt" };

export function mediaSection(tour) {
  const box = message();
  const list = el("div", { class: "media-list", "aria-busy": "true" },
    el("p", { class: "muted" }, "Panoramen werden geladen …"));
  const bar = el("progress", { id: "media-progress", max: 100, value: 0, "aria-labelledby": "media-progress-label" });
  const barLabel = el("span", { id: "media-progress-label" }, "");
  const status = el("div", { class: "upload-status", id: "media-upload-status", hidden: true, "aria-live": "polite" },
    barLabel, " ", bar);
  const state = { tour, box, list, bar, barLabel, status, added: [], busy: false };
  const section = el("section", { class: "card", id: "tour-media", "aria-labelledby": "media-title" },
    el("h3", { id: "media-title" }, "Panoramen"),
    el("p", { class: "muted small" },
      "Je Standpunkt ein Panoramabild: JPEG, PNG oder WebP, höchstens 100 MB. Die Bilder liegen privat; "
      + "der Player lädt sie mit Freigabe.mediaUrl(id), geschützte Standpunkte erst nach der Freischaltung."),
    box, status, list, addViewpointForm(state));
  state.section = section;
  load(state);
  return section;
}

async function load(state) {
  let media = [];
  try {
    media = (await api("GET", "/agency/tours/" + qs(state.tour.tour_id) + "/media")).media || [];
  } catch (error) {
    if (error.status !== 401) showError(state.box, error);
  }
  const byViewpoint = new Map(media.map((m) => [m.viewpoint_id, m]));
  const protectedOnes = (state.tour.protection && state.tour.protection.protected_viewpoints) || [];
  const ids = [...new Set([...protectedOnes, ...media.map((m) => m.viewpoint_id), ...state.added])];
  replace(state.list, ids.length
    ? el("ul", { class: "media-items" }, ids.map((id) => mediaItem(state, id, byViewpoint.get(id), protectedOnes.includes(id))))
    : el("p", { class: "muted" }, "Noch keine Standpunkte: tragen Sie unten die ID eines Standpunkts ein."));
  state.list.removeAttribute("aria-busy");
  if (state.section) setBusy(state, state.busy);
}

function mediaItem(state, viewpointId, media, isProtected) {
  const ready = media && media.ready && media.url;
  const picker = el("input", { type: "file", accept: Object.keys(TYPES).join(","), hidden: true,
    "aria-label": "Panorama-Datei für " + viewpointId });
  const choose = el("button", { type: "button", class: "needs-editor media-control" + (ready ? "" : " primary"),
    "data-media-upload": viewpointId, "aria-label": (ready ? "Panorama ersetzen: " : "Panorama hochladen: ") + viewpointId },
  ready ? "Ersetzen" : "Hochladen");
  choose.addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    const file = picker.files && picker.files[0];
    picker.value = "";
    if (file) upload(state, viewpointId, file);
  });
  const remove = media ? el("button", { type: "button", class: "danger needs-editor media-control",
    "data-media-remove": viewpointId, "aria-label": "Panorama entfernen: " + viewpointId }, "Entfernen") : null;
  if (remove) remove.addEventListener("click", () => removeMedia(state, viewpointId));
  return el("li", { class: "media-item", "data-media-viewpoint": viewpointId },
    el("h4", {}, viewpointId, isProtected ? [" ", el("span", { class: "badge warn" }, "geschützt")] : null),
    ready
      ? el("img", { class: "media-thumb", src: media.url, alt: "Panorama am Standpunkt " + viewpointId,
        width: 320, height: 160, decoding: "async" })
      : el("p", { class: "muted small media-empty" },
        media && media.upload_pending ? "Upload nicht abgeschlossen – bitte die Datei erneut hochladen." : "Noch kein Panorama."),
    ready ? el("p", { class: "muted small" }, [TYPES[media.content_type] || media.content_type, size(media.size),
      media.updated_at ? "aktualisiert " + formatDateTime(media.updated_at) : null].filter(Boolean).join(" · ")) : null,
    el("div", { class: "actions" }, choose, picker, remove));
}

/** The reason a file cannot be a panorama, checked before anything is sent (null: fine). */
export function fileProblem(file) {
  if (!TYPES[file.type]) {
    return "„" + file.name + "“ ist kein JPEG-, PNG- oder WebP-Bild. Bitte wählen Sie ein Panorama in einem dieser Formate.";
  }
  if (file.size > MAX_BYTES) return "„" + file.name + "“ ist " + size(file.size) + " groß; erlaubt sind höchstens 100 MB.";
  if (file.size === 0) return "„" + file.name + "“ ist leer.";
  return null;
}

async function upload(state, viewpointId, file) {
  if (state.busy) return;
  hideMessage(state.box);
  const problem = fileProblem(file);
  if (problem) {
    showError(state.box, new ApiError(422, "validation_failed", problem));
    return;
  }
  const path = mediaPath(state, viewpointId);
  setBusy(state, true);
  progress(state, 0, "Panorama für „" + viewpointId + "“ wird hochgeladen:");
  try {
    const ticket = await api("PUT", path, { content_type: file.type, size: file.size });
    await transfer(ticket, file, (done) => progress(state, done, "Panorama für „" + viewpointId + "“ wird hochgeladen:"));
    progress(state, 100, "Hochgeladen, wird geprüft:");
    await api("POST", path + "/complete");
    progress(state, 100, "Panorama für „" + viewpointId + "“ hochgeladen:");
    await load(state);
    showOk(state.box, "Das Panorama für „" + viewpointId + "“ ist gespeichert.");
  } catch (error) {
    state.status.hidden = true;
    if (error.status !== 401) showError(state.box, error, LABELS);
  } finally {
    setBusy(state, false);
  }
}

// XMLHttpRequest rather than fetch: only it reports upload progress.
function transfer(ticket, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method || "PUT", ticket.upload_url);
    // The signed headers (Content-Type) must go exactly as the API gave them.
    for (const [name, value] of Object.entries(ticket.headers || {})) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    });
    xhr.addEventListener("load", () => (xhr.status >= 200 && xhr.status < 300 ? resolve()
      : reject(new ApiError(xhr.status, "upload_failed",
        "Der Speicher hat die Datei abgelehnt (Status " + xhr.status + "). Bitte versuchen Sie es erneut."))));
    const failed = () => reject(new ApiError(0, "network_error",
      "Die Datei konnte nicht hochgeladen werden: keine Verbindung zum Speicher. Bitte versuchen Sie es erneut."));
    xhr.addEventListener("error", failed);
    xhr.addEventListener("timeout", failed);
    xhr.send(file);
  });
}

async function removeMedia(state, viewpointId) {
  if (state.busy) return;
  const sure = await confirmDialog("Panorama entfernen?",
    "Das Panorama am Standpunkt „" + viewpointId + "“ wird gelöscht; der Player zeigt dort kein Bild mehr.",
    "Entfernen", true);
  if (!sure) return;
  hideMessage(state.box);
  state.status.hidden = true;
  setBusy(state, true);
  try {
    await api("DELETE", mediaPath(state, viewpointId));
    await load(state);
    showOk(state.box, "Das Panorama für „" + viewpointId + "“ ist entfernt.");
  } catch (error) {
    if (error.status !== 401) showError(state.box, error, LABELS);
  } finally {
    setBusy(state, false);
  }
}

function addViewpointForm(state) {
  const id = "media-new-viewpoint";
  const input = el("input", { id, type: "text", maxlength: 100, pattern: "[A-Za-z0-9_.:\\-]{1,100}",
    "aria-describedby": "media-new-hint" });
  const form = el("form", { class: "row needs-editor", novalidate: true },
    el("div", { class: "field" }, el("label", { for: id }, "Weiterer Standpunkt (ID im Tour-Player)"), input,
      el("p", { class: "muted small", id: "media-new-hint" }, "Buchstaben, Ziffern, _ . : -, z. B. kueche")),
    el("button", { type: "submit", class: "media-control" }, "Standpunkt hinzufügen"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!VIEWPOINT_ID.test(value)) {
      showError(state.box, new ApiError(422, "validation_failed",
        "Standpunkt-IDs bestehen aus 1–100 Zeichen: Buchstaben, Ziffern, _ . : -"));
      return;
    }
    hideMessage(state.box);
    if (!state.added.includes(value)) state.added.push(value);
    input.value = "";
    load(state);
  });
  return form;
}

function setBusy(state, busy) {
  state.busy = busy;
  state.section.setAttribute("aria-busy", String(busy));
  for (const control of state.section.querySelectorAll(".media-control")) control.disabled = busy;
}

function progress(state, percent, label) {
  state.status.hidden = false;
  state.bar.value = percent;
  state.bar.textContent = percent + " %";
  state.barLabel.textContent = label + " " + percent + " %";
}

function mediaPath(state, viewpointId) {
  return "/agency/tours/" + qs(state.tour.tour_id) + "/viewpoints/" + qs(viewpointId) + "/media";
}

function size(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024 * 1024) return Math.max(1, Math.round(n / 1024)) + " KB";
  return (n / (1024 * 1024)).toLocaleString("de-DE", { maximumFractionDigits: 1 }) + " MB";
}
