// German labels for the API's codes. Unknown codes are shown as they are.

export const REGISTRATION_STATUS = {
  pending_email: ["Wartet auf E-Mail-Bestätigung", "warn"],
  pending_approval: ["Wartet auf Freigabe", "warn"],
  unlocked: ["Freigeschaltet", "ok"],
  denied: ["Abgelehnt", "danger"],
  locked: ["Gesperrt", ""],
};

export const MODE = {
  email: "E-Mail-Freigabe",
  manual: "Manuelle Freigabe",
  off: "Ohne Schutz",
};

export const FIELD = {
  first_name: "Vorname",
  last_name: "Nachname",
  email: "E-Mail",
  phone: "Telefon",
  street: "Straße",
  zip: "PLZ",
  city: "Ort",
  message: "Nachricht",
};

export const REVIEW_STATUS = {
  awaiting_confirmation: ["Wartet auf Bestätigung", "warn"],
  in_review: ["In Prüfung", "warn"],
  published: ["Veröffentlicht", "ok"],
  reported: ["Gemeldet", "warn"],
  rejected: ["Abgelehnt", "danger"],
  blocked: ["Gesperrt", "danger"],
  deleted: ["Gelöscht", "danger"],
};

export const REPORT_CATEGORY = {
  not_a_customer: "Kein Kundenkontakt",
  false_facts: "Falsche Tatsachenbehauptung",
  insult: "Beleidigung / Schmähkritik",
  other: "Sonstiges",
};

export const GDPR_STATUS = {
  none: ["Keine Angabe", ""],
  consented: ["Speicherung zugestimmt", "ok"],
  deletion_requested: ["Löschung angefordert", "danger"],
  ignore: ["Ignorieren", ""],
};

export const ACTIVITY = {
  appointment: "Besichtigung",
  expose_sent: "Exposé versandt",
  revocation_confirmed: "Widerrufsbelehrung bestätigt",
  inquiry: "Anfrage",
  note: "Notiz",
  gdpr: "DSGVO",
  suggestion: "Änderungsvorschlag",
  review_invitation: "Bewertungseinladung",
};

export const ROLE = { owner: "Eigentümer", buyer: "Käufer", tenant: "Mieter" };

export const INVITATION_STATUS = {
  sent: ["Eingeladen", "warn"],
  reviewed: ["Bewertung abgegeben", "ok"],
  expired: ["Abgelaufen", ""],
  objected: ["Widersprochen", "danger"],
};

// Why the API did not send an invitation (409 codes of POST /agency/review-invitations).
export const INVITE_REFUSED = {
  already_invited: "bereits eingeladen",
  objected: "hat weiteren Einladungen widersprochen",
  no_email: "keine E-Mail-Adresse",
  deletion_requested: "Löschung angefordert",
  no_customer_relation: "nicht als Eigentümer, Käufer oder Mieter eingetragen",
  controller_details_missing: "Angaben zum Verantwortlichen fehlen",
};

// The kinds an agent may enter by hand (the API's "gdpr" entries are written by the system).
export const MANUAL_ACTIVITIES = ["appointment", "expose_sent", "revocation_confirmed", "inquiry", "note"];

// Consent records ("Einwilligungsnachweise"), worded as on the printable record.
export const RECORD_ACTION = {
  consent: "Speicherung zugestimmt",
  deletion_request: "Löschung beantragt",
  correction_request: "Korrektur angefragt",
};

export const SALUTATIONS = ["Herr", "Frau", "Divers", "Firma"];

export const SKIP_REASON = {
  no_email: "keine E-Mail-Adresse",
  ignored: "DSGVO-Status „Ignorieren“",
  already_consented: "Einwilligung liegt bereits vor",
  deletion_requested: "Löschung angefordert",
  recently_contacted: "in den letzten 14 Tagen bereits angeschrieben",
  not_found: "nicht gefunden",
  retention_active: "Speichern-Bis-Datum liegt in der Zukunft",
};

export const WORKLISTS = [
  ["consent-assistant", "DSGVO – Einverständnis-Assistent",
    "Adressen mit DSGVO-Status „Keine Angabe“, deren Speichern-Bis-Datum in den nächsten 28 Tagen erreicht wird."],
  ["deletion-requested", "DSGVO – Löschung angefordert",
    "Adressen, deren Löschung beantragt wurde und keine Aufbewahrungsfrist mehr entgegensteht."],
  ["expired", "DSGVO – Speichern-Bis-Datum abgelaufen",
    "Adressen, deren Speichern-Bis-Datum überschritten ist."],
];

/** [label, badge class] for a code of one of the tables above. */
export function labelled(table, code) {
  const entry = table[code];
  if (Array.isArray(entry)) return entry;
  return [entry || code || "–", ""];
}
