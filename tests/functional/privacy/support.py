"""Helpers for the GDPR tests: addresses, properties, activities, worklists and the sweep
over HTTP, the clock by Berlin calendar day, and a DynamoDB read counter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.conftest import DEMO, START

TODAY = date(2026, 11, 23)  # START is 09:00 UTC = 10:00 in Berlin on this day
assert START.date() == TODAY


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def set_day(clock: Any, offset: int) -> None:
    """Moves the application clock to 10:00 Berlin time, ``offset`` days after TODAY."""
    clock.set(START + timedelta(days=offset))


def ok(reply: Any, status: int = 200) -> Any:
    assert reply.status == status, (reply.status, reply.body[:500])
    return reply.json


def create_address(http: Any, token: str = DEMO, **fields: Any) -> dict[str, Any]:
    body = {"first_name": "Eva", "last_name": "Muster", **fields}
    return ok(http.post("/agency/addresses", body, token=token), 201)


def get_address(http: Any, address_id: str, token: str = DEMO) -> dict[str, Any]:
    return ok(http.get(f"/agency/addresses/{address_id}", token=token))


def patch(http: Any, address_id: str, body: Any, token: str = DEMO) -> Any:
    return http.request("PATCH", f"/agency/addresses/{address_id}", json_body=body, token=token)


def delete(http: Any, address_id: str, token: str = DEMO) -> Any:
    return http.request("DELETE", f"/agency/addresses/{address_id}", token=token)


def preview(http: Any, address_id: str, token: str = DEMO) -> dict[str, Any]:
    return ok(http.get(f"/agency/addresses/{address_id}/preview", token=token))


def create_property(http: Any, title: str = "Altbauwohnung", token: str = DEMO,
                    **extra: Any) -> str:
    body = ok(http.post("/agency/properties", {"title": title, **extra}, token=token), 201)
    assert body["status"] == "active"
    return body["property_id"]


def archive(http: Any, property_id: str, token: str = DEMO) -> dict[str, Any]:
    return ok(http.post(f"/agency/properties/{property_id}/archive", token=token))


def activity(http: Any, address_id: str, kind: str, property_id: str | None = None,
             token: str = DEMO, **extra: Any) -> dict[str, Any]:
    body = {"type": kind, **({"property_id": property_id} if property_id else {}), **extra}
    return ok(http.post(f"/agency/addresses/{address_id}/activities", body, token=token), 201)


def relate(http: Any, property_id: str, address_id: str, role: str, token: str = DEMO) -> Any:
    return http.post(f"/agency/properties/{property_id}/relations",
                     {"address_id": address_id, "role": role}, token=token)


def settings(http: Any, token: str = DEMO, **values: Any) -> dict[str, Any]:
    return ok(http.put("/agency/gdpr/settings", values, token=token))


def worklist(http: Any, name: str, token: str = DEMO, **query: Any) -> dict[str, Any]:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return ok(http.get(f"/agency/gdpr/widgets/{name}" + (f"?{suffix}" if suffix else ""),
                       token=token))


def listed(http: Any, name: str, token: str = DEMO) -> set[str]:
    return {a["address_id"] for a in worklist(http, name, token)["addresses"]}


def consent_request(http: Any, *address_ids: str, token: str = DEMO) -> dict[str, Any]:
    return ok(http.post("/agency/gdpr/consent-requests", {"address_ids": list(address_ids)},
                        token=token))


def sweep(http: Any) -> dict[str, Any]:
    return ok(http.post("/dev/jobs/retention-sweep", {}))


def lead_with_archived_property(http: Any, **fields: Any) -> tuple[str, str]:
    """An address interested in one property (an inquiry), and that property's id."""
    address = create_address(http, **fields)
    property_id = create_property(http)
    activity(http, address["address_id"], "inquiry", property_id)
    return address["address_id"], property_id


@dataclass
class ReadCounter:
    """Counts DynamoDB reads per operation and index: calls and items evaluated."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def hook(self, client: Any) -> ReadCounter:
        client.meta.events.register("before-parameter-build.dynamodb", self._params)
        client.meta.events.register("after-call.dynamodb", self._after)
        return self

    @staticmethod
    def _params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["counted_params"] = dict(params)

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any,
               context: dict[str, Any], **_: Any) -> None:
        params = context.get("counted_params", {})
        items = parsed.get("Items")
        count = parsed.get("Count", len(items) if items is not None else (
            1 if parsed.get("Item") else 0))
        self.calls.append({"op": model.name, "index": params.get("IndexName"),
                           "count": count, "scanned": parsed.get("ScannedCount", count),
                           "params": params})

    def on_index(self, index: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["op"] == "Query" and c["index"] == index]

    def scanned(self, index: str) -> int:
        return sum(c["scanned"] for c in self.on_index(index))

    def reset(self) -> None:
        self.calls.clear()


def at_noon(offset: int) -> datetime:
    return datetime.combine(TODAY + timedelta(days=offset), datetime.min.time(),
                            tzinfo=UTC).replace(hour=11)
