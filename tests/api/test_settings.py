"""The service's settings as an operator writes them in the environment."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError
from pydantic_settings import NoDecode

from partledger.config import Settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("oemA,oemB", ["oemA", "oemB"]),
        (" oemA , oemB ,", ["oemA", "oemB"]),
        ("oemA", ["oemA"]),
        ('["oemA", "oemB"]', ["oemA", "oemB"]),
        ("", []),
        ("[]", []),
    ],
)
def test_custodial_oems_are_read_comma_separated_as_documented_or_as_json(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("PARTLEDGER_API_CUSTODIAL_OEMS", value)
    assert Settings().api_custodial_oems == expected


@pytest.mark.parametrize("value", ['{"oemA": 1}', '["oemA",', "[1, 2]"])
def test_a_list_setting_that_is_bad_json_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PARTLEDGER_API_CUSTODIAL_OEMS", value)
    with pytest.raises(ValidationError):
        Settings()


def test_every_list_setting_accepts_comma_separated_values() -> None:
    lists = {
        name: field
        for name, field in Settings.model_fields.items()
        if typing.get_origin(field.annotation) is list
    }
    assert "api_custodial_oems" in lists
    for name, field in lists.items():
        assert any(isinstance(m, NoDecode) or m is NoDecode for m in field.metadata), name
