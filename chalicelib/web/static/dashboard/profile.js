// The agency as controller ("Verantwortlicher"): the details the consent mail's
// Hinweispflicht (Art. 13 DSGVO) needs. Until the required ones are saved, the
// Einverständnis-Assistent sends nothing (409 controller_details_missing).

import { api, el, field, hideMessage, markInvalid, showError, showOk } from "/ui/common.js";
import { message } from "/dashboard/views.js";

// [name, label, input type, required]
const PROFILE_FIELDS = [
  ["legal_name", "Firma (vollständiger Name)", "text", true],
  ["street", "Straße und Hausnummer", "text", true],
  ["zip", "PLZ", "text", true],
  ["city", "Ort", "text", true],
  ["email", "E-Mail für Datenschutzanfragen", "email", true],
  ["phone", "Telefon", "tel", false],
  ["privacy_url", "Datenschutzerklärung (https://…)", "url", true],
  ["dpo_contact", "Datenschutzbeauftragter (Name, Kontakt)", "text", false],
  ["supervisory_authority", "Zuständige Aufsichtsbehörde", "text", false],
];
export const PROFILE_LABELS = Object.fromEntries(PROFILE_FIELDS.map(([n, l]) => [n, l]));

export function profileForm(profile) {
  const box = message();
  const inputs = PROFILE_FIELDS.map(([name, label, type, required]) =>
    [name, field(label + (required ? "" : " (optional)"), { name, type, value: profile[name] || "",
      required, autocomplete: "off" })]);
  const save = el("button", { type: "submit", class: "primary" }, "Angaben speichern");
  const state = el("p", { class: profile.complete ? "muted small" : "warn", "data-profile-state": "" });
  const describe = (p) => {
    state.className = p.complete ? "muted small" : "warn";
    state.textContent = p.complete
      ? "Vollständig: Der Einverständnis-Assistent kann E-Mails senden."
      : "Unvollständig: Der Einverständnis-Assistent sendet erst, wenn "
        + p.missing.map((n) => PROFILE_LABELS[n]).join(", ") + " eingetragen sind.";
  };
  describe(profile);
  const form = el("form", { class: "card needs-owner", novalidate: true, "aria-labelledby": "profile-title" },
    el("h3", { id: "profile-title" }, "Verantwortlicher (Hinweispflicht nach Art. 13 DSGVO)"), state, box,
    inputs.map(([, f]) => f.wrap), el("div", { class: "actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    save.disabled = true;
    const body = Object.fromEntries(inputs.map(([name, f]) => [name, f.input.value.trim() || null]));
    try {
      const saved = await api("PUT", "/agency/profile", body);
      markInvalid(form, null);
      describe(saved);
      showOk(box, "Die Angaben zum Verantwortlichen wurden gespeichert.");
    } catch (error) {
      markInvalid(form, error);
      if (error.status !== 401) showError(box, error, PROFILE_LABELS);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
