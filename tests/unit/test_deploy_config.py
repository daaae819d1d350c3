"""Deployed stages read the hash key from an SSM SecureString (by name, at first use)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from chalicelib.config import LOCAL_HASH_KEY, Settings
from chalicelib.wiring import resolve_secrets


def test_a_deployed_stage_needs_a_key_or_the_name_of_its_parameter():
    with pytest.raises(ValueError):
        Settings(stage="dev")
    assert Settings(stage="dev", hash_key="k").needs_hash_key is False
    assert Settings(stage="dev", hash_key_parameter="/freigabe-dev/hash-key").needs_hash_key


def test_the_key_is_read_from_ssm_with_decryption():
    with mock_aws():
        ssm = boto3.client("ssm", region_name="eu-central-1")
        ssm.put_parameter(Name="/freigabe-dev/hash-key", Value="s3cr3t-key",
                          Type="SecureString")
        settings = Settings(stage="dev", hash_key_parameter="/freigabe-dev/hash-key")
        resolved = resolve_secrets(settings, ssm)
        assert resolved.hash_key == "s3cr3t-key"
        assert resolve_secrets(resolved, ssm) is resolved  # read once
        ssm.put_parameter(Name="/freigabe-dev/hash-key", Value=LOCAL_HASH_KEY,
                          Type="SecureString", Overwrite=True)
        with pytest.raises(ValueError):
            resolve_secrets(settings, ssm)


def test_local_settings_need_no_parameter():
    local = Settings(stage="local")
    assert resolve_secrets(local) is local
