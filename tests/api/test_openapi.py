"""The OpenAPI document and its pages: offline docs, honest security and error responses,
typed provenance objects with examples."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
from api.support import Service, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.world import METADATA, STANDARD, World
from partledger.api.app import create_app
from partledger.api.schemas import PROVENANCE_EXAMPLE, ProvenancePublic
from partledger.sdk import PrintInput

METHODS = {"get", "post", "put", "patch", "delete"}
PROVENANCE = "/v1/audit/provenance/{serial_number}"


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _validator(document: dict[str, Any], name: str) -> Any:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(schema)


def test_the_docs_pages_load_every_asset_from_the_service_itself(service: Service) -> None:
    for page in ("/docs", "/redoc"):
        response = service.client.get(page)
        assert response.status_code == 200
        html = response.text
        assert not re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+", html), page  # no other host
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
        assert assets, page
        for asset in assets:
            assert asset.startswith("/docs/assets/"), asset
            fetched = service.client.get(asset)
            assert fetched.status_code == 200, asset
            assert len(fetched.content) > 1000, asset
        assert "/openapi.json" in html
    bundle = service.client.get("/docs/assets/swagger-ui-bundle.js").text
    assert re.search(r'"5\.\d+\.\d+"', bundle)  # Swagger UI 5: renders OpenAPI 3.1
    assert service.client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_public_provenance_has_no_lock_and_every_authenticated_operation_has_one(
    service: Service, w3: Web3, world: World, dev_accounts: list[LocalAccount]
) -> None:
    document = service.client.get("/openapi.json").json()
    public = {
        ("get", PROVENANCE), ("get", "/v1/auth/nonce"), ("post", "/v1/auth/token"),
        ("get", "/v1/designs/{design_id}/public"),
    }  # fmt: skip
    for method, path, op in _operations(document):
        if (method, path) in public or not path.startswith(("/v1/", "/audit/")):
            assert not op.get("security"), (method, path)
        else:
            assert op["security"] == [{"HTTPBearer": []}], (method, path)
    runtime = make_runtime(w3, world, api_public_provenance=False)
    app = create_app(runtime, relayer=dev_accounts[9], background=False)
    with TestClient(app) as client:
        private = client.get("/openapi.json").json()
        assert private["paths"][PROVENANCE]["get"]["security"] == [{"HTTPBearer": []}]
        assert client.get("/v1/audit/provenance/SN-1").status_code == 401


def test_each_operation_lists_the_problems_it_can_answer_as_problem_json(
    service: Service,
) -> None:
    document = service.client.get("/openapi.json").json()
    statuses = {
        (method, path): {int(code) for code in op["responses"] if int(code) >= 400}
        for method, path, op in _operations(document)
    }
    assert statuses[("get", "/health")] == {503}
    assert statuses[("get", "/metrics")] == set()
    assert statuses[("get", "/v1/auth/nonce")] == {429}
    assert statuses[("get", PROVENANCE)] == {401, 404, 422, 429, 503}
    assert statuses[("get", "/v1/hub/machines")] == {401, 403, 429, 503}
    assert statuses[("post", "/v1/blobs")] == {401, 403, 413, 415, 422, 429, 503, 507}
    assert statuses[("post", "/v1/prints")] >= {413, 415, 422}
    assert len({frozenset(codes) for codes in statuses.values()}) > 5  # not one list for all
    for method, path, op in _operations(document):
        for code, response in op["responses"].items():
            if int(code) < 400 or (path, code) == ("/ready", "503"):
                continue
            content = response["content"]
            assert content["application/problem+json"] == {
                "schema": {"$ref": "#/components/schemas/Problem"}
            }, (method, path, code)
            assert set(content) <= {"application/problem+json", "text/html"}, (method, path)
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status"} <= set(problem["required"])
    assert {"limit", "accepted", "errors", "error", "arguments"} <= set(problem["properties"])
    assert "HTTPValidationError" not in document["components"]["schemas"]


def _untyped(
    document: dict[str, Any], schema: dict[str, Any], seen: set[str], name: str = "(body)"
) -> list[str]:
    """Names of object schemas reachable from ``schema`` whose members a client cannot know
    (``name`` is the member being looked at)."""
    if "$ref" in schema:
        ref = schema["$ref"].rsplit("/", 1)[1]
        if ref in seen:
            return []
        seen.add(ref)
        return _untyped(document, document["components"]["schemas"][ref], seen, name)
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _untyped(document, sub, seen, name)
    if schema.get("type") == "array":
        found += _untyped(document, schema.get("items", {}), seen, name)
    if schema.get("type") == "object":
        extra = schema.get("additionalProperties")
        typed_extra = isinstance(extra, dict) and extra != {}
        if not schema.get("properties") and not typed_extra:
            found.append(name)
        elif typed_extra:
            found += _untyped(document, extra, seen, name)
        for member, sub in schema.get("properties", {}).items():
            found += _untyped(document, sub, seen, member)
    return found


def test_provenance_objects_are_typed_and_the_example_conforms(service: Service) -> None:
    document = service.client.get("/openapi.json").json()
    response = document["paths"][PROVENANCE]["get"]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    assert _untyped(document, schema, set()) == []
    name = schema["$ref"].rsplit("/", 1)[1]
    component = document["components"]["schemas"][name]
    for member in ("record", "attestation", "design", "licence", "hub", "machine"):
        assert "$ref" in component["properties"][member], member
    assert component["examples"] == [PROVENANCE_EXAMPLE]
    _validator(document, name).validate(PROVENANCE_EXAMPLE)
    ProvenancePublic.model_validate(PROVENANCE_EXAMPLE)


def _provenance(service: Service, design_id: str, serial: str) -> dict[str, Any]:
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.audit.head = service.world.ledger.w3.eth.block_number
    response = service.client.get(f"/v1/audit/provenance/{serial}?design_id={design_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_real_provenance_documents_match_their_schema_exactly(service: Service) -> None:
    world = service.world
    document = service.client.get("/openapi.json").json()
    schema = document["paths"][PROVENANCE]["get"]["responses"]["200"]["content"]
    validator = _validator(document, schema["application/json"]["schema"]["$ref"].split("/")[-1])
    design = world.oem.register_design(world.design_file(), METADATA)
    qualified = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=5,
        valid_until=world.now() + 86_400, required_standard=STANDARD,
    ).licence_id  # fmt: skip
    world.hub.attest_print(PrintInput(qualified, "SN-DIRECT", world.machine, "LOT-1"))
    plain = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=5, valid_until=world.now() + 86_400
    ).licence_id
    world.hub.anchor_batch([PrintInput(plain, "SN-ANCHORED", world.machine, "LOT-2", None)])
    direct = _provenance(service, design.design_id, "SN-DIRECT")
    anchored = _provenance(service, design.design_id, "SN-ANCHORED")
    assert direct["qualification"]["standard"] == STANDARD and direct["anchor"] is None
    assert anchored["qualification"] is None and anchored["anchor"]["leaf_index"] == 0
    for body in (direct, anchored):
        validator.validate(body)
        ProvenancePublic.model_validate(body)  # extra="forbid": no undocumented member


FREE_FORM = {"args", "arguments"}
"""Members that are free-form on purpose: an event's decoded arguments (they differ per event)
and a contract error's arguments (per error)."""


def test_every_response_body_is_typed_for_a_generated_client(service: Service) -> None:
    document = service.client.get("/openapi.json").json()
    for method, path, op in _operations(document):
        for code, response in op["responses"].items():
            for media, content in response.get("content", {}).items():
                if "json" not in media:
                    continue
                untyped = set(_untyped(document, content.get("schema", {}), set()))
                assert untyped <= FREE_FORM, (method, path, code, untyped)


def test_every_example_in_the_document_conforms_to_its_schema(service: Service) -> None:
    document = service.client.get("/openapi.json").json()
    with_examples = {
        name: schema["examples"]
        for name, schema in document["components"]["schemas"].items()
        if "examples" in schema
    }
    assert {"Problem", "TokenCreate", "LicenceCreate", "AttestationsCreate"} <= set(with_examples)
    assert any(name.startswith("ProvenancePublic") for name in with_examples)
    for name, examples in with_examples.items():
        validator = _validator(document, name)
        for example in examples:
            validator.validate(example)
