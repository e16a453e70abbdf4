"""Where a contract keeps its state: slots and packed fields from solc's ``storageLayout``.

``StorageLayout(artifact).locate("_licenceStates", licence_id)`` gives the slots of a mapping
entry; ``decode`` turns the words read (or proven) there into named fields, so a verifier reads
exactly what the contract reads, not what a service says it holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak

from partledger.chain.artifacts import ARTIFACTS_DIR
from partledger.errors import PartLedgerError

__all__ = ["LayoutError", "Location", "StorageLayout"]


class LayoutError(PartLedgerError, LookupError):
    """The variable or type is not in the contract's storage layout."""


@dataclass(frozen=True)
class Location:
    """A value in storage: its first slot, its type id, and the slots it spans."""

    slot: int
    type_id: str
    slots: tuple[int, ...]


class StorageLayout:
    """One compiled contract's storage layout."""

    def __init__(self, artifact: Mapping[str, Any]) -> None:
        layout = artifact.get("storageLayout")
        if not layout:
            raise LayoutError(f"{artifact.get('contractName')}: the artifact has no storageLayout")
        self.variables = {v["label"]: v for v in layout["storage"]}
        self.types: dict[str, dict[str, Any]] = layout["types"]

    @classmethod
    def of_contract(cls, name: str) -> StorageLayout:
        """The layout of a shipped artifact (``"PrintLedger"``, ``"DesignRegistry"``)."""
        path = ARTIFACTS_DIR / f"{name}.json"
        if not path.is_file():
            raise LayoutError(f"no artifact named {name!r}")
        return cls(json.loads(path.read_bytes()))

    def locate(self, variable: str, *keys: bytes) -> Location:
        """The location of ``variable[keys[0]][keys[1]]...`` (keys as 32-byte words)."""
        try:
            entry = self.variables[variable]
        except KeyError:
            raise LayoutError(f"no state variable {variable}") from None
        slot, type_id = int(entry["slot"]), str(entry["type"])
        for key in keys:
            kind = self.types[type_id]
            if kind.get("encoding") != "mapping":
                raise LayoutError(f"{variable}: {type_id} is not a mapping")
            if len(key) != 32:
                raise LayoutError(f"{variable}: mapping keys are given as 32-byte words")
            slot = int.from_bytes(keccak(key + slot.to_bytes(32, "big")), "big")
            type_id = str(kind["value"])
        span = int(self.types[type_id]["numberOfBytes"]) // 32 or 1
        return Location(slot, type_id, tuple(slot + i for i in range(span)))

    def decode(self, location: Location, words: Mapping[int, int]) -> dict[str, Any] | Any:
        """The value at ``location`` from its slots' words: a dict of fields for a struct."""
        kind = self.types[location.type_id]
        if "members" not in kind:
            return self._value(location.type_id, words.get(location.slot, 0), 0)
        out: dict[str, Any] = {}
        for member in kind["members"]:
            member_type = str(member["type"])
            if self.types[member_type]["encoding"] != "inplace":
                continue  # strings, bytes, mappings live elsewhere: not read from these words
            word = words.get(location.slot + int(member["slot"]), 0)
            out[member["label"]] = self._value(member_type, word, int(member["offset"]))
        return out

    def _value(self, type_id: str, word: int, offset: int) -> Any:
        kind = self.types[type_id]
        size = int(kind["numberOfBytes"])
        raw = (word >> (8 * offset)) & ((1 << (8 * size)) - 1)
        if type_id == "t_bool":
            return bool(raw)
        if type_id == "t_address":
            return "0x" + raw.to_bytes(20, "big").hex()
        if type_id.startswith("t_bytes") and kind["encoding"] == "inplace":
            return raw.to_bytes(size, "big")
        if type_id.startswith(("t_uint", "t_enum")):
            return raw
        raise LayoutError(f"cannot decode {type_id} from a single word")
