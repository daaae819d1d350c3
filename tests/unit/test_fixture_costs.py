"""tests/fixture_costs.py (installed by conftest.py) changes what the suite's fixtures cost,
not what they build: sessions share one botocore loader whose search paths do not grow,
clients made through it have the models and endpoints of an unshared loader, and moto's
user pools carry the key of moto's own key file."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.handlers import (
    remove_accid_host_prefix_from_model,
    remove_bucket_from_url_paths_from_model,
)
from joserfc import jwk
from moto.utilities.utils import load_resource

from devstack.environment import start_mock
from tests import fixture_costs

REGION = "eu-central-1"


def _as_used(client: Any) -> dict[str, Any]:
    """The client's service description as every operation's first call leaves it.

    botocore rewrites S3 operation models in place when an operation is first called
    (``{Bucket}`` out of the request URI, ``{AccountId}.`` out of the host prefix), and the
    rewritten model stays in the loader's cache for every later client of that session. Both
    rewrites change nothing the second time, so a shared loader may hand out models that
    earlier tests' calls already rewrote: compare both sides rewritten."""
    model = client.meta.service_model
    for name in model.operation_names:
        operation = model.operation_model(name)
        remove_bucket_from_url_paths_from_model(params={}, model=operation, context={})
        remove_accid_host_prefix_from_model(params={}, model=operation, context={})
    description: dict[str, Any] = model._service_description
    return description


def test_the_suite_runs_with_the_shared_loader_and_moto_key() -> None:
    from moto.cognitoidp import models

    assert botocore.session.create_loader is fixture_costs.shared_loader
    assert models.jwk.RSAKey is fixture_costs._OnceRSAKey


def test_sessions_share_one_loader_whose_search_paths_stay_put() -> None:
    first = boto3.session.Session()
    paths = list(first._loader.search_paths)
    later = [boto3.session.Session() for _ in range(5)]
    assert all(s._loader is first._loader for s in later)
    assert list(first._loader.search_paths) == paths
    assert len(paths) == len(set(paths))


def test_clients_from_the_shared_loader_equal_those_from_a_fresh_one() -> None:
    fresh = botocore.session.Session()
    fresh.register_component("data_loader", botocore.loaders.create_loader())
    # The Container's clients (sesv2 sends the mails) and the stand-ins' set-up (ses).
    for service in ("dynamodb", "sesv2", "ses", "s3", "sqs", "kms", "cognito-idp"):
        shared = boto3.session.Session().client(service, region_name=REGION)
        own = fresh.create_client(service, region_name=REGION)
        assert shared.meta.endpoint_url == own.meta.endpoint_url
        # The whole service description: operations, shapes, documentation, endpoints rules.
        assert _as_used(shared) == _as_used(own), service
        assert shared.meta.partition == own.meta.partition


def test_moto_pools_carry_the_key_of_motos_key_file() -> None:
    mock = start_mock()
    try:
        client = boto3.client("cognito-idp", region_name=REGION)
        pools = [client.create_user_pool(PoolName=f"p{n}")["UserPool"]["Id"] for n in range(2)]
        from moto.cognitoidp.models import cognitoidp_backends

        backend = next(iter(cognitoidp_backends.values()))[REGION]
        keys = [backend.user_pools[p].json_web_key for p in pools]
    finally:
        mock.stop()
    expected = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    for key in keys:
        assert key.as_dict(private=True) == expected.as_dict(private=True)
