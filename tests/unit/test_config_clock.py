"""Settings from the environment, and the application clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from chalicelib.clock import (
    AdjustableClock,
    FixedClock,
    SystemClock,
    berlin_date,
    epoch_seconds,
    iso,
    parse_iso,
)
from chalicelib.config import Settings

# -- Settings -------------------------------------------------------------------------------

def test_defaults_of_the_local_stage() -> None:
    settings = Settings.from_env({"FREIGABE_STAGE": "local"})
    assert settings.stage == "local"
    assert settings.dev_routes_enabled is True
    assert settings.unlock_link_days == 7
    assert settings.decision_link_days == 14
    assert settings.max_body_bytes == 16 * 1024
    assert settings.rate_per_email_per_hour == 5
    assert settings.rate_per_ip_per_hour == 30
    assert settings.mail_max_attempts == 8
    assert settings.mail_claim_seconds == 120
    assert settings.ses_configuration_set is None
    assert settings.table("core") == "freigabe-local-core"


def test_prefixed_variables_are_read_and_converted() -> None:
    settings = Settings.from_env({
        "FREIGABE_STAGE": "prod", "FREIGABE_TABLE_PREFIX": "freigabe-prod",
        "FREIGABE_HASH_KEY": "from-ssm",
        "FREIGABE_MAIL_MAX_ATTEMPTS": "3", "FREIGABE_UNLOCK_LINK_DAYS": "2",
        "FREIGABE_PUBLIC_BASE_URL": "https://freigabe.example",
        "FREIGABE_SES_CONFIGURATION_SET": "freigabe-prod",
    })
    assert settings.stage == "prod"
    assert settings.dev_routes_enabled is False
    assert settings.mail_max_attempts == 3
    assert settings.unlock_link_days == 2
    assert settings.table("tours") == "freigabe-prod-tours"
    assert settings.public_base_url == "https://freigabe.example"
    assert settings.ses_configuration_set == "freigabe-prod"
    assert settings.hash_key == "from-ssm"


def test_unprefixed_unknown_and_empty_variables_are_ignored() -> None:
    settings = Settings.from_env({
        "STAGE": "prod", "MAIL_MAX_ATTEMPTS": "1", "FREIGABE_NO_SUCH_SETTING": "x",
        "FREIGABE_SES_CONFIGURATION_SET": "", "FREIGABE_STAGE": "local",
        "freigabe_stage": "prod",
    })
    assert settings.stage == "local"
    assert settings.mail_max_attempts == 8
    assert settings.ses_configuration_set is None


@pytest.mark.parametrize("stage", ["dev", "prod", "staging"])
def test_dev_routes_exist_only_on_the_local_stage(stage) -> None:
    settings = Settings.from_env({"FREIGABE_STAGE": stage, "FREIGABE_HASH_KEY": "k"})
    assert settings.dev_routes_enabled is False


@pytest.mark.parametrize("key", [None, "", "local-development-only"])
def test_a_deployed_stage_refuses_the_public_local_hash_key(key) -> None:
    env = {"FREIGABE_STAGE": "prod"}
    if key is not None:
        env["FREIGABE_HASH_KEY"] = key
    with pytest.raises(ValidationError, match="FREIGABE_HASH_KEY"):
        Settings.from_env(env)


@pytest.mark.parametrize(("name", "value"), [
    ("FREIGABE_MAIL_MAX_ATTEMPTS", "0"), ("FREIGABE_MAIL_MAX_ATTEMPTS", "many"),
    ("FREIGABE_UNLOCK_LINK_DAYS", "0"), ("FREIGABE_MAIL_CLAIM_SECONDS", "5"),
    ("FREIGABE_MAX_BODY_BYTES", "100"), ("FREIGABE_RATE_PER_IP_PER_HOUR", "-1"),
])
def test_invalid_values_fail_loudly_at_start(name, value) -> None:
    with pytest.raises(ValidationError):
        Settings.from_env({"FREIGABE_STAGE": "local", name: value})


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({"FREIGABE_STAGE": "local"})
    with pytest.raises(ValidationError):
        settings.stage = "prod"  # type: ignore[misc]


def test_from_env_reads_the_process_environment_by_default(monkeypatch) -> None:
    monkeypatch.setenv("FREIGABE_RATE_PER_EMAIL_PER_HOUR", "9")
    assert Settings.from_env().rate_per_email_per_hour == 9


# -- iso / parse_iso ------------------------------------------------------------------------

@pytest.mark.parametrize(("moment", "text"), [
    (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "2026-11-23T09:00:00.000Z"),
    (datetime(2026, 11, 23, 9, 0, 5, 123456, tzinfo=UTC), "2026-11-23T09:00:05.123Z"),
    (datetime(2026, 11, 23, 9, 0, 5, 999999, tzinfo=UTC), "2026-11-23T09:00:05.999Z"),
    (datetime(2026, 11, 23, 10, 30, tzinfo=timezone(timedelta(hours=1))),
     "2026-11-23T09:30:00.000Z"),
    (datetime(2026, 7, 1, 0, 15, tzinfo=timezone(timedelta(hours=2))),
     "2026-06-30T22:15:00.000Z"),
])
def test_iso_is_utc_with_z_and_milliseconds(moment, text) -> None:
    assert iso(moment) == text


def test_iso_strings_sort_like_the_moments() -> None:
    base = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    moments = [base + timedelta(milliseconds=n * 7919) for n in range(50)]
    assert sorted(iso(m) for m in reversed(moments)) == [iso(m) for m in moments]


@pytest.mark.parametrize("text", ["2026-11-23T09:00:05.123Z", "2026-11-23T10:00:05.123+01:00",
                                  "2026-11-23T09:00:05.123+00:00"])
def test_parse_iso_reads_back_to_utc(text) -> None:
    moment = parse_iso(text)
    assert moment.tzinfo == UTC
    assert iso(moment) == "2026-11-23T09:00:05.123Z"


@pytest.mark.parametrize("text", ["2026-11-23T09:00:00", "gestern", "", "2026-13-01T00:00:00Z"])
def test_parse_iso_refuses_naive_or_garbage(text) -> None:
    with pytest.raises(ValueError):
        parse_iso(text)


def test_epoch_seconds() -> None:
    assert epoch_seconds(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert epoch_seconds(datetime(2026, 11, 23, 9, 0, 0, 999000, tzinfo=UTC)) == 1795424400


# -- berlin_date ----------------------------------------------------------------------------

@pytest.mark.parametrize(("moment", "day"), [
    (datetime(2026, 11, 23, 22, 59, tzinfo=UTC), date(2026, 11, 23)),  # CET, 23:59
    (datetime(2026, 11, 23, 23, 0, tzinfo=UTC), date(2026, 11, 24)),   # CET, midnight
    (datetime(2026, 7, 1, 21, 59, tzinfo=UTC), date(2026, 7, 1)),      # CEST, 23:59
    (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), date(2026, 7, 2)),       # CEST, midnight
    (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), date(2026, 3, 29)),     # DST switch night
])
def test_berlin_date(moment, day) -> None:
    assert berlin_date(moment) == day


# -- clocks ---------------------------------------------------------------------------------

def test_system_clock_is_aware_utc() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo == UTC
    assert before <= now <= after


def test_adjustable_clock_starts_at_real_time() -> None:
    clock = AdjustableClock()
    before = datetime.now(UTC)
    now = clock.now()
    assert before <= now <= datetime.now(UTC)


def test_adjustable_clock_set_moves_it_and_time_keeps_running() -> None:
    clock = AdjustableClock()
    target = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    clock.set(target)
    first = clock.now()
    second = clock.now()
    assert target <= first <= second
    assert first - target < timedelta(minutes=1)
    clock.set(datetime(2020, 1, 1, tzinfo=UTC))  # backwards works too
    assert clock.now() < datetime(2020, 1, 2, tzinfo=UTC)


def test_adjustable_clock_reset_returns_to_real_time() -> None:
    clock = AdjustableClock()
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    clock.reset()
    before = datetime.now(UTC)
    now = clock.now()
    assert before <= now <= datetime.now(UTC)


def test_fixed_clock_stands_still_until_moved() -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    clock = FixedClock(start)
    assert clock.now() == clock.now() == start
    clock.advance(minutes=90, seconds=1)
    assert clock.now() == start + timedelta(minutes=90, seconds=1)
    clock.set(start)
    assert clock.now() == start
