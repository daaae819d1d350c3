"""Operator entry point: create agencies, issue and revoke tokens.

The same service answers a Lambda test event from the AWS console (``handle``) and this
CLI: ``python -m chalicelib.ops create-agency --name "Muster Immobilien" --email k@m.de``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chalicelib.errors import AppError


def handle(event: dict[str, Any], container: Any) -> dict[str, Any]:
    """``{"action": "create_agency", "agency": {...}}`` ·
    ``{"action": "issue_token", "kind": "agency"|"qa", "agency_id": "...", "label": "..."}`` ·
    ``{"action": "revoke_token", "token_id": "..."}``"""
    action = event.get("action")
    try:
        if action == "create_agency":
            return {"ok": True, "agency": container.agencies.create_agency(event.get("agency"))}
        if action == "issue_token":
            issued = container.agencies.issue_token(
                event.get("kind", "agency"), event.get("agency_id"),
                label=str(event.get("label", "")))
            return {"ok": True, "token_id": issued.token_id, "token": issued.token,
                    "kind": issued.kind, "agency_id": issued.agency_id,
                    "note": "Der Token wird nur jetzt angezeigt; gespeichert ist nur sein Hash."}
        if action == "revoke_token":
            container.agencies.revoke_token(str(event.get("token_id", "")))
            return {"ok": True, "revoked": event.get("token_id")}
        if action in ("export_person", "erase_person"):
            return _person(action, event, container)
    except AppError as error:
        return {"ok": False, "error": {"code": error.code, "message": error.message,
                                       "fields": error.fields}}
    return {"ok": False, "error": {
        "code": "unknown_action",
        "message": "action: create_agency | issue_token | revoke_token | export_person | "
                   "erase_person | run_job"}}


def _person(action: str, event: dict[str, Any], container: Any) -> dict[str, Any]:
    """Art. 15/20 export and Art. 17 erasure of one person (by email) in one agency's
    address book, through the same services as the agency API."""
    from chalicelib.errors import NotFound

    agency_id, email = str(event.get("agency_id") or ""), str(event.get("email") or "")
    address_id = container.addresses.find_id_by_email(agency_id, email) if email else None
    if not agency_id or address_id is None:
        raise NotFound("Keine Adresse mit dieser E-Mail bei dieser Agentur.")
    if action == "export_person":
        # address, GDPR state, activities (newest first) and the consent evidence.
        return {"ok": True, "agency_id": agency_id,
                **container.addresses.preview(agency_id, address_id),
                **container.gdpr.addresses.consent_records(agency_id, address_id)}
    result = container.gdpr.addresses.delete(agency_id, address_id, "ops",
                                             reason=str(event.get("reason") or "art17_request"))
    return {"ok": True, **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.ops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-agency")
    create.add_argument("--id", dest="agency_id")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True, help="contact email of the agency")
    create.add_argument("--contact-name")
    create.add_argument("--phone")
    issue = sub.add_parser("issue-token")
    target = issue.add_mutually_exclusive_group(required=True)
    target.add_argument("--agency", dest="agency_id")
    target.add_argument("--qa", action="store_true")
    issue.add_argument("--label", default="")
    revoke = sub.add_parser("revoke-token")
    revoke.add_argument("token_id")
    args = parser.parse_args(argv)

    if args.command == "create-agency":
        agency = {"name": args.name, "contact_email": args.email}
        for key in ("agency_id", "contact_name", "phone"):
            if getattr(args, key):
                agency[key] = getattr(args, key)
        event: dict[str, Any] = {"action": "create_agency", "agency": agency}
    elif args.command == "issue-token":
        event = {"action": "issue_token", "kind": "qa" if args.qa else "agency",
                 "agency_id": args.agency_id, "label": args.label}
    else:
        event = {"action": "revoke_token", "token_id": args.token_id}

    from chalicelib.wiring import get_container

    result = handle(event, get_container())
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
