"""The order in which a paged list answers a bad ``?limit=`` or ``?cursor=`` (routes hand
their service a ``Page``, parsed when the service asks): an unknown record answers 404
before the query is parsed, a list's own parameters (status, q) are checked before the
page, and what each list checked first before stays first."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, QA

BAD_CURSOR = "%21%21%21"


def fields(reply: Any) -> set[str]:
    assert reply.status == 422, (reply.status, reply.body)
    return set(reply.json["error"]["fields"])


def test_an_unknown_record_answers_404_before_the_page_is_parsed(http: Any) -> None:
    assert http.get("/agencies/nobody/reviews?limit=0").status == 404
    assert http.get(f"/agencies/nobody/reviews?cursor={BAD_CURSOR}").status == 404
    assert http.get(f"/agency/tours/nothing/registrations?cursor={BAD_CURSOR}",
                    token=DEMO).status == 404
    assert http.get(f"/agency/webhooks/nothing/deliveries?cursor={BAD_CURSOR}",
                    token=DEMO).status == 404


def test_the_webhook_deliveries_limit_is_checked_before_the_webhook(http: Any) -> None:
    assert fields(http.get("/agency/webhooks/nothing/deliveries?limit=0", token=DEMO)) \
        == {"limit"}


def test_a_known_agency_checks_limit_then_cursor(http: Any) -> None:
    assert fields(http.get(f"/agencies/demo/reviews?limit=101&cursor={BAD_CURSOR}")) \
        == {"limit"}
    assert fields(http.get(f"/agencies/demo/reviews?limit=100&cursor={BAD_CURSOR}")) \
        == {"cursor"}
    assert fields(http.get(f"/agency/reviews?limit=201&cursor={BAD_CURSOR}", token=DEMO)) \
        == {"limit"}


def test_qa_lists_check_status_then_limit_then_cursor(http: Any) -> None:
    for path, top in (("/qa/reviews", 200), ("/qa/reports", 100), ("/qa/notices", 100)):
        assert fields(http.get(f"{path}?status=nope&limit=0&cursor={BAD_CURSOR}", token=QA)) \
            == {"status"}, path
        assert fields(http.get(f"{path}?limit={top + 1}&cursor={BAD_CURSOR}", token=QA)) \
            == {"limit"}, path
        assert fields(http.get(f"{path}?limit={top}&cursor={BAD_CURSOR}", token=QA)) \
            == {"cursor"}, path


def test_the_address_list_checks_limit_first_and_reads_no_cursor_by_email(http: Any) -> None:
    assert fields(http.get("/agency/addresses?email=a@example.org&limit=0", token=DEMO)) \
        == {"limit"}
    assert fields(http.get(f"/agency/addresses?q=x&limit=0&cursor={BAD_CURSOR}", token=DEMO)) \
        == {"limit"}
    # An address by its email is one answer: the cursor is not read.
    assert http.get(f"/agency/addresses?email=a@example.org&cursor={BAD_CURSOR}",
                    token=DEMO).status == 200
    assert fields(http.get(f"/agency/addresses?q=x&cursor={BAD_CURSOR}", token=DEMO)) == {"q"}
    assert fields(http.get(f"/agency/addresses?q=Muster&cursor={BAD_CURSOR}", token=DEMO)) \
        == {"cursor"}


def test_the_registrations_page_size_is_fixed(http: Any, make_tour: Any) -> None:
    tour = make_tour()
    assert http.get(f"/agency/tours/{tour['tour_id']}/registrations?limit=0",
                    token=DEMO).status == 200


def test_one_addresses_invitations_read_no_page(http: Any) -> None:
    assert http.get(f"/agency/review-invitations?address_id=x&limit=0&cursor={BAD_CURSOR}",
                    token=DEMO).status == 200
    assert fields(http.get(f"/agency/review-invitations?limit=201&cursor={BAD_CURSOR}",
                           token=DEMO)) == {"limit"}
    assert fields(http.get(f"/agency/review-invitations?cursor={BAD_CURSOR}", token=DEMO)) \
        == {"cursor"}
