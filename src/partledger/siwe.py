"""Sign-In with Ethereum (EIP-4361) messages: build and parse them strictly.

The text is exactly what the reference ``siwe`` libraries produce
(``SiweMessage.prepareMessage()``): header, EIP-55 address, optional statement,
then the ``Key: value`` fields in their fixed order, LF line endings. ``parse``
accepts nothing else: unknown or repeated fields, fields out of order, a
non-checksummed address, a short nonce or a malformed timestamp are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eth_utils.address import is_checksum_address

from partledger.errors import PartLedgerError

HEADER_SUFFIX = " wants you to sign in with your Ethereum account:"

# RFC 3986 pieces, loosely but safely (no spaces, no control characters).
_SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]*"
_AUTHORITY = r"(?:[A-Za-z0-9\-._~%!$&'()*+,;=:@\[\]]+)"
_URI = re.compile(rf"{_SCHEME}:[^\s]+")
_DOMAIN = re.compile(rf"{_AUTHORITY}")
_NONCE = re.compile(r"[A-Za-z0-9]{8,}")
_STATEMENT = re.compile(r"[^\n]+")
_REQUEST_ID = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=:@]*")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+\-]\d{2}:\d{2})")
_OPTIONAL = ("Expiration Time", "Not Before", "Request ID")


class SiweParseError(PartLedgerError, ValueError):
    """The text is not a well-formed EIP-4361 message."""


@dataclass(frozen=True)
class SiweMessage:
    """The fields of an EIP-4361 message."""

    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: str
    statement: str | None = None
    version: str = "1"
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = field(default_factory=tuple)
    scheme: str | None = None

    def to_text(self) -> str:
        """The message as the reference libraries print it (and as it is signed)."""
        prefix = f"{self.scheme}://" if self.scheme else ""
        head = f"{prefix}{self.domain}{HEADER_SUFFIX}\n{self.address}\n\n"
        text = head + (f"{self.statement}\n\n" if self.statement is not None else "\n")
        fields = [
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {self.issued_at}",
        ]
        if self.expiration_time is not None:
            fields.append(f"Expiration Time: {self.expiration_time}")
        if self.not_before is not None:
            fields.append(f"Not Before: {self.not_before}")
        if self.request_id is not None:
            fields.append(f"Request ID: {self.request_id}")
        if self.resources:
            fields.append("Resources:")
            fields += [f"- {r}" for r in self.resources]
        return text + "\n".join(fields)

    @property
    def expires_at(self) -> datetime | None:
        return parse_time(self.expiration_time) if self.expiration_time else None

    @property
    def valid_from(self) -> datetime | None:
        return parse_time(self.not_before) if self.not_before else None


def parse_time(value: str) -> datetime:
    """An RFC 3339 date-time (with offset) as an aware ``datetime``."""
    if not _DATETIME.fullmatch(value):
        raise SiweParseError(f"not an RFC 3339 date-time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SiweParseError(f"invalid date-time {value!r}: {exc}") from None
    return parsed


def format_time(moment: datetime) -> str:
    """``2026-01-02T03:04:05.678Z`` (what JavaScript's ``toISOString`` prints)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _field(lines: list[str], index: int, key: str, pattern: re.Pattern[str]) -> str:
    if index >= len(lines):
        raise SiweParseError(f"missing field {key!r}")
    prefix = f"{key}: "
    if not lines[index].startswith(prefix):
        raise SiweParseError(f"line {index + 1}: expected {key!r}, got {lines[index]!r}")
    value = lines[index][len(prefix) :]
    if not pattern.fullmatch(value):
        raise SiweParseError(f"invalid {key}: {value!r}")
    return value


def parse(text: str) -> SiweMessage:
    """Parse an EIP-4361 message strictly (raises ``SiweParseError``)."""
    if "\r" in text:
        raise SiweParseError("line endings must be LF")
    lines = text.split("\n")
    if len(lines) < 9:
        raise SiweParseError("message too short")
    header = lines[0]
    if not header.endswith(HEADER_SUFFIX):
        raise SiweParseError("first line must end with the EIP-4361 header")
    origin = header[: -len(HEADER_SUFFIX)]
    scheme = None
    if "://" in origin:
        scheme, origin = origin.split("://", 1)
        if not re.fullmatch(_SCHEME, scheme):
            raise SiweParseError(f"invalid scheme {scheme!r}")
    if not origin or not _DOMAIN.fullmatch(origin):
        raise SiweParseError(f"invalid domain {origin!r}")
    address = lines[1]
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", address) or not is_checksum_address(address):
        raise SiweParseError("the address must be an EIP-55 checksummed address")
    if lines[2] != "":
        raise SiweParseError("an empty line must follow the address")
    statement: str | None = None
    if lines[3] == "":
        index = 4
    else:
        statement = lines[3]
        if not _STATEMENT.fullmatch(statement) or lines[4] != "":
            raise SiweParseError("the statement must be one line followed by an empty line")
        index = 5
    uri = _field(lines, index, "URI", _URI)
    version = _field(lines, index + 1, "Version", re.compile("1"))
    chain_id = int(_field(lines, index + 2, "Chain ID", re.compile(r"[1-9][0-9]{0,18}")))
    nonce = _field(lines, index + 3, "Nonce", _NONCE)
    issued_at = _field(lines, index + 4, "Issued At", _DATETIME)
    parse_time(issued_at)
    index += 5
    optional: dict[str, str | None] = dict.fromkeys(_OPTIONAL)
    for key, pattern in zip(_OPTIONAL, (_DATETIME, _DATETIME, _REQUEST_ID), strict=True):
        if index < len(lines) and lines[index].startswith(f"{key}: "):
            optional[key] = _field(lines, index, key, pattern)
            if pattern is _DATETIME:
                parse_time(optional[key] or "")
            index += 1
    resources: list[str] = []
    if index < len(lines) and lines[index] == "Resources:":
        index += 1
        while index < len(lines) and lines[index].startswith("- "):
            resource = lines[index][2:]
            if not _URI.fullmatch(resource):
                raise SiweParseError(f"invalid resource URI {resource!r}")
            resources.append(resource)
            index += 1
    if index != len(lines):
        raise SiweParseError(f"unexpected content at line {index + 1}: {lines[index]!r}")
    message = SiweMessage(
        domain=origin,
        address=address,
        uri=uri,
        chain_id=chain_id,
        nonce=nonce,
        issued_at=issued_at,
        statement=statement,
        version=version,
        expiration_time=optional["Expiration Time"],
        not_before=optional["Not Before"],
        request_id=optional["Request ID"],
        resources=tuple(resources),
        scheme=scheme,
    )
    if message.to_text() != text:  # the round trip must be exact
        raise SiweParseError("the message is not in canonical EIP-4361 form")
    return message
