// The one pluralisation helper of the pages (QA console, dashboard): "0 Bewertungen",
// "1 Bewertung", "2 Bewertungen". No DOM here, so tests render every count-bearing string
// with node (tests/unit/test_plurals.py).

/** The count with the German noun (or phrase) in the right number. */
export function counted(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}
