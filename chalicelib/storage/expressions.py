"""Update and condition expressions with generated placeholder names and values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chalicelib.storage.codec import serialize_value


@dataclass
class Update:
    """Builds an UpdateExpression with generated placeholder names."""

    sets: dict[str, Any] = field(default_factory=dict)
    adds: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    set_if_missing: dict[str, Any] = field(default_factory=dict)
    # Members to take out of set attributes (a missing member is no error; a set left
    # empty disappears, as DynamoDB stores no empty sets).
    deletes: dict[str, set[Any]] = field(default_factory=dict)

    def render(self, names: dict[str, str], values: dict[str, Any]) -> str:
        parts: list[str] = []
        set_parts: list[str] = []
        for attr, value in self.sets.items():
            set_parts.append(f"{_name(names, attr)} = {_value(values, value)}")
        for attr, value in self.set_if_missing.items():
            n = _name(names, attr)
            set_parts.append(f"{n} = if_not_exists({n}, {_value(values, value)})")
        if set_parts:
            parts.append("SET " + ", ".join(set_parts))
        if self.adds:
            parts.append(
                "ADD " + ", ".join(f"{_name(names, a)} {_value(values, v)}" for a, v in self.adds.items())
            )
        if self.removes:
            parts.append("REMOVE " + ", ".join(_name(names, a) for a in self.removes))
        deletes = {attr: members for attr, members in self.deletes.items() if members}
        if deletes:
            parts.append("DELETE " + ", ".join(f"{_name(names, a)} {_value(values, m)}"
                                               for a, m in deletes.items()))
        return " ".join(parts)


def _name(names: dict[str, str], attr: str) -> str:
    for placeholder, existing in names.items():
        if existing == attr:
            return placeholder
    placeholder = f"#n{len(names)}"
    names[placeholder] = attr
    return placeholder


def _value(values: dict[str, Any], value: Any) -> str:
    placeholder = f":v{len(values)}"
    values[placeholder] = value
    return placeholder


@dataclass
class Condition:
    """A ConditionExpression whose ``{name}`` and ``{:value}`` markers get placeholders.

    ``Condition("{status} = {:s} AND {expires} > {:now}", s="active", now=...)``.
    """

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params

    def render(self, names: dict[str, str], values: dict[str, Any]) -> str:
        out = self.template
        for key, value in self.params.items():
            out = out.replace("{:" + key + "}", _value(values, value))
        def repl(match: re.Match[str]) -> str:
            return _name(names, match.group(1))

        return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", repl, out)


def expression_args(
    update: Update | None, condition: Condition | None
) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    args: dict[str, Any] = {}
    if update is not None:
        args["UpdateExpression"] = update.render(names, values)
    if condition is not None:
        args["ConditionExpression"] = condition.render(names, values)
    if names:
        args["ExpressionAttributeNames"] = names
    if values:
        args["ExpressionAttributeValues"] = {k: serialize_value(v) for k, v in values.items()}
    return args
