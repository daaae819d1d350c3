"""Issue 19, hole 4: the stage has no default. A deployment that lost FREIGABE_STAGE must
not come up as the local stack (dev routes, local hash key): the function refuses to start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib import wiring
from chalicelib.config import Settings


@pytest.mark.parametrize("env", [{}, {"FREIGABE_STAGE": ""},
                                 {"FREIGABE_HASH_KEY": "k", "FREIGABE_TABLE_PREFIX": "x"}])
def test_settings_without_a_stage_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="stage"):
        Settings.from_env(env)


@pytest.mark.parametrize("stage", ["LOCAL", "local ", "prod/../local", "x" * 41])
def test_a_malformed_stage_is_refused(stage: str) -> None:
    with pytest.raises(ValidationError):
        Settings.from_env({"FREIGABE_STAGE": stage, "FREIGABE_HASH_KEY": "k"})


def test_the_function_refuses_to_start_without_a_stage(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """The first invocation builds the container from the environment: without the stage
    it fails loudly (an error alarm), it never serves as ``local``."""
    installed = wiring.current()
    monkeypatch.delenv("FREIGABE_STAGE", raising=False)
    wiring.install(None)
    try:
        with pytest.raises(ValidationError, match="stage"):
            wiring.get_container()
        assert wiring.current() is None
    finally:
        wiring.install(installed)


@pytest.mark.parametrize("stage", ["dev", "prod", "staging", "localhost", "local-test"])
def test_dev_routes_only_for_the_local_stage(stage: str) -> None:
    assert Settings.from_env({"FREIGABE_STAGE": stage, "FREIGABE_HASH_KEY": "k"}
                             ).dev_routes_enabled is False
    assert Settings.from_env({"FREIGABE_STAGE": "local"}).dev_routes_enabled is True
