"""schemathesis from docs/openapi.yaml against the real local stack: generated valid and
invalid requests for every operation, with the right token, none, a garbage one, the
other kind's and the other agency's. No answer may be a 5xx, every answer must be one
the document declares (status, content type, headers, body schema), secured operations
answer 401 to anything but their own kind of token, and another agency never sees the
seeded records (404).

Bounded: ``FREIGABE_FUZZ_EXAMPLES`` examples per operation and generation mode (``make
test`` a few, ``make fuzz`` 200). Deterministic (derandomized) so a failure reproduces."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import OTHER
from tests.fuzz.support import CHECKS, EXAMPLES, SCHEMA, SKIPPED_PATHS, TOKENS, Target, scheme

OPERATIONS = sorted(op.label for op in (r.ok() for r in SCHEMA.get_all_operations())
                    if op.path not in SKIPPED_PATHS)
# How the request authenticates: the operation's own token half of the time.
AUTH = st.sampled_from(["own", "own", "own", "own", "none", "garbage", "wrong_kind", "other"])

# Figures for the report (printed at the end of the module, see test_zz_figures).
RUN: Counter[str] = Counter()


def _operation(label: str) -> Any:
    method, path = label.split(" ", 1)
    return SCHEMA[path][method]


def _headers(security: str | None, auth: str) -> dict[str, str]:
    token = {
        "own": TOKENS.get(security or "", TOKENS["agencyBearer"]),
        "garbage": "kein-gueltiges-token",
        "wrong_kind": TOKENS["qaBearer" if security == "agencyBearer" else "agencyBearer"],
        "other": OTHER,
    }.get(auth)
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="module")
def session() -> Any:
    with requests.Session() as http:
        yield http


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize("label", OPERATIONS)
def test_operation(label: str, mode: GenerationMode, target: Target, session: Any) -> None:
    operation = _operation(label)
    security = scheme(operation)
    names = [p.name for p in operation.path_parameters]

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(case=operation.as_strategy(generation_mode=mode), auth=AUTH,
           real=st.fixed_dictionaries({n: st.one_of(st.none(), st.integers(0, 10))
                                       for n in names}))
    def run(case: Any, auth: str, real: dict[str, int | None]) -> None:
        # Aim at seeded records half of the time (the rest stays generated).
        aimed = False
        for name, pick in real.items():
            known = target.ids.get(name)
            if known and pick is not None:
                case.path_parameters[name] = known[pick % len(known)]
                aimed = True
        headers = _headers(security, auth)
        response = case.call(base_url=target.stack.base, session=session, headers=headers,
                             allow_redirects=False, timeout=30)
        RUN["requests"] += 1
        RUN[f"status {response.status_code}"] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)
        if security and auth != "own" and auth != "other":
            assert response.status_code == 401, (label, auth, response.status_code)
        if security == "agencyBearer" and auth == "other" and aimed:
            # Tenant isolation: the seeded records belong to "demo".
            assert response.status_code in (401, 404), (label, response.status_code,
                                                         response.text[:300])

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip("nothing in this operation can be made invalid")
    RUN["operations/modes"] += 1


def test_zz_figures(target: Target) -> None:
    """Runs last in the module: the stack survived; prints what was tried."""
    assert target.stack.call("GET", "/health").status == 200
    print(f"\nschemathesis: {len(OPERATIONS)} operations x 2 modes, up to {EXAMPLES} examples "
          f"each; {RUN['requests']} requests; " + ", ".join(
              f"{k}: {v}" for k, v in sorted(RUN.items()) if k.startswith("status")))
