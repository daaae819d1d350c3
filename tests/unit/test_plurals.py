"""Every count-bearing text of the review checks, flags and public face
(``chalicelib/reviews/texts.py``: ``COUNT_TEXTS``) and of the QA console
(``static/qa-console/counts.js``) comes from one pluralisation helper, rendered here with 0,
1 and 2; and no text builds a count of its own elsewhere in those places."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from chalicelib.reviews.texts import COUNT_TEXTS

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "chalicelib" / "web" / "static"

PYTHON_EXPECTED = {
    "reviews": ("0 Bewertungen", "1 Bewertung", "2 Bewertungen"),
    "ip_reviews": tuple(f"{n} {w} dieses Maklers von derselben IP-Adresse innerhalb von "
                        "24 Stunden." for n, w in ((0, "Bewertungen"), (1, "Bewertung"),
                                                    (2, "Bewertungen"))),
    "burst": tuple(f"{n} {w} von neuen E-Mail-Adressen für diesen Makler innerhalb von "
                   "24 Stunden." for n, w in ((0, "Bewertungen"), (1, "Bewertung"),
                                               (2, "Bewertungen"))),
    "burst_flag": tuple(f"Teil einer Häufung (mindestens {n} {w} neuer Personen binnen "
                        "24 Stunden)" for n, w in ((0, "Bewertungen"), (1, "Bewertung"),
                                                    (2, "Bewertungen"))),
}

JS_EXPECTED = {
    "inReview": ["0 Bewertungen in Prüfung", "1 Bewertung in Prüfung",
                 "2 Bewertungen in Prüfung"],
    "overdue": ["davon 0 überfällig", "davon 1 überfällig", "davon 2 überfällig"],
    "deadline": ["Frist: 0 Werktage nach Bestätigung", "Frist: 1 Werktag nach Bestätigung",
                 "Frist: 2 Werktage nach Bestätigung"],
}


def test_every_count_text_of_the_reviews_reads_right_for_0_1_and_2() -> None:
    assert set(COUNT_TEXTS) == set(PYTHON_EXPECTED)
    for name, render in COUNT_TEXTS.items():
        assert tuple(render(n) for n in (0, 1, 2)) == PYTHON_EXPECTED[name], name


def _node(script: str) -> object:
    node = shutil.which("node")
    assert node, "node is missing (apt-get install nodejs): the console's texts need it"
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True,
                          text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_every_count_text_of_the_qa_console_reads_right_for_0_1_and_2() -> None:
    counts = (STATIC / "qa-console" / "counts.js").as_uri()
    rendered = _node(
        f"import {{ COUNTS, queueSummary }} from {json.dumps(counts)};"
        "const out = {};"
        "for (const [name, render] of Object.entries(COUNTS)) out[name] = [0, 1, 2].map(render);"
        "out.summary = [[0, 0, 2], [1, 1, 1], [2, 0, 2]].map((a) => queueSummary(...a));"
        "console.log(JSON.stringify(out));")
    assert isinstance(rendered, dict)
    assert rendered.pop("summary") == [
        "0 Bewertungen in Prüfung. Frist: 2 Werktage nach Bestätigung.",
        "1 Bewertung in Prüfung, davon 1 überfällig. Frist: 1 Werktag nach Bestätigung.",
        "2 Bewertungen in Prüfung. Frist: 2 Werktage nach Bestätigung."]
    assert rendered == JS_EXPECTED


# A number put straight before a German noun: f"{count} Bewertungen", n + " Bewertungen".
_PY_COUNT = re.compile(r'f"[^"\n]*\{[^}]+\} [A-ZÄÖÜ][a-zäöüß]+')
_JS_COUNT = re.compile(r'(\.length|\b[a-z]\w*) \+ " [A-ZÄÖÜ][a-zäöüß]+|=== 1 \?')


def test_no_count_is_built_outside_the_helper() -> None:
    reviews = ROOT / "chalicelib" / "reviews"
    found = [f"{path.name}: {m.group(0)}" for path in sorted(reviews.glob("*.py"))
             if path.name != "texts.py"
             for m in _PY_COUNT.finditer(path.read_text(encoding="utf-8"))]
    console = STATIC / "qa-console"
    found += [f"{path.name}: {m.group(0)}" for path in sorted(console.glob("*.js"))
              for m in _JS_COUNT.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_guard_sees_a_hand_built_count() -> None:
    assert _PY_COUNT.search('f"{count} Bewertungen dieses Maklers"')
    assert _JS_COUNT.search('reviews.length + " Bewertungen"')
    assert _JS_COUNT.search('late + " Tage"')
    assert not _JS_COUNT.search('COUNTS.inReview(total) + ". "')
