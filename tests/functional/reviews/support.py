"""Helpers for the review tests: payloads, the submitting IP, links from the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalice.local import LambdaEventConverter

from tests.conftest import DEMO, QA
from tests.support import links_of, mails_to

# Global (public) addresses: private, loopback and documentation ranges carry no signal.
PUBLIC_IP = "81.169.145.10"
OTHER_PUBLIC_IP = "85.13.128.20"
TEXT = ("Herr Demo hat uns beim Verkauf unserer Wohnung in Pankow sehr gut beraten, "
        "alle Termine pünktlich wahrgenommen und den Preis realistisch eingeschätzt.")


def review_payload(**overrides: Any) -> dict[str, Any]:
    payload = {"rating": 5, "title": "Sehr gute Beratung", "text": TEXT,
               "reviewer_name": "Eva M.", "email": "eva@example.org"}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


@contextmanager
def source_ip(ip: str) -> Iterator[None]:
    """Requests made inside come from ``ip`` (the gateway's ``identity.sourceIp``)."""
    original = LambdaEventConverter.LOCAL_SOURCE_IP
    LambdaEventConverter.LOCAL_SOURCE_IP = ip
    try:
        yield
    finally:
        LambdaEventConverter.LOCAL_SOURCE_IP = original


def submit(http: Any, agency: str = "demo", ip: str | None = None, **overrides: Any) -> Any:
    payload = review_payload(**overrides)
    if ip is None:
        return http.post(f"/agencies/{agency}/reviews", payload)
    with source_ip(ip):
        return http.post(f"/agencies/{agency}/reviews", payload)




def last_link(outbox: Any, address: str, purpose: str) -> str:
    for message in reversed(mails_to(outbox(), address)):
        found = links_of(message, purpose)
        if found:
            return found[-1]
    raise AssertionError(f"no {purpose} link mailed to {address}")


def submit_and_confirm(http: Any, outbox: Any, agency: str = "demo", ip: str | None = None,
                       **overrides: Any) -> dict[str, Any]:
    reply = submit(http, agency, ip, **overrides)
    assert reply.status == 202, reply.body
    email = review_payload(**overrides)["email"]
    link = last_link(outbox, email, "review-confirm")
    done = http.form_post(link)
    assert done.status == 200, done.body
    review = qa_review(http, reply.json["review_id"])
    return review


def qa_review(http: Any, review_id: str) -> dict[str, Any]:
    reply = http.get(f"/qa/reviews/{review_id}", token=QA)
    assert reply.status == 200, reply.body
    return reply.json


def public(http: Any, agency: str = "demo", query: str = "") -> dict[str, Any]:
    reply = http.get(f"/agencies/{agency}/reviews{query}")
    assert reply.status == 200, reply.body
    return reply.json


def agency_list(http: Any, token: str = DEMO) -> list[dict[str, Any]]:
    reply = http.get("/agency/reviews", token=token)
    assert reply.status == 200, reply.body
    return reply.json["reviews"]




class DynamoCalls:
    """Counts the app's DynamoDB calls by operation (a botocore hook on its client)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        self.items_read = 0
        client.meta.events.register("before-call.dynamodb", self._hook)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _hook(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def _after(self, parsed: Any = None, **_: Any) -> None:
        if isinstance(parsed, dict):
            self.items_read += int(parsed.get("Count", 0)) + (1 if parsed.get("Item") else 0)

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    @property
    def writes(self) -> list[str]:
        return [c for c in self.calls if c in ("PutItem", "UpdateItem", "DeleteItem",
                                               "TransactWriteItems", "BatchWriteItem")]
