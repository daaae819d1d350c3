"""The merge template per stage (infra/build_template.py): dev and prod alarms watch their
own API and their own metrics, and their names do not collide in one account."""

from __future__ import annotations

import json
from typing import Any

from infra.build_template import METRICS_SERVICE, ROOT, STAGES, build, stack_name


def _resolve(value: Any, stage: str) -> Any:
    """The value CloudFormation gives for this stage's stack (StackName references only)."""
    if value == {"Ref": "AWS::StackName"}:
        return stack_name(stage)
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return value["Fn::Sub"].replace("${AWS::StackName}", stack_name(stage))
    return value


def _alarms(stage: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in build(stage)["Resources"].items()
            if v.get("Type") == "AWS::CloudWatch::Alarm"}


def test_the_api_is_named_after_the_stack_and_the_5xx_alarm_watches_it():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    seen = set()
    for stage in STAGES:
        resources = build(stage)["Resources"]
        api = resources["RestAPI"]["Properties"]
        assert _resolve(api["Name"], stage) == stack_name(stage)
        assert _resolve(api["DefinitionBody"]["info"]["title"], stage) == stack_name(stage)
        alarm = resources["Api5xxRateAlarm"]["Properties"]
        dims = {d["Name"]: _resolve(d["Value"], stage) for d in alarm["Dimensions"]}
        assert dims == {"ApiName": stack_name(stage),
                        "Stage": config["stages"][stage]["api_gateway_stage"]}
        seen.add(tuple(sorted(dims.items())))
    assert len(seen) == len(STAGES)  # dev and prod never share the metric


def test_alarm_names_are_per_stack_and_unique():
    names: list[str] = []
    for stage in STAGES:
        for logical_id, alarm in _alarms(stage).items():
            assert _resolve(alarm["AlarmName"], stage) == f"{stack_name(stage)}-{logical_id}"
            names.append(_resolve(alarm["AlarmName"], stage))
    assert len(names) == len(set(names))


def test_the_job_alarms_select_their_stage():
    for stage in STAGES:
        for job in ("ReviewSweep", "RetentionSweep"):
            alarm = _alarms(stage)[f"{job}NotSucceededAlarm"]
            dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
            assert dims["stage"] == stage and dims["service"] == "freigabe-api"
            assert alarm["Namespace"] == "freigabe" and alarm["MetricName"] == "JobSucceeded"


def test_the_metrics_service_name_is_the_one_the_functions_run_with():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["environment_variables"]["POWERTOOLS_SERVICE_NAME"] == METRICS_SERVICE
