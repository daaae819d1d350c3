"""Creates the user pool of infra/cognito.json (the template's one definition) on moto's
cognito-idp, with its app client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.devtools import user_pool_name

INFRA = Path(__file__).resolve().parent.parent / "infra" / "cognito.json"
# CloudFormation property → CreateUserPool parameter where the names differ; properties
# that only CloudFormation knows (DeletionProtection handled by the stage) are passed on.
_POOL_SKIP = {"UserPoolName"}
_CLIENT_SKIP = {"UserPoolId", "ClientName"}


def definitions() -> dict[str, dict[str, Any]]:
    resources = json.loads(INFRA.read_text(encoding="utf-8"))["Resources"]
    return {"pool": resources["UserPool"]["Properties"],
            "client": resources["UserPoolClient"]["Properties"]}


def create_user_pool(client: Any, prefix: str) -> tuple[str, str]:
    props = definitions()
    pool_args = {k: v for k, v in props["pool"].items() if k not in _POOL_SKIP}
    pool_args["DeletionProtection"] = "INACTIVE"
    pool_id = client.create_user_pool(PoolName=user_pool_name(prefix), **pool_args
                                      )["UserPool"]["Id"]
    client_args = {k: v for k, v in props["client"].items() if k not in _CLIENT_SKIP}
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName=f"{prefix}-dashboard", **client_args
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id
