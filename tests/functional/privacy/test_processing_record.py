"""GET /agency/gdpr/processing-record: the Art. 30 record generated from what the product does
(the holders' declarations, the stage's AWS region, the agency's own retention settings)."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, OTHER
from tests.functional.privacy.support import ok, settings


def test_record_from_the_products_facts(http: Any, container: Any) -> None:
    settings(http, retention_days=90, auto_delete_expired=True)
    body = ok(http.get("/agency/gdpr/processing-record", token=DEMO))
    assert body["controller"]["legal_name"] == "Demo Makler GmbH"
    assert body["controller"]["dpo_contact"].startswith("Dr. Daniela Schutz")
    assert {s["region"] for s in body["aws_services"]} == {container.settings.region}
    assert "Amazon Simple Email Service" in {s["service"] for s in body["aws_services"]}
    assert body["retention"]["retention_days"] == 90
    assert "90 Tage" in body["retention"]["rule"]
    assert "automatische Löschung" in body["retention"]["rule"]
    assert body["retention"]["erasure_ledger_days"] == container.settings.erasure_ledger_days
    assert body["activities"]
    for activity in body["activities"]:
        # every activity carries the Art. 30(1)(b)-(f) facts
        for fact in ("purpose", "data_categories", "recipients", "retention"):
            assert activity[fact], (activity["name"], fact)
    # the other agency's settings are its own
    other = ok(http.get("/agency/gdpr/processing-record", token=OTHER))
    assert other["retention"]["retention_days"] == 180
    assert other["controller"]["legal_name"] == "Other Makler GmbH"


def test_activities_follow_the_registry(container: Any) -> None:
    registry = getattr(container, "person_data", None)
    names = [a["name"] for a in container.processing_record.activities()]
    if registry is not None:
        assert names == [h.name for h in registry.agency()]
        assert "reviews" not in names               # the platform's data, not the agency's
    else:
        assert names[0] == "addresses"


def test_printable_and_bad_format(http: Any) -> None:
    page = http.get("/agency/gdpr/processing-record?format=html", token=DEMO)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    for shown in ("Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)", "Demo Makler GmbH",
                  "Technische und organisatorische Maßnahmen", "eu-central-1"):
        assert shown in page.text, shown
    bad = http.get("/agency/gdpr/processing-record?format=xml", token=DEMO)
    assert bad.status == 422
    assert http.get("/agency/gdpr/processing-record").status == 401


def test_a_retention_of_one_day_reads_one_day(http: Any) -> None:
    settings(http, retention_days=1)
    rule = ok(http.get("/agency/gdpr/processing-record", token=DEMO))["retention"]["rule"]
    assert rule.startswith("Interessenten: 1 Tag nach Archivierung"), rule
