"""Tour settings, registration input and the release-mode rules (chalicelib.tours.model)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.tours.model import (
    FIELD_NAMES,
    Lead,
    Protection,
    TourInput,
    access_status,
    decision_status,
    initial_status,
    rate_window,
    validate_registration,
)
from chalicelib.validation import validate_model

PRIVACY = "Bitte stimmen Sie der Datenschutzerklärung zu."


def fields_of(payload: dict[str, Any], required: list[str] | tuple[str, ...] = ("email",)
              ) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_registration(payload, list(required))
    assert caught.value.status == 422
    return caught.value.fields or {}


def ok(**payload: Any) -> dict[str, Any]:
    return {"email": "eva@example.org", "privacy_accepted": True, **payload}


# -- validate_registration ----------------------------------------------------------------

def test_minimal_registration_gives_a_lead_with_only_the_email() -> None:
    lead = validate_registration(ok(), ["email"])
    assert lead == Lead(email="eva@example.org")
    assert lead.display_name == ""
    assert lead.as_dict() == {name: ("eva@example.org" if name == "email" else None)
                              for name in FIELD_NAMES}


def test_every_required_field_missing_is_listed_at_once() -> None:
    fields = fields_of({}, FIELD_NAMES)
    assert fields == {**dict.fromkeys(FIELD_NAMES, "Pflichtfeld."), "privacy_accepted": PRIVACY}


def test_email_is_required_even_if_the_list_forgets_it() -> None:
    assert fields_of({"privacy_accepted": True}, []) == {"email": "Pflichtfeld."}
    assert fields_of(ok(email="  "), ["first_name"]) == {"email": "Pflichtfeld.",
                                                        "first_name": "Pflichtfeld."}


def test_the_tours_choice_decides_what_is_required() -> None:
    required = ["first_name", "last_name", "email"]
    assert fields_of(ok(), required) == {"first_name": "Pflichtfeld.",
                                         "last_name": "Pflichtfeld."}
    assert fields_of(ok(first_name="   ", last_name=None), required) == {
        "first_name": "Pflichtfeld.", "last_name": "Pflichtfeld."}
    lead = validate_registration(ok(first_name="Eva", last_name="Muster"), required)
    assert lead.display_name == "Eva Muster"


def test_optional_fields_are_taken_when_given_and_blank_ones_dropped() -> None:
    lead = validate_registration(ok(city="  Berlin ", street="  ", phone=None), ["email"])
    assert lead.city == "Berlin"
    assert lead.street is None and lead.phone is None


def test_email_is_checked_and_normalized() -> None:
    assert validate_registration(ok(email="  Eva@Example.ORG "), []).email == "Eva@example.org"
    # SES and mail headers need ASCII: an internationalized domain is kept as Punycode,
    # an internationalized local part (SMTPUTF8) cannot be delivered and is refused.
    assert validate_registration(ok(email="eva@bücher.de"), []).email == "eva@xn--bcher-kva.de"
    for bad in ("jürgen@example.org", "nope", "eva@", "@example.org", "eva example@example.org",
                "eva@example.org\r\nBcc: x@example.org", "a" * 250 + "@example.org"):
        assert fields_of(ok(email=bad)) == {"email": "Ist keine gültige E-Mail-Adresse."}, bad


@pytest.mark.parametrize("name", ["first_name", "last_name", "street", "city"])
@pytest.mark.parametrize("value", ["Eva\r\nBcc: x@example.org", "Eva\nX", "Eva\rX", "Eva\x00",
                                   "Eva\u2028X", "Eva\tX"])
def test_single_line_fields_refuse_line_breaks_and_control_characters(name, value) -> None:
    assert fields_of(ok(**{name: value})) == {
        name: "Darf keine Zeilenumbrüche oder Steuerzeichen enthalten."}


def test_message_keeps_line_breaks_normalized_but_refuses_other_control_characters() -> None:
    lead = validate_registration(ok(message="Hallo,\r\nich\rhabe\tFragen.\n"), [])
    assert lead.message == "Hallo,\nich\nhabe\tFragen."
    assert fields_of(ok(message="Hallo\x07")) == {"message": "Darf keine Steuerzeichen enthalten."}


def test_html_in_names_is_data_not_an_error() -> None:
    # Escaping is the templates' job; the value is kept as typed.
    assert validate_registration(ok(first_name="<b>Eva</b>"), []).first_name == "<b>Eva</b>"


@pytest.mark.parametrize(("name", "limit"), [("first_name", 100), ("last_name", 100),
                                             ("city", 100), ("street", 200),
                                             ("message", 2000)])
def test_lengths_are_capped(name, limit) -> None:
    assert getattr(validate_registration(ok(**{name: "x" * limit}), []), name) == "x" * limit
    assert fields_of(ok(**{name: "x" * (limit + 1)})) == {
        name: f"Zu lang (höchstens {limit} Zeichen)."}


def test_phone_and_zip_have_a_shape() -> None:
    lead = validate_registration(ok(phone="+49 (30)  123-45", zip="10115"), [])
    assert (lead.phone, lead.zip) == ("+49 (30) 123-45", "10115")
    assert fields_of(ok(phone="ruf mich an", zip="1")) == {
        "phone": "Ist keine gültige Telefonnummer.", "zip": "Ist keine gültige Postleitzahl."}
    assert fields_of(ok(phone="+4")) == {"phone": "Ist keine gültige Telefonnummer."}


@pytest.mark.parametrize("accepted", [None, False, "true", 1, "yes", [True]])
def test_privacy_must_be_accepted_with_a_real_true(accepted) -> None:
    payload = ok(privacy_accepted=accepted)
    assert fields_of(payload) == {"privacy_accepted": PRIVACY}


@pytest.mark.parametrize("value", [123, 1.5, True, ["Eva"], {"name": "Eva"}])
def test_wrong_types_are_refused_not_coerced(value) -> None:
    assert fields_of(ok(first_name=value)) == {"first_name": "Muss ein Text sein."}
    assert fields_of(ok(email=value)) == {"email": "Muss ein Text sein."}


# -- Protection ---------------------------------------------------------------------------

def protection(**data: Any) -> Protection:
    return validate_model(Protection, {"mode": "email", **data})


def protection_errors(**data: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_model(Protection, {"mode": "email", **data})
    return caught.value.fields or {}


def test_email_is_always_required() -> None:
    assert protection().required_fields == ["email"]
    assert protection(required_fields=[]).required_fields == ["email"]
    assert protection(required_fields=["phone"]).required_fields == ["email", "phone"]


def test_required_fields_come_in_form_order_without_duplicates() -> None:
    chosen = ["message", "city", "first_name", "city", "email", "email", "last_name"]
    assert protection(required_fields=chosen).required_fields == [
        "first_name", "last_name", "email", "city", "message"]


def test_protected_viewpoints_keep_order_and_drop_duplicates() -> None:
    assert protection(protected_viewpoints=["bad", "kueche", "bad", "og.1:flur"]
                      ).protected_viewpoints == ["bad", "kueche", "og.1:flur"]


def test_protection_refuses_unknown_values() -> None:
    assert protection_errors(mode="maybe") == {
        "mode": "Ungültiger Wert. Erlaubt: 'email', 'manual' oder 'off'."}
    assert set(protection_errors(required_fields=["age"])) == {"required_fields.0"}
    assert protection_errors(required_fields="email") == {"required_fields": "Muss eine Liste sein."}
    assert set(protection_errors(protected_viewpoints=["wohn zimmer"])) == {
        "protected_viewpoints.0"}
    assert set(protection_errors(protected_viewpoints=["x" * 101])) == {"protected_viewpoints.0"}
    assert protection_errors(protected_viewpoints=["x"] * 501) == {
        "protected_viewpoints": "Zu viele Einträge (höchstens 500)."}
    assert protection_errors(extra=True) == {"extra": "Unbekanntes Feld."}
    assert set(protection_errors(mode=1)) == {"mode"}


def test_all_three_modes_are_accepted() -> None:
    assert [protection(mode=m).mode for m in ("email", "manual", "off")] == [
        "email", "manual", "off"]


# -- TourInput ----------------------------------------------------------------------------

def tour(**overrides: Any) -> dict[str, Any]:
    data = {"title": "Altbau", "tour_url": "https://touren.example/altbau",
            "protection": {"mode": "email"},
            "contact": {"name": "Dana Demo", "company": "Demo Makler GmbH",
                        "email": "dana@demo-makler.de", "phone": "+49 30 1234567"}}
    data.update(overrides)
    return data


def tour_errors(**overrides: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_model(TourInput, tour(**overrides))
    return caught.value.fields or {}


@pytest.mark.parametrize(("given", "stored"), [
    ("https://touren.example/altbau", "https://touren.example/altbau"),
    ("  https://touren.example/altbau?id=7 ", "https://touren.example/altbau?id=7"),
    ("http://127.0.0.1:8000/demo/tours/x", "http://127.0.0.1:8000/demo/tours/x"),
])
def test_tour_url_accepts_http_and_https(given, stored) -> None:
    assert validate_model(TourInput, tour(tour_url=given)).tour_url == stored


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://touren.example/x", "Muss eine https-URL sein."),
    ("javascript:alert(1)", "Muss eine https-URL sein."),
    ("//touren.example/x", "Muss eine https-URL sein."),
    ("https://", "Muss eine https-URL sein."),
    ("touren.example/x", "Muss eine https-URL sein."),
    ("https://touren.example/x#start",
     "Darf keinen #-Anker enthalten (er wird für die Freischaltung genutzt)."),
    ("https://touren.example/x#",
     "Darf keinen #-Anker enthalten (er wird für die Freischaltung genutzt)."),
    ("https://touren.example/a b", "Darf keine Leer- oder Steuerzeichen enthalten."),
    ("https://touren.example/a\x07", "Darf keine Leer- oder Steuerzeichen enthalten."),
    ("https://touren.example/" + "x" * 2000, "Zu lang (höchstens 2000 Zeichen)."),
    (42, "Muss ein Text sein."),
])
def test_tour_url_rules(url, why) -> None:
    assert tour_errors(tour_url=url) == {"tour_url": why}


def test_tour_input_needs_title_and_contact_that_are_not_blank() -> None:
    errors = tour_errors(title="   ", contact={"name": " ", "company": "\t", "email": "x",
                                              "phone": "?"})
    assert errors == {"title": "Pflichtfeld.", "contact.name": "Pflichtfeld.",
                      "contact.company": "Pflichtfeld.",
                      "contact.email": "Ist keine gültige E-Mail-Adresse.",
                      "contact.phone": "Ist keine gültige Telefonnummer."}


def test_tour_input_refuses_header_injection_in_the_contact() -> None:
    errors = tour_errors(contact={"name": "Dana\r\nBcc: x@example.org", "company": "C",
                                  "email": "dana@demo-makler.de", "phone": "+49 30 1"})
    assert errors == {"contact.name": "Darf keine Zeilenumbrüche oder Steuerzeichen enthalten."}


def test_tour_input_property_id_is_optional_text() -> None:
    assert validate_model(TourInput, tour()).property_id is None
    assert validate_model(TourInput, tour(property_id=" prop-1 ")).property_id == "prop-1"
    assert tour_errors(property_id="x" * 101) == {
        "property_id": "Zu lang (höchstens 100 Zeichen)."}
    assert set(tour_errors(property_id=7)) == {"property_id"}


def test_tour_input_is_strict_about_shape() -> None:
    assert tour_errors(extra=1) == {"extra": "Unbekanntes Feld."}
    assert set(tour_errors(protection=None)) == {"protection"}
    data = tour()
    del data["contact"]
    with pytest.raises(ValidationFailed) as caught:
        validate_model(TourInput, data)
    assert caught.value.fields == {"contact": "Pflichtfeld."}


# -- status rules -------------------------------------------------------------------------

def test_initial_status_per_mode() -> None:
    assert initial_status("email") == "pending_email"
    assert initial_status("manual") == "pending_approval"
    with pytest.raises(Conflict) as caught:
        initial_status("off")
    assert (caught.value.status, caught.value.code) == (409, "protection_off")


def test_decision_only_on_a_pending_request() -> None:
    assert decision_status("pending_approval", "approve") == "unlocked"
    assert decision_status("pending_approval", "deny") == "denied"
    for status in ("unlocked", "denied", "pending_email"):
        for decision in ("approve", "deny"):
            with pytest.raises(Conflict) as caught:
                decision_status(status, decision)
            assert caught.value.code == "already_decided"


def test_access_status() -> None:
    assert access_status("off", None) == "unlocked"
    assert access_status("off", "denied") == "unlocked"
    assert access_status("email", None) == "locked"
    assert access_status("manual", None) == "locked"
    for status in ("pending_email", "pending_approval", "unlocked", "denied"):
        assert access_status("email", status) == status


@pytest.mark.parametrize(("now", "key", "seconds"), [
    (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "2026112309", 3600),
    (datetime(2026, 11, 23, 9, 15, 30, 500000, tzinfo=UTC), "2026112309", 2669),
    (datetime(2026, 11, 23, 9, 59, 59, tzinfo=UTC), "2026112309", 1),
    (datetime(2026, 11, 23, 9, 59, 59, 900000, tzinfo=UTC), "2026112309", 1),
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "2026123123", 1800),
])
def test_rate_window_is_the_hour_and_the_seconds_left_in_it(now, key, seconds) -> None:
    assert rate_window(now) == (key, seconds)


def test_rate_window_changes_on_the_hour() -> None:
    moment = datetime(2026, 11, 23, 9, 59, 59, tzinfo=UTC)
    assert rate_window(moment)[0] != rate_window(moment + timedelta(seconds=1))[0]

