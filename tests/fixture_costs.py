"""Costs that every test's fresh moto world paid again although nothing in them changes,
paid once per test process instead.

Every functional test builds a new moto world and a new Container (``conftest.py``). A
profile of one functional file put almost all of the fixture set-up in two constants:

* **botocore's data files.** The Container makes each AWS client from its own
  ``boto3.session.Session()`` (as a Lambda does once per cold start), and every new session
  creates a new botocore ``Loader`` whose cache is per instance, so each test parsed the
  service models and ``endpoints.json`` again (45 % of the set-up in ``json.loads``). The
  files never change while the suite runs, so one loader and its cache serve every session.
  Sessions, clients and their event hooks stay per test. boto3 appends its own data folder
  to the loader's search paths in every session; the shared loader keeps each path once.
  botocore rewrites an S3 operation's model in place on its first call (the bucket out of
  the request URI) and keeps it so for the session; shared, later tests get the rewritten
  model, which the rewrite leaves as it is, like a long-lived session's later clients.
* **moto's Cognito key.** Each moto user pool imports the same private JWK from moto's
  resources (``jwks-private.json``, which has no prime factors, so every import recovers
  them: about 0.3 s a pool). The pool's key is imported once and shared, as the file is.

Neither changes an answer: the same files are read and the same key is used; only the
repeated parsing is gone. ``tests/unit/test_fixture_costs.py`` checks both."""

from __future__ import annotations

import json
from typing import Any

import botocore.loaders
import botocore.session
from joserfc import jwk


class _UniquePaths(list[str]):
    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


_loaders: dict[str | None, botocore.loaders.Loader] = {}
_create_loader = botocore.loaders.create_loader


def shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    loader = _loaders.get(search_path_string)
    if loader is None:
        loader = _create_loader(search_path_string)
        loader._search_paths = _UniquePaths(loader.search_paths)
        _loaders[search_path_string] = loader
    return loader


_keys: dict[str, Any] = {}


class _OnceRSAKey:
    """What moto's Cognito models use of ``joserfc.jwk.RSAKey``: ``import_key``."""

    @staticmethod
    def import_key(value: Any, *args: Any, **kwargs: Any) -> Any:
        name = json.dumps([value, args, kwargs], sort_keys=True, default=str)
        if name not in _keys:
            _keys[name] = jwk.RSAKey.import_key(value, *args, **kwargs)
        return _keys[name]


class _Jwk:
    """``joserfc.jwk`` as moto's Cognito models see it, with the key import done once."""

    RSAKey = _OnceRSAKey

    def __getattr__(self, name: str) -> Any:
        return getattr(jwk, name)


def install() -> None:
    from moto.cognitoidp import models as cognito_models

    botocore.session.create_loader = shared_loader
    cognito_models.jwk = _Jwk()  # type: ignore[assignment]
