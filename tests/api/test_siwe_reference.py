"""Our EIP-4361 messages are byte-for-byte those of the reference `siwe` library (npm)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from partledger.siwe import SiweMessage, SiweParseError, parse

REFERENCE = Path(__file__).with_name("siwe_reference.cjs")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "siwe").is_dir(),
    reason="node and the npm siwe package (npm ci) are needed",
)
ADDRESS = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
BASE = {
    "domain": "ledger.example.com",
    "address": ADDRESS,
    "uri": "https://ledger.example.com/login",
    "chain_id": 31337,
    "nonce": "k3Jd8sLq0aZ2xY7w",
    "issued_at": "2026-11-25T18:00:00.000Z",
}
CASES = {
    "minimal": {},
    "statement": {"statement": "Sign in to PartLedger"},
    "every optional field": {
        "statement": "Sign in to PartLedger",
        "expiration_time": "2026-11-25T18:05:00.000Z",
        "not_before": "2026-11-25T17:59:00.000Z",
        "request_id": "req-42",
        "resources": ("https://ledger.example.com/v1/designs", "ipfs://bafybeigdyrzt5sfp7"),
    },
}
TO_JS = {
    "chain_id": "chainId", "issued_at": "issuedAt", "expiration_time": "expirationTime",
    "not_before": "notBefore", "request_id": "requestId",
}  # fmt: skip


def reference(request: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(REFERENCE)], input=json.dumps(request), capture_output=True, text=True,
        cwd=ROOT, timeout=60, check=True,
    )  # fmt: skip
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _js_fields(message: SiweMessage) -> dict[str, Any]:
    fields = {
        TO_JS.get(k, k): (list(v) if isinstance(v, tuple) else v)
        for k, v in dataclasses.asdict(message).items()
        if v not in (None, ()) and k != "scheme"
    }
    return fields


@pytest.mark.parametrize("case", sorted(CASES))
def test_built_messages_match_the_reference_text(case: str) -> None:
    ours = SiweMessage(**BASE, **CASES[case])
    assert ours.to_text() == reference({"build": _js_fields(ours)})["text"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_side_parses_the_other_sides_message_to_the_same_fields(case: str) -> None:
    ours = SiweMessage(**BASE, **CASES[case])
    text = reference({"build": _js_fields(ours)})["text"]
    assert parse(text) == ours
    parsed = reference({"parse": ours.to_text()})["fields"]
    assert {k: parsed[k] for k in _js_fields(ours)} == _js_fields(ours)


def test_a_signature_by_eth_account_verifies_with_the_reference() -> None:
    account = Account.from_key("0x" + "5" * 64)
    text = SiweMessage(**{**BASE, "address": account.address}).to_text()
    signature = account.sign_message(encode_defunct(text=text)).signature
    assert reference({"verify": {"message": text, "signature": "0x" + signature.hex()}})["ok"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace(ADDRESS, ADDRESS.lower()),  # not EIP-55
        lambda t: t.replace("Version: 1", "Version: 2"),
        lambda t: t.replace("Chain ID: 31337", "Chain ID: x"),
        lambda t: t.replace(" wants you to sign in", " wants to sign in"),
    ],
)
def test_both_refuse_malformed_messages(mangle: Any) -> None:
    text = mangle(SiweMessage(**BASE).to_text())
    with pytest.raises(SiweParseError):
        parse(text)
    assert "error" in reference({"parse": text})
