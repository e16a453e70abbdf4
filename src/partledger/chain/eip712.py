"""EIP-712 typed data of relayed attestations (``PrintLedger.attestPrintBySig``)."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from partledger.chain.ids import PrintRecord

__all__ = [
    "ATTEST_PRINT_TYPE",
    "ATTEST_PRINT_TYPEHASH",
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "attest_print_digest",
    "attest_print_struct_hash",
    "attest_print_typed_data",
    "domain_separator",
    "sign_attest_print",
]

DOMAIN_NAME = "PartLedger"
DOMAIN_VERSION = "1"
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
ATTEST_PRINT_TYPE = (
    "AttestPrint(bytes32 licenceId,bytes32 serial,bytes32 machineId,bytes32 materialLotHash,"
    "bytes32 qualityReportHash,uint256 nonce,uint256 deadline)"
)
ATTEST_PRINT_TYPEHASH = keccak(text=ATTEST_PRINT_TYPE)

_ATTEST_PRINT_FIELDS = [
    {"name": "licenceId", "type": "bytes32"},
    {"name": "serial", "type": "bytes32"},
    {"name": "machineId", "type": "bytes32"},
    {"name": "materialLotHash", "type": "bytes32"},
    {"name": "qualityReportHash", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    """``_domainSeparatorV4()`` of a PrintLedger at ``verifying_contract`` on ``chain_id``."""
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text=DOMAIN_TYPE),
                keccak(text=DOMAIN_NAME),
                keccak(text=DOMAIN_VERSION),
                chain_id,
                verifying_contract,
            ],
        )
    )


def attest_print_struct_hash(record: PrintRecord, nonce: int, deadline: int) -> bytes:
    """``hashStruct(AttestPrint)``."""
    return keccak(
        encode(
            ["bytes32"] * 6 + ["uint256", "uint256"],
            [ATTEST_PRINT_TYPEHASH, *record.as_tuple(), nonce, deadline],
        )
    )


def attest_print_digest(
    record: PrintRecord, nonce: int, deadline: int, chain_id: int, verifying_contract: str
) -> bytes:
    """The 32-byte digest the hub signs: ``keccak256(0x1901 ++ domain ++ structHash)``."""
    return keccak(
        b"\x19\x01"
        + domain_separator(chain_id, verifying_contract)
        + attest_print_struct_hash(record, nonce, deadline)
    )


def attest_print_typed_data(
    record: PrintRecord, nonce: int, deadline: int, chain_id: int, verifying_contract: str
) -> dict[str, Any]:
    """The full EIP-712 message (for wallets: ``eth_signTypedData_v4``)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "AttestPrint": _ATTEST_PRINT_FIELDS,
        },
        "primaryType": "AttestPrint",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(verifying_contract),
        },
        "message": {
            "licenceId": record.licence_id,
            "serial": record.serial,
            "machineId": record.machine_id,
            "materialLotHash": record.material_lot_hash,
            "qualityReportHash": record.quality_report_hash,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def sign_attest_print(
    account: LocalAccount,
    record: PrintRecord,
    nonce: int,
    deadline: int,
    chain_id: int,
    verifying_contract: str,
) -> bytes:
    """Sign an ``AttestPrint`` with eth-account; returns the 65-byte signature (r ++ s ++ v)."""
    message = attest_print_typed_data(record, nonce, deadline, chain_id, verifying_contract)
    signed = Account.sign_typed_data(account.key, full_message=message)
    return bytes(signed.signature)
