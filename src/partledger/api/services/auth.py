"""Sign-In with Ethereum, bearer tokens, and roles read from the chain.

- ``new_nonce`` stores a random nonce (single use, short-lived).
- ``sign_in`` parses the EIP-4361 message strictly, checks that it names this
  service (the configured domain, a URI on the configured origin: never what a
  request's ``Host`` header says, so a message signed on a phishing site is
  refused here), chain id, validity window and the nonce (consumed atomically:
  a replay finds it used),
  then the signature: EOA (``personal_sign``) or EIP-1271 (``isValidSignature``
  on the account's contract). It returns a short-lived HMAC-signed bearer token.
- ``principal`` checks a token and reads the account's roles from the chain
  (briefly cached).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.crypto import keccak
from sqlalchemy import Engine, delete, insert, update
from web3 import Web3

from partledger import siwe
from partledger.api.services.db import siwe_nonces
from partledger.api.services.errors import InvalidToken, SiweRejected
from partledger.config import origin_of
from partledger.sdk import Ledger, Role

EIP1271_MAGIC = bytes.fromhex("1626ba7e")
EIP1271_ABI = [
    {
        "name": "isValidSignature",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
        "outputs": [{"name": "", "type": "bytes4"}],
    }
]
ADMIN_ROLE = b"\x00" * 32
CLOCK_SKEW = 60
TICKET_TTL = 120
"""Seconds a browser sign-in ticket stays redeemable (it is single-use in any case)."""
TICKET_PREFIX = "pl1t"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and the roles the chain gives it."""

    address: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class IssuedToken:
    token: str
    address: str
    expires_at: int


