"""An agency's API keys (contract v2, "Accounts"): named, revocable bearer keys for
machines. Stored as the agency tokens of chalicelib/agencies (SHA-256 only, plus a visible
prefix); the v1 tokens are such keys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.agencies.repository import AgencyRepository
from chalicelib.agencies.service import AgencyService
from chalicelib.auth.actor import Actor
from chalicelib.errors import NotFound, Unavailable
from chalicelib.storage.dynamo import TransactionCancelled
from chalicelib.validation import SingleLine, validate_model


class NewApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: SingleLine = Field(min_length=1, max_length=100)


def public_key(item: dict[str, Any]) -> dict[str, Any]:
    return {"api_key_id": item["token_id"], "name": item.get("name") or item.get("label") or "",
            "prefix": item.get("prefix"), "created_at": item.get("created_at"),
            "created_by": item.get("created_by")}


class ApiKeys:
    def __init__(self, repo: AgencyRepository, agencies: AgencyService) -> None:
        self.repo = repo
        self.agencies = agencies

    def list(self, agency_id: str) -> dict[str, Any]:
        keys = sorted(self.repo.list_api_keys(agency_id), key=lambda k: k.get("created_at", ""))
        return {"api_keys": [public_key(k) for k in keys]}

    def create(self, agency_id: str, payload: Any, actor: Actor) -> dict[str, Any]:
        data = validate_model(NewApiKey, payload)
        issued = self.agencies.issue_token("agency", agency_id, label=data.name,
                                           created_by=actor.as_dict())
        return {**public_key(issued.record), "key": issued.token}

    def revoke(self, agency_id: str, api_key_id: str) -> dict[str, Any]:
        item = self.repo.get_api_key(agency_id, api_key_id)
        if item is None:
            raise NotFound("API-Schlüssel nicht gefunden.")
        try:
            self.repo.delete_token(api_key_id, item["token_hash"], agency_id)
        except TransactionCancelled as exc:
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            # revoked in between
            raise NotFound("API-Schlüssel nicht gefunden.") from exc
        return {"api_key_id": api_key_id, "revoked": True}
