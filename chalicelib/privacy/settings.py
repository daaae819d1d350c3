"""Per-agency GDPR settings (``AGENCY#<agency>`` / ``GDPR#SETTINGS`` in the addresses table).

Defaults: the automatic store-until date on archive is on (it is the module's point; the
agency switches it off explicitly), 180 days after the archive date; automatic deletion of
expired addresses is off until the agency switches it on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from chalicelib.clock import Clock, iso
from chalicelib.privacy import rules
from chalicelib.privacy.model import SettingsInput
from chalicelib.storage.dynamo import Condition, ConditionFailed, Table
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.validation import validate_model

DEFAULT_RETENTION_DAYS = 180


def settings_key(agency_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", "GDPR#SETTINGS"


@dataclass(frozen=True)
class GdprSettings:
    auto_store_until: bool = True
    retention_days: int = DEFAULT_RETENTION_DAYS
    auto_delete_expired: bool = False
    custom_reasons: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        # What the dashboard offers for "Speichern-Bis-Grund": the usual reasons and the
        # agency's own.
        data["store_until_reasons"] = rules.unique([*rules.USUAL_REASONS, *self.custom_reasons])
        return data


class SettingsRepository:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def get(self, agency_id: str) -> GdprSettings:
        return self._read(agency_id)[0]

    def _read(self, agency_id: str) -> tuple[GdprSettings, int]:
        item = self.table.get(*settings_key(agency_id))
        if item is None:
            return GdprSettings(), 0
        return GdprSettings(
            auto_store_until=bool(item.get("auto_store_until", True)),
            retention_days=int(item.get("retention_days", DEFAULT_RETENTION_DAYS)),
            auto_delete_expired=bool(item.get("auto_delete_expired", False)),
            custom_reasons=list(item.get("custom_reasons") or []),
        ), int(item.get("version", 0))

    def put(self, agency_id: str, payload: Any) -> GdprSettings:
        data = validate_model(SettingsInput, payload)
        changes = {k: v for k, v in data.model_dump().items() if k in data.model_fields_set}
        if "custom_reasons" in changes:
            changes["custom_reasons"] = rules.unique(changes["custom_reasons"])
        pk, sk = settings_key(agency_id)

        def attempt(_number: int) -> GdprSettings:
            current, version = self._read(agency_id)
            updated = replace(current, **changes)
            condition = (Condition("attribute_not_exists({pk})") if version == 0
                         else Condition("{version} = {:v}", v=version))
            try:
                self.table.put({"pk": pk, "sk": sk, **asdict(updated), "version": version + 1,
                                "updated_at": iso(self.clock.now())}, condition)
            except ConditionFailed as exc:
                raise Retry() from exc  # changed meanwhile: apply the named fields to the new state
            return updated

        return optimistic(attempt)
