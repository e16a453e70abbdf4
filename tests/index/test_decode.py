"""The hand decoder agrees with eth_abi on every ledger event, and maps each to its table."""

from __future__ import annotations

import random
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from partledger.index import HANDLERS, LogDecoder, ledger_abis
from partledger.index.decode import build_layout, canonical_type, event_signature

ABIS = ledger_abis(["DesignRegistry", "PrintLedger"])
EVENTS = [e for abi in ABIS for e in abi if e.get("type") == "event"]


def sample(param: dict[str, Any], rng: random.Random, length: int = 2) -> Any:
    typ = param["type"]
    if typ.endswith("[]"):
        inner = {**param, "type": typ[:-2]}
        return [sample(inner, rng) for _ in range(length)]
    if typ == "tuple":
        return tuple(sample(c, rng) for c in param["components"])
    if typ == "address":
        return "0x" + rng.randbytes(20).hex()
    if typ == "bool":
        return rng.random() < 0.5
    if typ == "string":
        return "hub " + rng.randbytes(4).hex()
    if typ == "bytes":
        return rng.randbytes(rng.randint(0, 70))
    if typ.startswith("bytes"):
        return rng.randbytes(int(typ[5:]))
    if typ.startswith("uint"):
        return rng.randrange(2 ** min(int(typ[4:]), 63))
    raise AssertionError(typ)


def normal(value: Any, typ: str) -> Any:
    """eth_abi's value as the index stores it (addresses as 20 raw bytes)."""
    if typ == "address":
        return bytes.fromhex(value[2:])
    if typ.endswith("[]"):
        return tuple(normal(v, typ[:-2]) for v in value)
    if typ.startswith("("):
        inner = typ[1:-1].split(",")
        return tuple(normal(v, t) for v, t in zip(value, inner, strict=True))
    return value


def encode_log(
    event: dict[str, Any], args: list[Any], block: int = 7, index: int = 0
) -> dict[str, Any]:
    layout = build_layout(event)
    topics = [layout.topic0]
    data_types, data_values = [], []
    for param, value in zip(event["inputs"], args, strict=True):
        typ = canonical_type(param)
        if param["indexed"]:
            topics.append("0x" + abi_encode([typ], [value]).hex())
        else:
            data_types.append(typ)
            data_values.append(value)
    return {
        "address": "0x" + "ab" * 20,
        "topics": topics,
        "data": "0x" + abi_encode(data_types, data_values).hex(),
        "blockNumber": hex(block),
        "blockHash": "0x" + "11" * 32,
        "blockTimestamp": hex(1_700_000_000),
        "transactionHash": "0x" + "22" * 32,
        "logIndex": hex(index),
        "removed": False,
    }


def test_every_ledger_event_has_a_typed_table() -> None:
    decoder = LogDecoder(ABIS)
    assert decoder.unhandled == set()
    assert {event_signature(e) for e in EVENTS} <= set(HANDLERS)


def test_fast_decoding_matches_eth_abi_for_every_event() -> None:
    rng = random.Random(1)
    for event in EVENTS:
        layout = build_layout(event)
        for n in range(20):
            args = [sample(p, rng, n % 4) for p in event["inputs"]]
            log = encode_log(event, args)
            expected = [
                normal(v, canonical_type(p)) for p, v in zip(event["inputs"], args, strict=True)
            ]
            got = list(layout.decode(log["topics"], log["data"]))
            assert list(layout.decode_generic(log["topics"], log["data"])) == expected
            assert got == expected, event_signature(event)


def test_each_event_becomes_one_row_of_its_table() -> None:
    rng = random.Random(2)
    decoder = LogDecoder(ABIS)
    for i, event in enumerate(EVENTS):
        args = [sample(p, rng) for p in event["inputs"]]
        rows = decoder.decode([encode_log(event, args, index=i)], {})
        main = [name for name, r in rows.items() if r and name != "batch_anchor_entries"]
        assert len(main) == 1 and len(rows[main[0]]) == 1, event_signature(event)
        row = rows[main[0]][0]
        assert row[:6] == (7, i, b"\x11" * 32, 1_700_000_000, b"\x22" * 32, b"\xab" * 20)
        assert main[0] != "raw_logs"


def test_print_attested_row_names_the_hub_from_the_licence_id() -> None:
    event = next(e for e in EVENTS if e["name"] == "PrintAttested")
    licence = bytes.fromhex("aa" * 20) + bytes(12)
    args = [licence, b"d" * 32, b"s" * 32, b"m" * 32, b"l" * 32, b"q" * 32]
    [row] = LogDecoder(ABIS).decode([encode_log(event, args)], {})["prints"]
    assert row[6:] == (licence, b"d" * 32, b"s" * 32, b"\xaa" * 20, b"m" * 32, b"l" * 32, b"q" * 32)


