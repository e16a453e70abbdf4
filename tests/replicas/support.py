"""Service replicas as real processes on one PostgreSQL database, one chain, one store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from partledger.chain.local import free_port
from partledger.siwe import SiweMessage, format_time

CHILD = Path(__file__).with_name("replica_child.py")
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN = f"{PG_SERVER}/test"
ORIGIN = "http://ledger.replicas.test"  # the load balancer's origin: sign-in names it
DOMAIN = "ledger.replicas.test"
SECRET = "replicas-share-this-token-secret-0123456789"


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except Exception:
        return False


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    import psycopg

    name = f"pl_replicas_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Replica:
    """One ``partledger`` service process (see replica_child.py)."""

    def __init__(
        self, name: str, rpc_url: str, record: Path, data_dir: Path, env: dict[str, str]
    ) -> None:
        self.name, self.rpc_url, self.record, self.data_dir = name, rpc_url, record, data_dir
        self.env = env
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True) -> Replica:
        args = [self.rpc_url, str(self.record), str(self.data_dir), str(self.port)]
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), *args], env={**os.environ, **self.env}
        )
        if wait:
            self.wait_up()
        return self

    def wait_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"replica {self.name} exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"replica {self.name} did not start")

    def role(self) -> str:
        return str(httpx.get(self.url + "/health", timeout=5).json()["relayer"])

    def leader_gauge(self) -> float:
        for line in httpx.get(self.url + "/metrics", timeout=5).text.splitlines():
            if line.startswith("partledger_relayer_leader "):
                return float(line.split()[1])
        raise AssertionError("no partledger_relayer_leader gauge")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def nonce(self) -> str:
        return str(httpx.get(self.url + "/v1/auth/nonce", timeout=10).json()["nonce"])


def sign_in_message(account: LocalAccount, nonce: str) -> tuple[str, str]:
    """An EIP-4361 message naming the load balancer's origin, and its signature."""
    text = SiweMessage(
        domain=DOMAIN, address=account.address, uri=ORIGIN, chain_id=31337, nonce=nonce,
        issued_at=format_time(datetime.now(UTC)),
    ).to_text()  # fmt: skip
    signature = "0x" + bytes(account.sign_message(encode_defunct(text=text)).signature).hex()
    return text, signature


def redeem(replica: Replica, message: str, signature: str) -> httpx.Response:
    return httpx.post(
        replica.url + "/v1/auth/token",
        json={"message": message, "signature": signature},
        timeout=10,
    )


def token(nonce_from: Replica, redeem_at: Replica, account: LocalAccount) -> dict[str, str]:
    message, signature = sign_in_message(account, nonce_from.nonce())
    response = redeem(redeem_at, message, signature)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def replica_env(database_url: str, blob_dir: Path) -> dict[str, str]:
    return {
        "PARTLEDGER_SERVICE_DATABASE_URL": database_url,
        "PARTLEDGER_API_TOKEN_SECRET": SECRET,
        "PARTLEDGER_API_ORIGIN": ORIGIN,
        "PARTLEDGER_BLOB_URL": str(blob_dir),
    }


def wait_for(predicate: Any, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    return False
