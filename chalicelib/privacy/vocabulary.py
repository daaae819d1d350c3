"""onOffice's words for the GDPR module (the seed: "Handhabung" of the DSGVO module), the one
label table of mails, pages, the consent dossier, the Art. 15 export and the dashboard.

The dashboard's copy (``static/dashboard/labels.js``) is checked against this table, and a
test fails on another spelling of these words in any template, page or script
(``tests/functional/privacy/test_vocabulary.py``). The v1 button labels of the contract
("Speicherung zustimmen", "Löschung beantragen") are actions, not these states, and stay.
"""

from __future__ import annotations

STATUS = {
    "none": "Keine Angabe",
    "consented": "Speicherung zugestimmt",
    "deletion_requested": "Löschung angefordert",
    "ignore": "Ignorieren",
}
FIELD_STATUS = "DSGVO-Status"
FIELD_STORE_UNTIL = "Speichern-Bis-Datum"
FIELD_STORE_UNTIL_REASON = "Speichern-Bis-Grund"
WIDGETS = {
    "consent-assistant": "DSGVO – Einverständnis-Assistent",
    "deletion-requested": "DSGVO – Löschung angefordert",
    "expired": "DSGVO – Speichern-Bis-Datum abgelaufen",
}
ASSISTANT = "Einverständnis-Assistent"

# Spellings the seed's words replace (each is wrong wherever it appears).
FORBIDDEN = (
    "Einwilligung erteilt", "DSGVO ignorieren", "Einwilligungs-Assistent",
    "Speichern-bis", "Speichern bis", "Speichern-Bis ", "Speichern-Bis-datum",
    "keine Angaben", "Speicherdatum",
)
