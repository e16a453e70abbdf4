"""The service killed mid-batch and mid-upload: nothing lost or duplicated, no partial blob."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api.support import both_engines, container_like
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from helpers.attestations import signed_attestations
from helpers.world import World
from partledger.chain.local import LocalChain, free_port
from partledger.siwe import SiweMessage, format_time

CHILD = Path(__file__).with_name("service_child.py")


class Child:
    def __init__(
        self, anvil: LocalChain, world: World, data_dir: Path, service_db_url: str
    ) -> None:
        self.anvil, self.world, self.data_dir = anvil, world, data_dir
        self.service_db_url = service_db_url
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, kill_at: str = "") -> None:
        args = [str(self.world.data_dir / "rec.json"), str(self.data_dir), str(self.port)]
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(CHILD),
                self.anvil.rpc_url,
                *args,
                *([kill_at] if kill_at else []),
            ],
            env={**os.environ, "PARTLEDGER_SERVICE_DATABASE_URL": self.service_db_url},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the service did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def token(self, account: LocalAccount) -> dict[str, str]:
        nonce = httpx.get(self.url + "/v1/auth/nonce").json()["nonce"]
        text = SiweMessage(
            domain=f"127.0.0.1:{self.port}", address=account.address, uri=self.url,
            chain_id=31337, nonce=nonce, issued_at=format_time(_now()),
        ).to_text()  # fmt: skip
        signature = "0x" + bytes(account.sign_message(encode_defunct(text=text)).signature).hex()
        body = httpx.post(
            self.url + "/v1/auth/token", json={"message": text, "signature": signature}
        ).json()
        return {"Authorization": f"Bearer {body['access_token']}"}


def visible_blobs(root: Path) -> set[str]:
    return {p.name for p in root.glob("??/*") if p.is_file()}


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.fixture
def child(anvil: LocalChain, world: World, service_db_url: str) -> Iterator[Child]:
    process = Child(anvil, world, world.data_dir / "svc", service_db_url)
    yield process
    process.kill()


@both_engines
def test_a_relayer_killed_mid_batch_relays_everything_exactly_once_after_restart(
    child: Child, world: World
) -> None:
    _, licence_id, items = signed_attestations(world, 20, "SN-C")
    child.start(kill_at="relay-broadcast")
    hub = child.token(world.hub.account)
    receipts = httpx.post(
        child.url + "/v1/prints", headers=hub, json={"attestations": items}
    ).json()["receipts"]
    assert child.process is not None
    assert child.process.wait(30) == -signal.SIGKILL
    assert 0 < world.hub.licence(licence_id).printed < 20  # half reached the chain

    child.start()
    hub = child.token(world.hub.account)
    deadline = time.monotonic() + 60
    statuses: list[str] = []
    while time.monotonic() < deadline:
        statuses = [
            httpx.get(f"{child.url}/v1/prints/receipts/{r['receipt_id']}", headers=hub).json()[
                "status"
            ]
            for r in receipts
        ]
        if all(s == "final" for s in statuses):
            break
        time.sleep(0.2)
    assert statuses == ["final"] * 20
    assert world.hub.licence(licence_id).printed == 20


def test_an_upload_killed_midway_leaves_no_blob_and_the_retry_succeeds(
    child: Child, world: World
) -> None:
    child.start()
    oem = child.token(world.oem.account)
    blobs = child.data_dir / "blobs"
    before = visible_blobs(blobs)
    chunk = container_like(1 << 20)

    def body() -> Iterator[bytes]:
        for i in range(64):
            if i == 8:
                child.kill()
            yield chunk

    with pytest.raises(httpx.HTTPError):
        httpx.post(
            child.url + "/v1/blobs?kind=container",
            headers={**oem, "content-type": "application/octet-stream"},
            content=body(),
            timeout=30,
        )
    assert visible_blobs(blobs) == before  # no partial blob became visible

    child.start()
    assert not list((blobs / ".tmp").iterdir())  # the killed writer's temp file is purged
    oem = child.token(world.oem.account)
    response = httpx.post(
        child.url + "/v1/blobs?kind=container",
        headers={**oem, "content-type": "application/octet-stream"},
        content=chunk * 4,
        timeout=30,
    )
    assert response.status_code == 201
    assert (blobs / response.json()["sha256"][:2] / response.json()["sha256"]).is_file()
