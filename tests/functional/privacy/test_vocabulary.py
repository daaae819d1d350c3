"""One vocabulary (onOffice's words, chalicelib/privacy/vocabulary.py) in mails, pages, the
dossier, the export and the dashboard: the dashboard's copy equals the table, and no
template, page or script uses another spelling."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.privacy import vocabulary

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [p for pattern in ("chalicelib/**/*.html", "chalicelib/**/*.txt", "chalicelib/**/*.js",
                             "chalicelib/**/*.py")
           for p in ROOT.glob(pattern) if p.name != "vocabulary.py"]
LABELS = (ROOT / "chalicelib/web/static/dashboard/labels.js").read_text(encoding="utf-8")


def offending(paths: list[Path]) -> list[str]:
    return [f"{p.name}: {word!r}" for p in paths
            for word in vocabulary.FORBIDDEN if word in p.read_text(encoding="utf-8")]


def test_no_other_spelling_anywhere() -> None:
    assert len(SOURCES) > 50
    assert offending(SOURCES) == []


def test_the_dashboard_uses_the_table() -> None:
    block = re.search(r"export const GDPR_STATUS = \{(.*?)\};", LABELS, re.S)
    assert block
    shown = dict(re.findall(r'(\w+): \["([^"]+)"', block.group(1)))
    assert shown == vocabulary.STATUS
    worklists = dict(re.findall(r'\["([a-z-]+)", "([^"]+)"', LABELS))
    assert {k: worklists[k] for k in vocabulary.WIDGETS} == vocabulary.WIDGETS


def test_mails_and_dossier_use_the_table() -> None:
    from chalicelib.privacy.service import STATUS_LABELS

    assert STATUS_LABELS == vocabulary.STATUS
    digest = (ROOT / "chalicelib/privacy/mails.py").read_text(encoding="utf-8")
    assert "WIDGETS[" in digest
    dossier = (ROOT / "chalicelib/links/templates/gdpr_dossier.html").read_text(encoding="utf-8")
    assert vocabulary.FIELD_STORE_UNTIL in dossier and vocabulary.FIELD_STORE_UNTIL_REASON in dossier


def test_the_check_finds_a_wrong_spelling(tmp_path: Path) -> None:
    sample = tmp_path / "page.html"
    sample.write_text("<dt>Speichern bis</dt><dd>DSGVO ignorieren</dd>", encoding="utf-8")
    assert offending([sample]) == ["page.html: 'DSGVO ignorieren'", "page.html: 'Speichern bis'"]
