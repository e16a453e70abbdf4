"""``--service URL``: a hub (or an auditor) working through a PartLedger service.

With ``--service`` (or ``PARTLEDGER_SERVICE_URL``) the commands that support it talk to the
HTTP service with the SDK's ``ServiceClient`` instead of opening a local chain and store: a
hub needs only its own identity (keystore or ``PARTLEDGER_KEY_<NAME>_*``), never the OEM's data
directory. Design files are still decrypted locally, with the hub's key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from eth_account import Account

from partledger.cli.errors import EXIT_INFRA, EXIT_INVALID, EXIT_REFUSED
from partledger.cli.format import fail
from partledger.crypto import Identity
from partledger.sdk.remote import ServiceClient, ServiceError

__all__ = ["SERVICE_ENV", "service_client", "service_url"]

SERVICE_ENV = "PARTLEDGER_SERVICE_URL"


class _Chosen:
    url: str | None = None


def choose(url: str | None) -> None:
    """Set by the root command's ``--service`` option."""
    _Chosen.url = url


def service_url() -> str | None:
    """The service to work through, if one was chosen (option, then environment)."""
    return _Chosen.url or os.environ.get(SERVICE_ENV) or None


@contextmanager
def service_client(url: str, identity: Identity | None) -> Iterator[ServiceClient]:
    """A signed-in client for ``identity`` (anonymous reads when None); errors become exits."""
    try:
        health = httpx.get(f"{url.rstrip('/')}/health", timeout=15).json()
        chain_id = int(health["chain_id"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        fail(f"no PartLedger service answers at {url}: {exc}", EXIT_INFRA,
             f"is the service running? check --service / {SERVICE_ENV}")  # fmt: skip
    key = identity.eth_private_key if identity is not None else os.urandom(32)
    client = ServiceClient(url, Account.from_key(key), chain_id=chain_id)
    try:
        yield client
    except ServiceError as exc:
        code = EXIT_INVALID if exc.status in (400, 413, 415, 422) else EXIT_REFUSED
        if exc.status >= 500:
            code = EXIT_INFRA
        fail(f"the service refused: {exc}", code)
    except httpx.HTTPError as exc:
        fail(f"the service at {url} went away: {exc}", EXIT_INFRA)
    finally:
        client.close()
