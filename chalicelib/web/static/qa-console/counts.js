// Every count-bearing text of the QA console, built with the one pluralisation helper.
// No DOM and only relative imports, so tests/unit/test_plurals.py renders each with node.

import { counted } from "../ui/plural.js";

export const COUNTS = {
  inReview: (n) => counted(n, "Bewertung", "Bewertungen") + " in Prüfung",
  overdue: (n) => "davon " + n + " überfällig",
  deadline: (n) => "Frist: " + counted(n, "Werktag", "Werktage") + " nach Bestätigung",
};

/** The queue's summary line: "3 Bewertungen in Prüfung, davon 1 überfällig. Frist: …". */
export function queueSummary(total, late, workingDays) {
  return COUNTS.inReview(total) + (late ? ", " + COUNTS.overdue(late) : "") + ". "
    + COUNTS.deadline(workingDays) + ".";
}