def load_secret(configured: str | None, path: Path) -> bytes:
    """The token key: configured, else a random one kept (0600) in the data directory."""
    if configured:
        return configured.encode()
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AuthService:
    """Nonces, sign-in, tokens and roles."""

    def __init__(
        self,
        engine: Engine,
        ledger: Ledger,
        secret: bytes,
        *,
        chain_id: int,
        token_ttl: int,
        nonce_ttl: int,
        role_cache_seconds: float,
        domain: str,
        origins: tuple[str, ...],
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self._secret = secret
        self.chain_id = chain_id
        self.token_ttl = token_ttl
        self.nonce_ttl = nonce_ttl
        self.domain = domain.lower()
        self.origins = origins
        self._role_ttl = role_cache_seconds
        self._roles: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    # -- nonces ------------------------------------------------------------------------
    def new_nonce(self) -> str:
        nonce = secrets.token_hex(16)
        now = int(time.time())
        with self.engine.begin() as conn:
            conn.execute(delete(siwe_nonces).where(siwe_nonces.c.expires_at < now - 86_400))
            conn.execute(
                insert(siwe_nonces).values(
                    nonce=nonce, created_at=now, expires_at=now + self.nonce_ttl
                )
            )
        return nonce

    def _consume_nonce(self, nonce: str, address: str) -> None:
        now = int(time.time())
        with self.engine.begin() as conn:
            result = conn.execute(
                update(siwe_nonces)
                .where(
                    siwe_nonces.c.nonce == nonce,
                    siwe_nonces.c.used_at.is_(None),
                    siwe_nonces.c.expires_at >= now,
                )
                .values(used_at=now, used_by=address)
            )
            if result.rowcount != 1:
                raise SiweRejected("the nonce is unknown, expired or already used")

    # -- sign-in -------------------------------------------------------------------------
    def sign_in(self, message: str, signature: str) -> IssuedToken:
        try:
            parsed = siwe.parse(message)
        except siwe.SiweParseError as exc:
            raise SiweRejected(f"malformed EIP-4361 message: {exc}") from None
        self._check_binding(parsed)
        if parsed.chain_id != self.chain_id:
            raise SiweRejected(f"the message is for chain {parsed.chain_id}, not {self.chain_id}")
        now = datetime.now(UTC)
        issued = siwe.parse_time(parsed.issued_at)
        if (issued - now).total_seconds() > CLOCK_SKEW:
            raise SiweRejected("the message is issued in the future")
        if parsed.expires_at is not None and parsed.expires_at <= now:
            raise SiweRejected("the message has expired")
        if parsed.valid_from is not None and (parsed.valid_from - now).total_seconds() > 0:
            raise SiweRejected("the message is not valid yet")
        if (now - issued).total_seconds() > self.nonce_ttl + CLOCK_SKEW:
            raise SiweRejected("the message is too old")
        self._check_signature(message, parsed.address, signature)
        self._consume_nonce(parsed.nonce, parsed.address)
        return self.issue_token(parsed.address)

    def _check_binding(self, parsed: siwe.SiweMessage) -> None:
        """The message must be for this service: its domain, a URI on its origin."""
        if parsed.domain.lower() != self.domain:
            raise SiweRejected(
                f"the message is for domain {parsed.domain!r}; this service signs in "
                f"{self.domain!r}"
            )
        if parsed.scheme is not None and (
            f"{parsed.scheme.lower()}://{self.domain}" not in self.origins
        ):
            raise SiweRejected(f"the message names scheme {parsed.scheme!r}, not this service's")
        try:
            origin = origin_of(parsed.uri)
        except ValueError:
            origin = None
        if origin not in self.origins:
            raise SiweRejected(
                f"the message's URI {parsed.uri!r} is not on this service's origin "
                f"({' or '.join(self.origins)})"
            )

    def _check_signature(self, message: str, address: str, signature: str) -> None:
        try:
            raw = bytes.fromhex(signature.removeprefix("0x"))
        except ValueError:
            raise SiweRejected("the signature is not hex") from None
        signable = encode_defunct(text=message)
        if len(raw) == 65:
            try:
                signer = Account.recover_message(signable, signature=raw)
            except Exception:  # malformed (r, s, v): maybe a contract wallet's signature
                signer = None
            if signer == address:
                return
        if self._eip1271_valid(address, message, raw):
            return
        raise SiweRejected("the signature is not the account's")

    def _eip1271_valid(self, address: str, message: str, signature: bytes) -> bool:
        w3 = self.ledger.w3
        if not w3.eth.get_code(Web3.to_checksum_address(address)):
            return False
        data = message.encode()
        digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)
        wallet = w3.eth.contract(address=Web3.to_checksum_address(address), abi=EIP1271_ABI)
        try:
            result = wallet.functions.isValidSignature(digest, signature).call()
        except Exception:
            return False
        return bytes(result) == EIP1271_MAGIC

    # -- tokens ----------------------------------------------------------------------------
    def issue_token(self, address: str) -> IssuedToken:
        now = int(time.time())
        payload = {
            "sub": address,
            "cid": self.chain_id,
            "iat": now,
            "exp": now + self.token_ttl,
            "jti": secrets.token_hex(8),
        }
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        mac = _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())
        return IssuedToken(f"pl1.{body}.{mac}", address, now + self.token_ttl)

    def verify_token(self, token: str) -> str:
        """The account a token was issued to (``InvalidToken`` if forged or expired)."""
        return self.check_token(token).address

    def check_token(self, token: str) -> IssuedToken:
        """A valid token's account and expiry (``InvalidToken`` if forged or expired)."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "pl1":
            raise InvalidToken("not a PartLedger token")
        expected = _b64(hmac.new(self._secret, parts[1].encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            raise InvalidToken("the token's signature does not match")
        try:
            payload = json.loads(_unb64(parts[1]))
            expires_at = int(payload.get("exp", 0))
        except (ValueError, TypeError, AttributeError):
            raise InvalidToken("the token's payload is unreadable") from None
        if payload.get("cid") != self.chain_id:
            raise InvalidToken("the token is for another chain")
        if expires_at <= time.time():
            raise InvalidToken("the token has expired")
        return IssuedToken(token, str(payload["sub"]), expires_at)

    # -- browser sign-in tickets -----------------------------------------------------------
    def issue_ticket(self, address: str) -> IssuedToken:
        """A single-use browser sign-in ticket for a signed-in account, valid ``TICKET_TTL``
        seconds: the auditor's browser exchanges it for a session cookie (``redeem_ticket``).
        Its nonce lives in the nonce table, so it is usable once across replicas."""
        now = int(time.time())
        nonce = secrets.token_hex(16)
        with self.engine.begin() as conn:
            conn.execute(
                insert(siwe_nonces).values(nonce=nonce, created_at=now, expires_at=now + TICKET_TTL)
            )
        payload = {"sub": address, "cid": self.chain_id, "exp": now + TICKET_TTL, "n": nonce}
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        ticket = f"{TICKET_PREFIX}.{body}.{self._ticket_mac(body)}"
        return IssuedToken(ticket, address, now + TICKET_TTL)

    def _ticket_mac(self, body: str) -> str:
        return _b64(hmac.new(self._secret, b"ticket:" + body.encode(), hashlib.sha256).digest())

    def redeem_ticket(self, ticket: str) -> IssuedToken:
        """A fresh token for the ticket's account; the ticket is then spent (``InvalidToken`` if
        forged, expired or already used)."""
        parts = ticket.split(".")
        if len(parts) != 3 or parts[0] != TICKET_PREFIX:
            raise InvalidToken("not a PartLedger sign-in ticket")
        if not hmac.compare_digest(self._ticket_mac(parts[1]), parts[2]):
            raise InvalidToken("the ticket's signature does not match")
        try:
            payload = json.loads(_unb64(parts[1]))
            address, nonce = str(payload["sub"]), str(payload["n"])
        except (ValueError, KeyError, TypeError):
            raise InvalidToken("the ticket's payload is unreadable") from None
        if payload.get("cid") != self.chain_id:
            raise InvalidToken("the ticket is for another chain")
        if int(payload.get("exp", 0)) <= time.time():
            raise InvalidToken("the ticket has expired: ask for a new one")
        try:
            self._consume_nonce(nonce, address)
        except SiweRejected:
            raise InvalidToken("the ticket was already used or has expired") from None
        return self.issue_token(address)

    # -- roles ----------------------------------------------------------------------------
    def principal(self, token: str) -> Principal:
        address = self.verify_token(token)
        return Principal(address, self.roles(address))

    def cached_roles(self, address: str) -> frozenset[str] | None:
        """The roles if read from the chain less than the cache lifetime ago."""
        with self._lock:
            cached = self._roles.get(address)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        return None

    def roles(self, address: str) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            cached = self._roles.get(address)
        if cached is not None and cached[0] > now:
            return cached[1]
        roles = set()
        for role in Role:
            if self.ledger.view(role.contract, "hasRole", role.role_id, address):
                roles.add(role.name.lower())
        if self.ledger.view("PrintLedger", "hasRole", ADMIN_ROLE, address):
            roles.add("admin")
        result = frozenset(roles)
        with self._lock:
            self._roles[address] = (now + self._role_ttl, result)
        return result
