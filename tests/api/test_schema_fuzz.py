"""Property-based fuzzing from the OpenAPI schema: no 5xx, every response matches the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from api.support import Service
from hypothesis import HealthCheck, given, settings

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
]


def _fuzzer(operation: Any, headers: dict[str, str]) -> Callable[[], None]:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return fuzz  # type: ignore[no-any-return]


def test_every_operation_answers_within_its_schema(service: Service) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.client.app)
    tokens = {
        "oem": service.headers(service.world.oem.account),
        "hub": service.headers(service.world.hub.account),
    }
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        for role, headers in tokens.items():
            try:
                _fuzzer(operation, headers)()
            except Exception as exc:
                raise AssertionError(f"{operation.label} as {role}: {exc}") from exc
