"""docs/operations.md documents every ops event with a valid example and has a runbook
for every alarm the template creates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.ops import ACTIONS, parse
from infra.build_template import STAGES, build

DOC = (Path(__file__).resolve().parent.parent.parent / "docs" / "operations.md").read_text(
    encoding="utf-8")


def test_every_ops_action_has_an_example_that_validates():
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", DOC, re.S)]
    for example in examples:
        parse(example)  # raises on an invalid example
    assert {e["action"] for e in examples} == set(ACTIONS)


@pytest.mark.parametrize("stage", STAGES)
def test_every_alarm_has_a_runbook(stage):
    headings = [line for line in DOC.splitlines() if line.startswith("### ")]
    alarms = [name for name, r in build(stage)["Resources"].items()
              if r.get("Type") == "AWS::CloudWatch::Alarm"]
    assert len(alarms) >= 11
    missing = [a for a in alarms if not any(f"`{a}`" in h for h in headings)]
    assert missing == []
