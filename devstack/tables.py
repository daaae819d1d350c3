"""Creates the DynamoDB tables described in infra/tables.json (the single definition)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent.parent / "infra" / "tables.json"
_CREATE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
                "LocalSecondaryIndexes", "BillingMode")


def table_definitions() -> dict[str, dict[str, Any]]:
    """``{short name: CloudFormation Properties}`` for every table in the template."""
    template = json.loads(INFRA.read_text(encoding="utf-8"))
    return {
        resource["Metadata"]["freigabe:table"]: resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


def create_tables(client: Any, prefix: str) -> list[str]:
    names = []
    for short, props in table_definitions().items():
        name = f"{prefix}-{short}"
        args = {k: props[k] for k in _CREATE_KEYS if k in props}
        client.create_table(TableName=name, **args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        names.append(name)
    return names
