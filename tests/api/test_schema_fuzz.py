"""Schemathesis against the real app: the service does exactly what its OpenAPI document says.

Every operation is exercised from the schema (its examples, the coverage phase's boundary
and negative cases, undeclared methods, then seeded random cases) without a token and with
an OEM's and a hub's. Any non-conformance fails the test, not only a 5xx: an undocumented
status code, a content type or body that does not match the documented response, an
undeclared method answered otherwise than 405 with ``Allow``, a documented header missing.
Seeded and bounded (a few seconds per caller).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from api.support import Service, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from web3 import Web3

from helpers.world import World
from partledger.api.app import create_app

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
    "unsupported_method",
    "allow_header_conformance",
)
"""Every check but ``positive_data_acceptance``: some schema-valid requests are refused by
rules a schema cannot state (exactly one of two query parameters; an uploaded container's
header; the JSON in a form field), each answered with a documented 422."""
SEED = 20_260_612
MAX_EXAMPLES = 12


@pytest.fixture
def service(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> Iterator[Service]:
    """The service with its index on: the auditor views read it (503 without)."""
    runtime = make_runtime(w3, world, api_indexer=True)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        yield Service(client, world, dev_accounts, True)


def conformance_failures(service: Service, headers: dict[str, str]) -> tuple[list[str], set[str]]:
    """Run schemathesis's examples, coverage and fuzzing phases: a description of every
    failure, and the names of the checks that ran."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": headers,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.client.app, config=config)
    failures: list[str] = []
    ran: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    ran.add(node.name)
                    if node.failure_info is None:
                        continue
                    case = recorder.cases[case_id].value
                    response = recorder.find_response(case_id=case_id)
                    status = response.status_code if response is not None else None
                    failures.append(
                        f"{event.phase.name} {event.label} [{node.name}] "
                        f"{case.method} {case.formatted_path} -> {status}: "
                        f"{node.failure_info.failure.title}: {node.failure_info.failure.message}"
                    )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"schemathesis could not run: {event}")
    return failures, ran


@pytest.mark.parametrize("role", ["anonymous", "oem", "hub"])
def test_every_operation_conforms_to_its_schema(service: Service, role: str) -> None:
    headers: dict[str, Any] = {}
    if role != "anonymous":
        account = getattr(service.world, role).account
        headers = service.headers(account)
    failures, ran = conformance_failures(service, headers)
    assert not failures, f"{len(failures)} non-conformances:\n" + "\n".join(sorted(failures))
    assert ran >= {
        "not_a_server_error", "status_code_conformance", "content_type_conformance",
        "response_schema_conformance", "negative_data_rejection", "unsupported_method",
    }  # fmt: skip


def test_the_schema_covers_every_operation(service: Service) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
