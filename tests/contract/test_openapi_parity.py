"""docs/openapi.yaml against the app: the same routes and methods, a valid OpenAPI 3.1
document, and the security and error responses it declares match what the routes do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator

import app as application
from devstack.environment import DEMO_PASSWORD
from tests.conftest import DEMO, QA, Http

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head")
# CORS preflights are answered by the gateway (and chalice local) for every CORS route;
# they are not routes of the app.
IGNORED_METHODS = {"OPTIONS"}
TOKENS = {"agencyBearer": DEMO, "qaBearer": QA}
# A person's route (sign-out) refuses keys: the API key and the QA token are both wrong.
WRONG_KIND = {"agencyBearer": QA, "qaBearer": DEMO, "personBearer": DEMO}


def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _normal(path: str) -> str:
    # API Gateway and chalice local drop a trailing slash before matching ("/dashboard/").
    return path.rstrip("/") or "/"


def app_operations() -> set[tuple[str, str]]:
    return {(method.upper(), _normal(path))
            for path, methods in application.app.routes.items()
            for method in methods if method.upper() not in IGNORED_METHODS}


def spec_operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), _normal(path)): operation
            for path, item in spec["paths"].items()
            for method, operation in item.items() if method in METHODS}


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _path_params(spec: dict[str, Any], path: str, operation: dict[str, Any]) -> list[str]:
    item = spec["paths"][path]
    params = [_resolve(spec, p) for p in [*item.get("parameters", []),
                                          *operation.get("parameters", [])]]
    return [p["name"] for p in params if p["in"] == "path"]


def _schemes(operation: dict[str, Any]) -> list[str]:
    return [name for requirement in operation.get("security", []) for name in requirement]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    errors = [str(e.message) for e in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert errors == []


def test_every_route_of_the_app_is_in_the_document_and_nothing_else(
        spec: dict[str, Any]) -> None:
    in_app = app_operations()
    in_spec = set(spec_operations(spec))
    assert sorted(in_app - in_spec) == [], "routes of the app missing in docs/openapi.yaml"
    assert sorted(in_spec - in_app) == [], "operations in docs/openapi.yaml without a route"


def test_operation_ids_are_unique_and_every_operation_is_tagged(spec: dict[str, Any]) -> None:
    operations = spec_operations(spec).values()
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(op.get("tags") for op in operations)


def test_every_operation_declares_the_errors_its_shape_can_produce(spec: dict[str, Any]) -> None:
    """Auth → 401; a path id → 404; a JSON body → 400, 413 and 422 (contract, Conventions)."""
    missing: list[str] = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            codes = set(operation["responses"])
            wanted = set()
            if _schemes(operation):
                wanted.add("401")
            if "agencyBearer" in _schemes(operation):
                wanted.add("403")  # contract v2: a role that may not use it
            if _path_params(spec, path, operation):
                wanted.add("404")
            body = _resolve(spec, operation.get("requestBody", {}))
            if "application/json" in body.get("content", {}):
                wanted |= {"400", "413", "422"}
            missing += [f"{method.upper()} {path}: {code}" for code in sorted(wanted - codes)]
    assert missing == []


def test_error_responses_use_the_envelope(spec: dict[str, Any]) -> None:
    envelope = {"#/components/schemas/Error", "#/components/schemas/ValidationError"}
    wrong: list[str] = []
    for (method, path), operation in spec_operations(spec).items():
        for code, response in operation["responses"].items():
            if not code.startswith(("4", "5")):
                continue
            content = _resolve(spec, response).get("content", {})
            if path.startswith("/links/"):
                continue  # the link pages answer errors as German HTML pages (contract)
            schema = content.get("application/json", {}).get("schema", {})
            if schema.get("$ref") not in envelope:
                wrong.append(f"{method} {path} {code}")
    assert wrong == []


def test_retry_after_is_declared_with_429_and_503(spec: dict[str, Any]) -> None:
    for (method, path), operation in spec_operations(spec).items():
        for code in ("429", "503"):
            if code in operation["responses"] and not path.startswith("/links/"):
                response = _resolve(spec, operation["responses"][code])
                assert "Retry-After" in response.get("headers", {}), (method, path, code)


def _concrete(spec: dict[str, Any], path: str, operation: dict[str, Any]) -> str:
    for name in _path_params(spec, path, operation):
        path = path.replace("{" + name + "}", "unknown-id")
    return path


def test_security_in_the_document_is_what_the_routes_enforce(
        spec: dict[str, Any], http: Http, people: dict[str, str]) -> None:
    """Each secured operation answers 401 without a token and with the other kind's token,
    and does not with its own; each public GET answers without one."""
    person = http.post("/auth/sign-in", {"email": "makler@demo-makler.de",
                                         "password": DEMO_PASSWORD}).json["id_token"]
    own = {**TOKENS, "personBearer": person}
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            if (method, path) == ("post", "/auth/sign-out"):
                continue  # the person's token would end here: checked last
            url = _concrete(spec, path, operation)
            schemes = _schemes(operation)
            if not schemes:
                if method in ("get", "head"):
                    assert http.request(method.upper(), url).status != 401, (method, path)
                    checked += 1
                continue
            assert len(schemes) == 1, (method, path)
            scheme = schemes[0]
            assert http.request(method.upper(), url).status == 401, (method, path)
            assert http.request(method.upper(), url,
                                token=WRONG_KIND[scheme]).status == 401, (method, path)
            # Without a body the answer is 400/404/422…, never 401.
            assert http.request(method.upper(), url,
                                token=own[scheme]).status != 401, (method, path)
            checked += 1
    assert checked >= 40
    assert http.post("/auth/sign-out").status == 401
    assert http.post("/auth/sign-out", token=DEMO).status == 401
    assert http.post("/auth/sign-out", token=QA).status == 401
    assert http.post("/auth/sign-out", token=person).status == 200


def test_local_only_operations_are_marked(spec: dict[str, Any]) -> None:
    local = {(m, p) for (m, p), op in spec_operations(spec).items() if op.get("x-local-only")}
    assert {("GET", "/dev/outbox"), ("PUT", "/dev/clock"), ("DELETE", "/dev/clock"),
            ("POST", "/dev/jobs/{job}"), ("GET", "/demo/tours/{tour_id}")} <= local
    assert all(p.startswith(("/dev/", "/demo/", "/embed/demo")) for _, p in local)
