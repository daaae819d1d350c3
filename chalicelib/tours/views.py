"""What tours show outside the table: the agency's view of a tour and of a registration
(also the Art. 15 export's), the snapshot a registration's mails and pages carry, the
player's protection view, the viewer token's shape, and the tours' link purposes."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.storage.dynamo import Item
from chalicelib.tours.items import RegistrationItem
from chalicelib.tours.model import FIELD_NAMES
from chalicelib.tours.tour_url import redirect_target
from chalicelib.tours.viewing import viewing_view

_REGISTRATION_ID = re.compile(r"^[a-z2-7]{26}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PROSPECT_MAIL_KINDS = frozenset(
    {"tour_unlock", "tour_request_received", "tour_access_granted", "tour_access_denied",
     "tour_reentry"}
)
PURPOSE_UNLOCK, PURPOSE_APPROVE, PURPOSE_DENY = "unlock", "approve", "deny"


def parse_viewer_token(token: str | None) -> tuple[str, str] | None:
    """``<registration id>.<secret>``; anything else is no token at all."""
    if not token or len(token) > 200:
        return None
    registration_id, _, secret = token.partition(".")
    if not _REGISTRATION_ID.fullmatch(registration_id) or not _SECRET.fullmatch(secret):
        return None
    return registration_id, secret


def public_tour(item: Item) -> dict[str, Any]:
    view = {name: item.get(name) for name in (
        "tour_id", "title", "tour_url", "property_id", "protection", "contact",
        "created_at", "updated_at")}
    view["allowed_origins"] = item.get("allowed_origins") or []
    view["privacy_url"] = item.get("privacy_url")
    return view


def public_registration(item: RegistrationItem) -> dict[str, Any]:
    prospect = item.get("prospect") or {}
    return {
        "registration_id": item["registration_id"], "tour_id": item["tour_id"],
        "status": item["status"], "created_at": item["created_at"],
        **{name: prospect.get(name) for name in FIELD_NAMES},
        "undeliverable": bool(item.get("undeliverable", False)),
        # The per-recipient mail cap held this registration's mail back (issue 19).
        "mail_suppressed": bool(item.get("mail_suppressed", False)),
        "decided_at": item.get("decided_at"), "unlocked_at": item.get("unlocked_at"),
        # Who decided (contract v2: an actor; v1 registrations hold a plain string).
        "decided_by": item.get("decided_by"),
        "address_id": item.get("address_id"),
        "viewpoint_id": item.get("viewpoint_id"),
        "viewing_stats_accepted": bool(item.get("viewing_stats_accepted", False)),
        "viewing": viewing_view(item, timeline=False),
    }


def registration_view(item: RegistrationItem) -> dict[str, Any]:
    """The agency's view of one registration, also the one in the Art. 15 export (ops):
    with the lead's viewing timeline (personal data, exported and erased with it)."""
    return {**public_registration(item), "viewing": viewing_view(item, timeline=True)}


def snapshot_of(item: RegistrationItem) -> dict[str, Any]:
    """What a registration's mails and pages need, copied at registration time so a link
    POST needs no further read."""
    return {
        "registration_id": item["registration_id"], "tour_id": item["tour_id"],
        "agency_id": item["agency_id"], "tour_title": item["tour_title"],
        "tour_url": item["tour_url"], "contact": item["contact"], "prospect": item["prospect"],
        **({"viewpoint_id": item["viewpoint_id"]} if item.get("viewpoint_id") else {}),
        "address_id": item.get("address_id"),
        # Where the unverified lead landed (issue 19; absent on older registrations).
        **({"lead": item["lead"], "property_id": item.get("property_id")}
           if item.get("lead") else {}),
    }


def entry_url(snapshot: dict[str, Any], viewer_token: str) -> str:
    """The way back into the tour (unlock redirect, approval mail): the viewer token and,
    when the prospect asked for one, the viewpoint (ids are URL-safe by their rule)."""
    viewpoint = snapshot.get("viewpoint_id")
    return (f"{redirect_target(snapshot['tour_url'])}#freigabe={viewer_token}"
            + (f"&ansicht={viewpoint}" if viewpoint else ""))


def protection_view(tour: Item) -> dict[str, Any]:
    protection = tour["protection"]
    off = protection["mode"] == "off"
    return {"mode": protection["mode"], "required_fields": protection["required_fields"],
            "protected_viewpoints": [] if off else protection["protected_viewpoints"]}
