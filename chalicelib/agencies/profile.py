"""The agency as controller (GDPR Art. 4(7)): the details every consent mail, its pages, the
Art. 15 export and the Art. 30 record name, and that other parts fall back to (the tour
gate's privacy link, the public review profile).

Stored as the map ``controller`` on the agency's own item (core table,
``AGENCY#<agency>`` / ``PROFILE``), so whoever already reads the agency — the consent
assistant, the gate — has the controller details in that same read. A change is one
conditional update on the map's version (``controller_version``).

onOffice generates the "Hinweispflicht" document only "sofern alle notwendigen Angaben
von Ihnen hinterlegt wurden": until ``REQUIRED`` are set, the consent assistant refuses
(409 ``controller_details_missing``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from chalicelib.clock import Clock, iso
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.storage.dynamo import Condition, ConditionFailed, Item, Table, Update
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.validation import EmailStr, Phone, SingleLine, postal_code, validate_model

PROFILE_FIELDS = ("legal_name", "street", "zip", "city", "email", "phone", "privacy_url",
                  "dpo_contact", "supervisory_authority")
REQUIRED = ("legal_name", "street", "zip", "city", "email", "privacy_url")
FIELD_LABELS = {
    "legal_name": "Firma (vollständiger Name)", "street": "Straße und Hausnummer",
    "zip": "PLZ", "city": "Ort", "email": "E-Mail", "phone": "Telefon",
    "privacy_url": "Datenschutzerklärung (URL)", "dpo_contact": "Datenschutzbeauftragter",
    "supervisory_authority": "Zuständige Aufsichtsbehörde",
}
MISSING_MESSAGE = ("Die Angaben zum Verantwortlichen fehlen noch ({fields}). Ohne sie "
                   "kann die Hinweispflicht (Art. 13 DSGVO) nicht erfüllt werden: bitte "
                   "unter Einstellungen → Verantwortlicher ergänzen.")


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValueError("muss eine https://-Adresse sein")
    if any(ord(c) < 33 or ord(c) > 126 for c in value):
        raise ValueError("darf nur ASCII-Zeichen ohne Leerzeichen enthalten")
    return value


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


_Opt = BeforeValidator(_blank_to_none)


# Optional single-line text, blank means null; one alias per length so that the checker
# sees a type, not a value.
_Text100 = Annotated[Annotated[SingleLine, Field(max_length=100)] | None, _Opt]
_Text200 = Annotated[Annotated[SingleLine, Field(max_length=200)] | None, _Opt]
_Text300 = Annotated[Annotated[SingleLine, Field(max_length=300)] | None, _Opt]


class ProfileInput(BaseModel):
    """PUT replaces what it names; a field left out keeps its value. A required field
    cannot be emptied (422); the optional ones are cleared with null or ""."""

    model_config = ConfigDict(extra="forbid", strict=True)

    legal_name: _Text200 = None
    street: _Text200 = None
    zip: Annotated[Annotated[str, AfterValidator(postal_code)] | None, _Opt] = None
    city: _Text100 = None
    email: Annotated[EmailStr | None, _Opt] = None
    phone: Annotated[Annotated[Phone, Field(max_length=40)] | None, _Opt] = None
    privacy_url: Annotated[Annotated[str, Field(max_length=2000),
                                     AfterValidator(_https_url)] | None, _Opt] = None
    dpo_contact: _Text300 = None
    supervisory_authority: _Text300 = None


@dataclass(frozen=True)
class Controller:
    """The controller details as stored (every field may still be missing)."""

    legal_name: str | None = None
    street: str | None = None
    zip: str | None = None
    city: str | None = None
    email: str | None = None
    phone: str | None = None
    privacy_url: str | None = None
    dpo_contact: str | None = None
    supervisory_authority: str | None = None
    updated_at: str | None = None

    @property
    def missing(self) -> list[str]:
        return [name for name in REQUIRED if not getattr(self, name)]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def postal_address(self) -> str:
        place = " ".join(p for p in (self.zip, self.city) if p)
        return ", ".join(p for p in (self.street, place) if p)

    def public(self) -> dict[str, Any]:
        body: dict[str, Any] = {name: getattr(self, name) for name in PROFILE_FIELDS}
        body.update(complete=self.complete, missing=self.missing, updated_at=self.updated_at)
        return body

    def as_map(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in PROFILE_FIELDS if getattr(self, name)}


def controller_of(agency: Item | None) -> Controller:
    """The controller details of an agency item (as ``AgencyRepository.get_agency`` reads
    it); empty for an agency that never saved them. Pure: no read."""
    stored = (agency or {}).get("controller") or {}
    return Controller(**{name: stored.get(name) or None for name in PROFILE_FIELDS},
                      updated_at=(agency or {}).get("controller_updated_at"))


def validated_profile(payload: Any) -> dict[str, str]:
    """The map to store for a complete new profile (e.g. the ops ``create_agency`` event
    passing the controller details along): 422 unless every required field is given."""
    data = validate_model(ProfileInput, payload)
    values = {name: getattr(data, name) for name in PROFILE_FIELDS if getattr(data, name)}
    missing = {name: "Pflichtfeld." for name in REQUIRED if name not in values}
    if missing:
        raise ValidationFailed(missing)
    return values


def require_complete(controller: Controller) -> None:
    if not controller.complete:
        names = ", ".join(FIELD_LABELS[n] for n in controller.missing)
        raise Conflict(MISSING_MESSAGE.format(fields=names), code="controller_details_missing")


class AgencyProfiles:
    def __init__(self, core: Table, clock: Clock,
                 on_privacy_url_changed: Callable[[str, str | None], None] | None = None
                 ) -> None:
        self.core = core
        self.clock = clock
        # Tours carry a copy of the privacy URL (the gate's fallback, one read); wiring
        # passes the tours' refresh here, so this module needs no tours import.
        self.on_privacy_url_changed = on_privacy_url_changed

    def _agency(self, agency_id: str) -> Item:
        from chalicelib.agencies.repository import agency_key

        item = self.core.get(*agency_key(agency_id)) if agency_id else None
        if item is None:
            raise NotFound("Agentur nicht gefunden.")
        return item

    def get(self, agency_id: str) -> Controller:
        """One read: the agency's controller details (``NotFound`` for no such agency)."""
        return controller_of(self._agency(agency_id))

    def privacy_url(self, agency_id: str) -> str | None:
        """The agency's privacy policy URL (the fallback of the tour gate's privacy link,
        the public profile page); None while not set or for an unknown agency."""
        try:
            return self.get(agency_id).privacy_url
        except NotFound:
            return None

    def put(self, agency_id: str, payload: Any) -> Controller:
        from chalicelib.agencies.repository import agency_key

        agency = self._agency(agency_id)  # 404 before the body is judged
        data = validate_model(ProfileInput, payload)
        named = data.model_fields_set
        emptied = {n: "Pflichtfeld." for n in REQUIRED if n in named and not getattr(data, n)}
        if emptied:
            raise ValidationFailed(emptied)

        def attempt(_number: int) -> Controller:
            nonlocal agency
            current = controller_of(agency).as_map()
            updated = {**current, **{n: getattr(data, n) for n in named}}
            updated = {k: v for k, v in updated.items() if v}
            version = int(agency.get("controller_version") or 0)
            condition = (Condition("attribute_exists({pk}) AND attribute_not_exists("
                                   "{controller_version})") if version == 0 else
                         Condition("{controller_version} = {:v}", v=version))
            now = iso(self.clock.now())
            try:
                item = self.core.update(*agency_key(agency_id), Update(
                    sets={"controller": updated, "controller_updated_at": now},
                    adds={"controller_version": 1}), condition)
            except ConditionFailed as exc:
                if exc.old is None:
                    raise NotFound("Agentur nicht gefunden.") from exc
                agency = exc.old  # changed meanwhile: apply the named fields to that
                raise Retry() from exc
            saved = controller_of(item)
            # Whenever the PUT names it (not only when it changed): a retry after a
            # refresh cut short by throttling completes it; tours already up to date
            # are skipped.
            if self.on_privacy_url_changed is not None and "privacy_url" in named:
                self.on_privacy_url_changed(agency_id, saved.privacy_url)
            return saved

        return optimistic(attempt)
