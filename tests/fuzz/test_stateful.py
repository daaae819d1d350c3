"""Stateful fuzzing along the document's links: create a tour → read, replace, register
for it → poll access with the viewer token, approve or deny; create an address → patch,
preview, add activities, delete; create a property → archive, relate; report a review →
request a statement or proof, resolve. Each step's answer must conform to the document
and never be a 5xx, so sequences reach records in every state, not only fresh 404s."""

from __future__ import annotations

from collections import Counter
from typing import Any

import requests
from hypothesis import HealthCheck, settings

from tests.fuzz.support import CHECKS, EXAMPLES, SCHEMA, SKIPPED_PATHS, TOKENS, Target, scheme

STEPS: Counter[str] = Counter()


def test_linked_operations_conform(target: Target) -> None:
    base = target.stack.base
    session = requests.Session()

    machine = SCHEMA.exclude(path=SKIPPED_PATHS)

    class Workflow(machine.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            security = scheme(case.operation)
            headers = {"Authorization": f"Bearer {TOKENS[security]}"} if security else {}
            return {"base_url": base, "session": session, "headers": headers,
                    "allow_redirects": False, "timeout": 30}

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            STEPS[f"{case.operation.label} {response.status_code}"] += 1
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))

    try:
        Workflow.run(settings=settings(
            # Capped: past ~100 runs hypothesis replays choices whose rules depend on the
            # live server's state and stops with FlakyStrategyDefinition (seen at 200).
            max_examples=min(max(5, EXAMPLES), 100), stateful_step_count=8, derandomize=True,
            database=None, deadline=None, suppress_health_check=list(HealthCheck)))
    finally:
        session.close()
    succeeded = sorted(label for label in STEPS if label.rsplit(" ", 1)[1] in ("200", "201", "202"))
    print(f"\nstateful: {sum(STEPS.values())} steps; succeeded: {', '.join(succeeded)}")
    # The links led somewhere: an operation on a record's id succeeded.
    assert any("{" in label for label in succeeded), STEPS
