"""Issue 19, hole 5: the dashboard's CSV export (chalicelib/web/static/dashboard/csv.js, run
in Chromium) quotes every cell and neutralises formula characters at the start of a cell
and after a separator, so neither a ';' (German Excel) nor a ',' reader sees a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.live_stack import ROOT

CSV_JS = (ROOT / "chalicelib" / "web" / "static" / "dashboard" / "csv.js").read_text()
FORMULA = tuple("=+-@\t\r")
ORIGIN = "http://csv.test"

ADVERSARIAL = [
    "Max,@SUM(1)", "Max;=1+1", "a,=HYPERLINK(\"http://evil\")", "x;+1", "y,-2", "z;\t=1",
    "Kunde\r=1", "Kunde\n@A1", "=1", "+49 30 1", "-", "@", "\t", "\r", ",=1", ";=1",
    ",,=1", ";,;@x", '",=1', "\"\";@x", "a\",\"=1", "ok", "", "Müller, Eva", " =1",
    "=cmd|' /C calc'!A0", ",\r=", "1,2;3", None, 42,
]


def _csv_from_page(page: Any, rows: list[list[Any]]) -> str:
    page.route(f"{ORIGIN}/**", lambda route: route.fulfill(
        status=200, body=CSV_JS if route.request.url.endswith(".js") else "<!doctype html><p>",
        content_type="text/javascript" if route.request.url.endswith(".js") else "text/html"))
    page.goto(f"{ORIGIN}/")
    return page.evaluate("""async (rows) => {
        const m = await import('/dashboard/csv.js');
        return m.toCsv(['Name', 'Notiz'], rows);
    }""", rows)


def test_no_cell_starts_a_formula_in_either_dialect(page: Any) -> None:
    rows = [[value, "Notiz"] for value in ADVERSARIAL]
    text = _csv_from_page(page, rows)
    assert text.startswith("\ufeff")
    body = text[1:]
    for delimiter in (";", ","):
        parsed = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))
        cells = [cell for row in parsed for cell in row]
        assert cells, delimiter
        offending = [cell for cell in cells if cell.startswith(FORMULA)]
        assert offending == [], (delimiter, offending)
    # With the export's own dialect every value comes back (plus the apostrophes).
    parsed = list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))
    assert len(parsed) == len(ADVERSARIAL) + 1
    for row, value in zip(parsed[1:], ADVERSARIAL, strict=True):
        assert len(row) == 2 and row[1] == "Notiz"
        original = "" if value is None else str(value)
        assert row[0].replace("'", "") == original.replace("'", "")


def test_every_cell_is_quoted(page: Any) -> None:
    text = _csv_from_page(page, [["Eva", "ohne Sonderzeichen"], [1, None]])
    assert text == ('\ufeff"Name";"Notiz"\r\n"Eva";"ohne Sonderzeichen"\r\n'
                    '"1";""\r\n')