def test_batch_anchored_also_writes_one_entry_per_licence() -> None:
    event = next(e for e in EVENTS if e["name"] == "BatchAnchored")
    args = [b"r" * 32, "0x" + "cd" * 20, 30, [b"a" * 32, b"b" * 32], [10, 20], b"h" * 32]
    rows = LogDecoder(ABIS).decode([encode_log(event, args, block=9, index=3)], {})
    assert rows["batch_anchors"][0][6:] == (b"r" * 32, b"\xcd" * 20, 30, b"h" * 32)
    assert rows["batch_anchor_entries"] == [
        (9, 3, 0, b"r" * 32, b"a" * 32, 10),
        (9, 3, 1, b"r" * 32, b"b" * 32, 20),
    ]


def test_batch_anchored_without_a_document_hash_stores_null() -> None:
    event = next(e for e in EVENTS if e["name"] == "BatchAnchored")
    args = [b"r" * 32, "0x" + "cd" * 20, 1, [b"a" * 32], [1], bytes(32)]
    rows = LogDecoder(ABIS).decode([encode_log(event, args)], {})
    assert rows["batch_anchors"][0][-1] is None


def test_print_refunded_becomes_a_refund_row() -> None:
    event = next(e for e in EVENTS if e["name"] == "PrintRefunded")
    args = [b"l" * 32, b"d" * 32, b"s" * 32, "0x" + "ee" * 20]
    rows = LogDecoder(ABIS).decode([encode_log(event, args, block=4, index=2)], {})
    assert set(k for k, v in rows.items() if v) == {"print_refunds"}
    [row] = rows["print_refunds"]
    assert row[:2] == (4, 2) and row[6:] == (b"l" * 32, b"d" * 32, b"s" * 32, b"\xee" * 20)


def test_print_skipped_keeps_the_position_and_the_revert_data() -> None:
    event = next(e for e in EVENTS if e["name"] == "PrintSkipped")
    reason = bytes.fromhex("deadbeef") + bytes(range(40))  # a custom error with arguments
    args = [b"l" * 32, b"s" * 32, 7, reason]
    rows = LogDecoder(ABIS).decode([encode_log(event, args)], {})
    assert set(k for k, v in rows.items() if v) == {"print_skips"}
    assert rows["print_skips"][0][6:] == (b"l" * 32, b"s" * 32, 7, reason)


def test_an_undecodable_known_event_is_kept_raw_instead_of_stalling_the_index() -> None:
    event = next(e for e in EVENTS if e["name"] == "BatchAnchored")
    args = [b"r" * 32, "0x" + "cd" * 20, 30, [b"a" * 32], [10, 20], b"h" * 32]  # lengths differ
    decoder = LogDecoder(ABIS)
    rows = decoder.decode([encode_log(event, args)], {})
    assert not rows["batch_anchors"] and len(rows["raw_logs"]) == 1
    assert decoder.undecodable == 1
    short = {**encode_log(next(e for e in EVENTS if e["name"] == "PrintAttested"), [b"x" * 32] * 6)}
    short["data"] = short["data"][:50]
    assert len(decoder.decode([short], {})["raw_logs"]) == 1


def test_unknown_events_are_kept_raw_and_removed_logs_skipped() -> None:
    log = {
        "address": "0x" + "ab" * 20,
        "topics": ["0x" + "99" * 32, "0x" + "01" * 32],
        "data": "0x1234",
        "blockNumber": "0x5",
        "blockHash": "0x" + "11" * 32,
        "transactionHash": "0x" + "22" * 32,
        "logIndex": "0x1",
    }
    removed = {**log, "logIndex": "0x2", "removed": True}
    rows = LogDecoder(ABIS).decode([log, removed], {5: 123})  # no blockTimestamp: from headers
    assert rows["raw_logs"] == [
        (
            5,
            1,
            b"\x11" * 32,
            123,
            b"\x22" * 32,
            b"\xab" * 20,
            b"\x99" * 32,
            b"\x99" * 32 + b"\x01" * 32,
            b"\x12\x34",
        )
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=6, max_size=6))
def test_print_attested_decoding_round_trips(values: list[bytes]) -> None:
    event = next(e for e in EVENTS if e["name"] == "PrintAttested")
    log = encode_log(event, values)
    assert list(build_layout(event).decode(log["topics"], log["data"])) == values
    data = bytes.fromhex(log["data"][2:])
    assert list(abi_decode(["bytes32"] * 3, data)) == values[3:]
