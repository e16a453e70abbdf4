"""Decode raw ``eth_getLogs`` entries into rows of the index tables, fast.

web3's event decoding manages ~2k logs/s; this module reaches tens of thousands by
building a selector table once from the contracts' ABIs (topic0 → event layout),
decoding indexed topics by hand, reading static data words by slicing, and using
``eth_abi`` only for events with dynamic data (strings, bytes, arrays).

Each known event signature has a handler that turns its arguments into a row of
one table (``partledger.index.schema``). A log of a followed contract whose topic0
matches no known event lands in ``raw_logs`` so nothing is lost.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from partledger.index.errors import DecodeError

log_ = logging.getLogger(__name__)

Row = tuple[Any, ...]
Position = tuple[int, int, bytes, int, bytes, bytes]
"""block_number, log_index, block_hash, block_time, tx_hash, contract."""
Rows = dict[str, list[Row]]
Handler = Callable[[Position, tuple[Any, ...], Rows], None]

ZERO32 = bytes(32)

# Events inherited from OpenZeppelin (AccessControl, Pausable): decoded even when an ABI
# given to the indexer lacks them (e.g. interface-only ABIs).
OZ_EVENTS: list[dict[str, Any]] = [
    {
        "type": "event",
        "name": name,
        "anonymous": False,
        "inputs": [
            {"name": "role", "type": "bytes32", "indexed": True},
            {"name": "account", "type": "address", "indexed": True},
            {"name": "sender", "type": "address", "indexed": True},
        ],
    }
    for name in ("RoleGranted", "RoleRevoked")
] + [
    {
        "type": "event",
        "name": "RoleAdminChanged",
        "anonymous": False,
        "inputs": [
            {"name": "role", "type": "bytes32", "indexed": True},
            {"name": "previousAdminRole", "type": "bytes32", "indexed": True},
            {"name": "newAdminRole", "type": "bytes32", "indexed": True},
        ],
    },
    {
        "type": "event",
        "name": "Paused",
        "anonymous": False,
        "inputs": [{"name": "account", "type": "address", "indexed": False}],
    },
    {
        "type": "event",
        "name": "Unpaused",
        "anonymous": False,
        "inputs": [{"name": "account", "type": "address", "indexed": False}],
    },
]


def canonical_type(param: Mapping[str, Any]) -> str:
    """The ABI type as it appears in a signature (tuples expanded)."""
    typ: str = param["type"]
    if typ.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param["components"])
        return f"({inner}){typ[len('tuple') :]}"
    return typ


def event_signature(abi_event: Mapping[str, Any]) -> str:
    """``Name(type1,type2,...)``."""
    return f"{abi_event['name']}({','.join(canonical_type(i) for i in abi_event['inputs'])})"


# -- word decoders ---------------------------------------------------------------------
def _bytes32(word: bytes) -> bytes:
    return word


def _address(word: bytes) -> bytes:
    return word[12:]


def _uint(word: bytes) -> int:
    return int.from_bytes(word, "big")


def _int(word: bytes) -> int:
    return int.from_bytes(word, "big", signed=True)


def _bool(word: bytes) -> bool:
    return word[31] != 0


def _word_decoder(typ: str) -> Callable[[bytes], Any] | None:
    """A decoder of one 32-byte word for a static elementary type, else ``None``."""
    if typ == "bytes32":
        return _bytes32
    if typ == "address":
        return _address
    if typ == "bool":
        return _bool
    if typ.startswith("uint") and typ[4:].isdigit():
        return _uint
    if typ.startswith("int") and typ[3:].isdigit():
        return _int
    if typ.startswith("bytes") and typ[5:].isdigit():
        size = int(typ[5:])
        return lambda word: word[:size]
    return None


def _static_layout(param: Mapping[str, Any]) -> list[Callable[[bytes], Any]] | None:
    """Word decoders for a static parameter (elementary or static tuple), else ``None``."""
    typ: str = param["type"]
    if typ == "tuple":
        out: list[Callable[[bytes], Any]] = []
        for component in param["components"]:
            inner = _static_layout(component)
            if inner is None:
                return None
            out.extend(inner)
        return out
    decoder = _word_decoder(typ)
    return None if decoder is None else [decoder]


def _topic_decoder(param: Mapping[str, Any]) -> Callable[[str], Any]:
    decoder = _word_decoder(param["type"])
    if decoder is None:  # dynamic indexed values are stored as their keccak hash
        return lambda topic: bytes.fromhex(topic[2:])
    word_decoder = decoder
    return lambda topic: word_decoder(bytes.fromhex(topic[2:]))


@dataclass(frozen=True)
class EventLayout:
    """How to decode one event: which argument comes from which topic or data word."""

    name: str
    signature: str
    topic0: str
    topic_decoders: tuple[Callable[[str], Any], ...]
    # for each argument in declaration order: ("t", topic index) or ("d", data index)
    order: tuple[tuple[str, int], ...]
    data_types: tuple[str, ...]
    # static data: per data argument, (first word, word decoders, is tuple)
    static_data: tuple[tuple[int, tuple[Callable[[bytes], Any], ...], bool], ...] | None
    # generated straight-line decoder for all-static events (see _compile_fast), if any
    fast: Callable[[Sequence[str], str], tuple[Any, ...]] | None = None

    def decode(self, topics: Sequence[str], data: str) -> tuple[Any, ...]:
        if self.fast is not None:
            return self.fast(topics, data)
        return self.decode_generic(topics, data)

    def decode_generic(self, topics: Sequence[str], data: str) -> tuple[Any, ...]:
        if len(topics) != len(self.topic_decoders) + 1:
            raise DecodeError(f"{self.signature}: expected {len(self.topic_decoders) + 1} topics")
        indexed = [dec(t) for dec, t in zip(self.topic_decoders, topics[1:], strict=True)]
        raw = bytes.fromhex(data[2:])
        values: list[Any]
        if self.static_data is not None:
            values = []
            for first, decoders, is_tuple in self.static_data:
                if is_tuple:
                    values.append(
                        tuple(
                            dec(raw[(first + i) * 32 : (first + i + 1) * 32])
                            for i, dec in enumerate(decoders)
                        )
                    )
                else:
                    values.append(decoders[0](raw[first * 32 : first * 32 + 32]))
            if len(raw) < 32 * sum(len(d) for _, d, _ in self.static_data):
                raise DecodeError(f"{self.signature}: data too short ({len(raw)} bytes)")
        else:
            try:
                values = list(abi_decode(self.data_types, raw))
            except Exception as exc:
                raise DecodeError(f"{self.signature}: undecodable data: {exc}") from exc
        return tuple(indexed[i] if src == "t" else values[i] for src, i in self.order)


def _topic_expr(typ: str, k: int) -> str | None:
    if typ == "bytes32":
        return f"fromhex(t[{k}][2:])"
    if typ == "address":
        return f"fromhex(t[{k}][26:])"
    if typ == "bool":
        return f"(int(t[{k}], 16) != 0)"
    if typ.startswith("uint") and typ[4:].isdigit():
        return f"int(t[{k}], 16)"
    if typ.startswith("bytes") and typ[5:].isdigit():
        return f"fromhex(t[{k}][2:{2 + 2 * int(typ[5:])}])"
    return None


def _word_expr(typ: str, j: int) -> str | None:
    a, b = 32 * j, 32 * j + 32
    if typ == "bytes32":
        return f"raw[{a}:{b}]"
    if typ == "address":
        return f"raw[{a + 12}:{b}]"
    if typ == "bool":
        return f"(raw[{b - 1}] != 0)"
    if typ.startswith("uint") and typ[4:].isdigit():
        return f"from_bytes(raw[{a}:{b}], 'big')"
    if typ.startswith("bytes") and typ[5:].isdigit():
        return f"raw[{a}:{a + int(typ[5:])}]"
    return None


def _compile_fast(
    signature: str, inputs: Sequence[Mapping[str, Any]]
) -> Callable[[Sequence[str], str], tuple[Any, ...]] | None:
    """Generate a straight-line decoder (like ``namedtuple`` does) for an event whose
    topics and data are all static elementary types or static tuples of them; ``None``
    otherwise. Types come from a fixed whitelist, so the generated source is ours."""
    exprs: list[str] = []
    topic, word = 1, 0
    for param in inputs:
        if param.get("indexed"):
            expr = _topic_expr(param["type"], topic)
            topic += 1
        elif param["type"] == "tuple":
            parts = []
            for component in param["components"]:
                parts.append(_word_expr(component["type"], word))
                word += 1
            expr = None if None in parts else "(" + ", ".join(map(str, parts)) + ",)"
        else:
            expr = _word_expr(param["type"], word)
            word += 1
        if expr is None:
            return None
        exprs.append(expr)
    source = (
        "def decode(t, data):\n"
        f"    if len(t) != {topic}:\n"
        "        raise DecodeError(TOPICS)\n"
        "    raw = fromhex(data[2:])\n"
        f"    if len(raw) < {32 * word}:\n"
        "        raise DecodeError(SHORT)\n"
        f"    return ({', '.join(exprs)}{',' if len(exprs) == 1 else ''})\n"
    )
    namespace: dict[str, Any] = {
        "fromhex": bytes.fromhex,
        "from_bytes": int.from_bytes,
        "DecodeError": DecodeError,
        "TOPICS": f"{signature}: expected {topic} topics",
        "SHORT": f"{signature}: data shorter than {32 * word} bytes",
    }
    exec(source, namespace)  # noqa: S102 - source built from whitelisted ABI types only
    fn: Callable[[Sequence[str], str], tuple[Any, ...]] = namespace["decode"]
    return fn


def build_layout(abi_event: Mapping[str, Any]) -> EventLayout:
    signature = event_signature(abi_event)
    topic_decoders: list[Callable[[str], Any]] = []
    order: list[tuple[str, int]] = []
    data_params: list[Mapping[str, Any]] = []
    for param in abi_event["inputs"]:
        if param.get("indexed"):
            order.append(("t", len(topic_decoders)))
            topic_decoders.append(_topic_decoder(param))
        else:
            order.append(("d", len(data_params)))
            data_params.append(param)
    static: list[tuple[int, tuple[Callable[[bytes], Any], ...], bool]] | None = []
    word = 0
    for param in data_params:
        layout = _static_layout(param)
        if layout is None or static is None:
            static = None
            break
        static.append((word, tuple(layout), param["type"] == "tuple"))
        word += len(layout)
    return EventLayout(
        name=abi_event["name"],
        signature=signature,
        topic0="0x" + keccak(text=signature).hex(),
        topic_decoders=tuple(topic_decoders),
        order=tuple(order),
        data_types=tuple(canonical_type(p) for p in data_params),
        static_data=None if static is None else tuple(static),
        fast=_compile_fast(signature, abi_event["inputs"]),
    )


# -- handlers: event arguments → table rows ------------------------------------------------
def _nz(value: bytes) -> bytes | None:
    return None if value == ZERO32 else value


def _design_committed(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["design_commitments"].append((*p, a[0], a[1]))


def _design_registered(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["designs"].append((*p, a[0], a[1], a[2], a[3], a[4], _nz(a[5])))


def _design_event(kind: str, has_new_owner: bool = False) -> Handler:
    def handler(p: Position, a: tuple[Any, ...], out: Rows) -> None:
        # design_id, kind, account, new_owner, reason_hash
        if has_new_owner:
            out["design_events"].append((*p, a[0], kind, a[1], a[2], None))
        elif len(a) == 3:
            out["design_events"].append((*p, a[0], kind, a[1], None, a[2]))
        elif len(a) == 2:
            out["design_events"].append((*p, a[0], kind, a[1], None, None))
        else:
            out["design_events"].append((*p, a[0], kind, None, None, None))

    return handler


def _hub_registered(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["hub_events"].append((*p, a[0], "registered", a[1], a[2], 1, a[3]))


def _hub_details(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["hub_events"].append((*p, a[0], "details_updated", a[1], a[2], None, None))


def _hub_key(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["hub_events"].append((*p, a[0], "key_rotated", None, None, a[1], a[2]))


def _machine_registered(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["machine_events"].append((*p, a[0], a[1], "registered", a[2]))


def _machine_retired(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["machine_events"].append((*p, a[0], a[1], "retired", None))


def _qualification_recorded(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["qualification_events"].append((*p, a[0], a[1], "recorded", a[2], a[3], a[4], a[5], None))


def _qualification_revoked(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["qualification_events"].append((*p, a[0], a[1], "revoked", a[2], None, None, None, a[3]))


def _licence_issued(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    t = a[4]  # designId, hub, maxPrints, validFrom, validUntil, standard, terms, wrapped, refund
    out["licences"].append(
        (*p, a[0], a[1], a[2], a[3], t[2], t[3], t[4], _nz(t[5]), t[6], t[7], bool(t[8]))
    )


def _licence_amended(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["licence_events"].append((*p, a[0], a[1], a[2], "amended", a[3], a[4], a[5], None))


def _licence_event(kind: str) -> Handler:
    def handler(p: Position, a: tuple[Any, ...], out: Rows) -> None:
        reason = a[3] if len(a) > 3 else None
        out["licence_events"].append((*p, a[0], a[1], a[2], kind, None, None, None, reason))

    return handler


def _print_attested(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["prints"].append((*p, a[0], a[1], a[2], a[0][:20], a[3], a[4], a[5]))


def _print_invalidated(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["print_invalidations"].append((*p, a[0], a[1], a[2], a[3], a[4], bool(a[5])))


def _print_refunded(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["print_refunds"].append((*p, a[0], a[1], a[2], a[3]))


def _int64(value: int) -> int:
    """A uint256 the index stores as BIGINT (counts, nonces): refuse what does not fit."""
    if value >= 2**63:
        raise DecodeError(f"value {value} does not fit the index's 64-bit column")
    return value


def _print_skipped(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["print_skips"].append((*p, a[0], a[1], _int64(a[2]), bytes(a[3])))


def _batch_anchored(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    root, hub, total, licence_ids, counts, document_hash = a
    if len(licence_ids) != len(counts):
        raise DecodeError("BatchAnchored: licenceIds and counts differ in length")
    out["batch_anchors"].append((*p, root, hub, _int64(total), _nz(document_hash)))
    entries = out["batch_anchor_entries"]
    for i, (licence_id, count) in enumerate(zip(licence_ids, counts, strict=True)):
        entries.append((p[0], p[1], i, root, licence_id, _int64(count)))


def _signatures_cancelled(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["signature_cancellations"].append((*p, a[0], _int64(a[1])))


def _role(kind: str) -> Handler:
    def handler(p: Position, a: tuple[Any, ...], out: Rows) -> None:
        out["role_events"].append((*p, kind, a[0], a[1], a[2], None, None))

    return handler


def _role_admin_changed(p: Position, a: tuple[Any, ...], out: Rows) -> None:
    out["role_events"].append((*p, "admin_changed", a[0], None, None, a[1], a[2]))


def _admin(kind: str) -> Handler:
    def handler(p: Position, a: tuple[Any, ...], out: Rows) -> None:
        out["admin_events"].append((*p, kind, a[0] if a else None))

    return handler


B32 = "bytes32"
HANDLERS: dict[str, Handler] = {
    "DesignCommitted(address,bytes32)": _design_committed,
    "DesignRegistered(bytes32,address,bytes32,bytes32,bytes32,bytes32)": _design_registered,
    "DesignDeprecated(bytes32,address)": _design_event("deprecated"),
    "DesignRecalled(bytes32,address,bytes32)": _design_event("recalled"),
    "DesignOwnershipTransferStarted(bytes32,address,address)": _design_event(
        "transfer_started", has_new_owner=True
    ),
    "DesignOwnershipTransferred(bytes32,address,address)": _design_event(
        "transferred", has_new_owner=True
    ),
    "DesignRecallRecorded(bytes32)": _design_event("recall_recorded"),
    "PrintLedgerSet(address)": _admin("print_ledger_set"),
    "HubRegistered(address,string,bytes5,bytes)": _hub_registered,
    "HubDetailsUpdated(address,string,bytes5)": _hub_details,
    "HubKeyRotated(address,uint32,bytes)": _hub_key,
    "MachineRegistered(bytes32,address,bytes32)": _machine_registered,
    "MachineRetired(bytes32,address)": _machine_retired,
    "QualificationRecorded(bytes32,bytes32,address,bytes32,uint40,uint40)": (
        _qualification_recorded
    ),
    "QualificationRevoked(bytes32,bytes32,address,bytes32)": _qualification_revoked,
    "LicenceIssued(bytes32,bytes32,address,uint32,"
    "(bytes32,address,uint32,uint40,uint40,bytes32,bytes32,bytes32,bool))": _licence_issued,
    "LicenceAmended(bytes32,bytes32,address,uint32,uint40,bytes32)": _licence_amended,
    "LicenceSuspended(bytes32,bytes32,address,bytes32)": _licence_event("suspended"),
    "LicenceResumed(bytes32,bytes32,address)": _licence_event("resumed"),
    "LicenceRevoked(bytes32,bytes32,address,bytes32)": _licence_event("revoked"),
    "PrintAttested(bytes32,bytes32,bytes32,bytes32,bytes32,bytes32)": _print_attested,
    "PrintInvalidated(bytes32,bytes32,bytes32,address,bytes32,bool)": _print_invalidated,
    "PrintRefunded(bytes32,bytes32,bytes32,address)": _print_refunded,
    "PrintSkipped(bytes32,bytes32,uint256,bytes)": _print_skipped,
    "BatchAnchored(bytes32,address,uint256,bytes32[],uint256[],bytes32)": _batch_anchored,
    "SignaturesCancelled(address,uint256)": _signatures_cancelled,
    "RoleGranted(bytes32,address,address)": _role("granted"),
    "RoleRevoked(bytes32,address,address)": _role("revoked"),
    "RoleAdminChanged(bytes32,bytes32,bytes32)": _role_admin_changed,
    "Paused(address)": _admin("paused"),
    "Unpaused(address)": _admin("unpaused"),
    "EIP712DomainChanged()": _admin("eip712_domain_changed"),
}
"""Every event signature the index stores in a typed table."""


class LogDecoder:
    """Selector table built once from ABIs; turns raw logs into rows per table."""

    def __init__(self, abis: Iterable[Sequence[Mapping[str, Any]]]) -> None:
        self.layouts: dict[str, tuple[EventLayout, Handler]] = {}
        self._decoders: dict[
            str, tuple[Callable[[Sequence[str], str], tuple[Any, ...]], Handler]
        ] = {}
        self.unhandled: set[str] = set()
        for abi in [*abis, OZ_EVENTS]:
            for item in abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                layout = build_layout(item)
                handler = HANDLERS.get(layout.signature)
                if handler is None:
                    self.unhandled.add(layout.signature)
                    continue
                self.layouts[layout.topic0] = (layout, handler)
                self._decoders[layout.topic0] = (layout.fast or layout.decode_generic, handler)
        self._addresses: dict[str, bytes] = {}
        self.undecodable = 0

    def decode(self, logs: Iterable[Mapping[str, Any]], timestamps: Mapping[int, int]) -> Rows:
        """Rows per table name for ``logs``; ``timestamps`` fills logs without blockTimestamp."""
        out: Rows = defaultdict(list)
        decoders = self._decoders
        addresses = self._addresses
        last_block_hex = ""
        block_number = block_time = 0
        block_hash = b""
        for log in logs:
            if log.get("removed"):
                continue
            if log["blockHash"] != last_block_hex:
                last_block_hex = log["blockHash"]
                block_hash = bytes.fromhex(last_block_hex[2:])
                block_number = int(log["blockNumber"], 16)
                ts = log.get("blockTimestamp")
                block_time = int(ts, 16) if ts is not None else timestamps[block_number]
            address = log["address"]
            contract = addresses.get(address)
            if contract is None:
                contract = addresses[address] = bytes.fromhex(address[2:])
            position: Position = (
                block_number,
                int(log["logIndex"], 16),
                block_hash,
                block_time,
                bytes.fromhex(log["transactionHash"][2:]),
                contract,
            )
            topics = log["topics"]
            entry = decoders.get(topics[0]) if topics else None
            if entry is None:
                out["raw_logs"].append(self._raw(position, topics, log["data"]))
                continue
            decode, handler = entry
            try:
                handler(position, decode(topics, log["data"]), out)
            except (DecodeError, ValueError, IndexError) as exc:
                # never stall the index on one odd log: keep it raw, say so
                self.undecodable += 1
                log_.warning("undecodable log (topic0 %s) kept raw: %s", topics[0], exc)
                out["raw_logs"].append(self._raw(position, topics, log["data"]))
        return out

    @staticmethod
    def _raw(position: Position, topics: Sequence[str], data: str) -> Row:
        raw_topics = b"".join(bytes.fromhex(t[2:]) for t in topics)
        return (*position, raw_topics[:32] or None, raw_topics, bytes.fromhex(data[2:]))
