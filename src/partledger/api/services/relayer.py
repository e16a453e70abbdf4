"""The print relayer: hub-signed EIP-712 attestations, queued durably, relayed in batches.

Flow of one attestation (one row of ``relay_queue``):

``queued``  accepted (signature checked against the licence's hub), committed to SQL;
``sent``    signed as a transaction with a reserved nonce; the raw bytes and hash are
            committed *before* broadcasting, so after a crash the same bytes are
            re-broadcast (a nonce can be mined once: never a duplicate);
``mined``   its receipt is in (``failed`` if it reverted, with the contract error);
the receipt reads ``final`` once the block is ``finality`` blocks deep.

Batching: the worker collects up to ``batch_size`` queued rows (waiting at most
``window`` seconds after the first) and relays them in ``tryAttestBatchBySig``
transactions of up to ``MAX_PER_TX`` prints (every row of a transaction shares its
nonce and hash; its raw bytes are kept once, on the first row). Several
transactions go out in one JSON-RPC batch request and their receipts are collected
in batch requests. The tolerant batch skips an item that would revert and says why in a
``PrintSkipped`` event, so nobody can sink a batch by submitting one of its signatures
first (that item's print is then attested all the same, by the other transaction). Should
a batch transaction still revert as a whole (out of gas, paused), each of its prints is
requeued ``solo`` and relayed alone (``attestPrintBySig``).

Replicas: the queue lives in the shared service database; only the leader
(:mod:`partledger.api.services.leader`) runs the worker. Before it persists signed bytes
and before every broadcast it confirms it still leads the epoch it started the step in
(else :class:`NotLeader` ends the step); a new leader re-reads the account's pending nonce
and resumes the ``sent`` rows the old one left (same bytes, re-broadcast).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from web3 import Web3

from partledger.api.services.auth import EIP1271_ABI, EIP1271_MAGIC
from partledger.api.services.errors import Conflict, Forbidden, InvalidRequest, NotFound
from partledger.api.services.leader import Leadership
from partledger.api.services.metrics import Metrics
from partledger.chain import ids
from partledger.chain.eip712 import attest_print_digest
from partledger.chain.ids import PrintRecord
from partledger.chain.reverts import decode_revert, revert_from_exception
from partledger.sdk import Ledger
from partledger.sdk.ledger import PRINT_LEDGER
from partledger.sdk.types import hex32

from .db import relay_queue

log = logging.getLogger("partledger.relayer")
PRINT_TUPLE = "(bytes32,bytes32,bytes32,bytes32,bytes32)"
SELECTOR = keccak(text=f"attestPrintBySig({PRINT_TUPLE},uint256,bytes)")[:4]
BATCH_SELECTOR = keccak(text=f"tryAttestBatchBySig({PRINT_TUPLE}[],uint256[],bytes[])")[:4]
PRINT_SKIPPED = keccak(text="PrintSkipped(bytes32,bytes32,uint256,bytes)")
RELAY_GAS = 400_000
BATCH_GAS_BASE = 100_000
BATCH_GAS_PER_PRINT = 80_000  # measured ~45k (EOA hubs, tolerant batch); EIP-1271 cost more
MAX_PER_TX = 100  # PrintLedger.MAX_BATCH_SIZE
RESEND_AFTER = 5.0
DEV_RESEND_AFTER = 1.0  # anvil strands bursts (foundry #10122): nudge it sooner
MAX_IN_FLIGHT = 2000
RECEIPTS_PER_POLL = 500
ENQUEUE_LOCK = 0x504C5251  # "PLRQ": serialises queue appends across replicas (PostgreSQL)


class NotLeader(Exception):
    """This replica lost the leadership mid-step: it must not persist or send."""


@dataclass(frozen=True)
class Submission:
    record: PrintRecord
    deadline: int
    signature: bytes


@dataclass(frozen=True)
class RelayReceipt:
    receipt_id: str
    status: str  # pending | mined | final | failed
    hub: str
    design_id: str
    licence_id: str
    serial: str
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    error: str | None


class Relayer:
    def __init__(
        self,
        engine: Engine,
        ledger: Ledger,
        account: LocalAccount,
        *,
        batch_size: int,
        window: float,
        finality: int,
        metrics: Metrics,
        leadership: Leadership | None = None,
    ) -> None:
        self.engine = engine
        self.leadership = leadership
        self._epoch = 0
        self.ledger = ledger
        self.account = account
        self.batch_size = batch_size
        self.window = window
        self.finality = finality
        self.metrics = metrics
        self.chain_id = int(ledger.deployment.chain_id)
        self.contract = ledger.deployment.address(PRINT_LEDGER)
        self.rpc_url = str(getattr(ledger.w3.provider, "endpoint_uri", ""))
        self.dev_chain = self.chain_id in (31337, 1337)
        self._http = requests.Session()
        self._licences: dict[bytes, bytes] = {}
        self._hub_nonce: dict[str, tuple[float, int]] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_nonce: int | None = None
        self._seq_lock = threading.Lock()
        self._fees: tuple[float, dict[str, int]] = (0.0, {})
        self.head = 0

    # -- submission ----------------------------------------------------------------------
    def _design_of(self, licence_id: bytes) -> bytes:
        design = self._licences.get(licence_id)
        if design is None:
            raw = self.ledger.view(PRINT_LEDGER, "licence", licence_id)
            if raw[5] == 0:
                raise NotFound(f"no licence {hex32(licence_id)}")
            design = bytes(raw[0])
            self._licences[licence_id] = design  # a licence's design never changes
        return design

    def _nonce_of(self, hub: str) -> int:
        now = time.monotonic()
        cached = self._hub_nonce.get(hub)
        if cached is not None and cached[0] > now:
            return cached[1]
        nonce = int(self.ledger.view(PRINT_LEDGER, "nonces", hub))
        self._hub_nonce[hub] = (now + 1.0, nonce)
        return nonce

    def _check_signature(self, hub: str, item: Submission) -> None:
        digest = attest_print_digest(
            item.record, self._nonce_of(hub), item.deadline, self.chain_id, self.contract
        )
        if len(item.signature) == 65:
            try:
                signer = Account._recover_hash(digest, signature=item.signature)
            except Exception:
                signer = None
            if signer == hub:
                return
        w3 = self.ledger.w3
        if w3.eth.get_code(Web3.to_checksum_address(hub)):
            wallet = w3.eth.contract(address=Web3.to_checksum_address(hub), abi=EIP1271_ABI)
            try:
                magic = wallet.functions.isValidSignature(digest, item.signature).call()
            except Exception:
                magic = b""
            if bytes(magic) == EIP1271_MAGIC:
                return
        raise Forbidden("the signature is not the licensed hub's (or its nonce was cancelled)")

    def submit(self, submitter: str, items: Sequence[Submission]) -> list[RelayReceipt]:
        """Check and queue attestations; re-submitting the same one returns its receipt."""
        now = int(time.time())
        rows = []
        for item in items:
            hub = ids.hub_of_licence(item.record.licence_id)
            if hub != submitter:
                raise Forbidden("a hub may only submit attestations of its own licences")
            if item.deadline < now:
                raise InvalidRequest(f"the signature's deadline {item.deadline} has passed")
            design = self._design_of(item.record.licence_id)
            self._check_signature(hub, item)
            rows.append((item, hub, design))
        try:
            receipts = self._enqueue_all(submitter, rows, now)
        except IntegrityError:  # a concurrent submission of the same print: one by one
            receipts = [self._enqueue_all(submitter, [row], now)[0] for row in rows]
        self._wake.set()
        return receipts

    def _enqueue_all(
        self, submitter: str, rows: list[tuple[Submission, str, bytes]], now: int
    ) -> list[RelayReceipt]:
        """Queue new attestations in one transaction; known ones return their receipt."""
        keys = [(hex32(design), hex32(item.record.serial)) for item, _, design in rows]
        receipts: list[RelayReceipt | None] = [None] * len(rows)
        with self._seq_lock, self.engine.begin() as conn:
            _serialise(conn, ENQUEUE_LOCK)  # seq = max + 1 across replicas
            existing = {}
            for design_id in {k[0] for k in keys}:
                serials = [k[1] for k in keys if k[0] == design_id]
                for found in conn.execute(
                    select(relay_queue).where(
                        relay_queue.c.design_id == design_id, relay_queue.c.serial.in_(serials)
                    )
                ):
                    existing[(found.design_id, found.serial)] = found
            top = conn.execute(select(func.coalesce(func.max(relay_queue.c.seq), 0))).scalar()
            seq = int(top or 0)
            values: list[dict[str, Any]] = []
            fresh: set[tuple[str, str]] = set()
            for i, ((item, hub, _design), key) in enumerate(zip(rows, keys, strict=True)):
                record = b"".join(item.record.as_tuple())
                known = existing.get(key)
                if known is not None:
                    if bytes(known.record) != record:
                        raise Conflict(
                            f"serial {key[1]} of design {key[0]} was already submitted with "
                            "another record"
                        )
                    receipts[i] = self._receipt(known)
                    continue
                if key in fresh:
                    raise InvalidRequest(f"serial {key[1]} appears twice in the submission")
                fresh.add(key)
                seq += 1
                receipt_id = str(uuid.uuid4())
                values.append(
                    {
                        "id": receipt_id, "seq": seq, "submitted_at": now,
                        "submitted_by": submitter, "hub": hub, "design_id": key[0],
                        "licence_id": hex32(item.record.licence_id), "serial": key[1],
                        "record": record, "deadline": item.deadline,
                        "signature": item.signature, "status": "queued",
                    }
                )  # fmt: skip
                receipts[i] = RelayReceipt(
                    receipt_id, "pending", hub, key[0], hex32(item.record.licence_id), key[1],
                    None, None, None, None,
                )  # fmt: skip
            if values:
                conn.execute(insert(relay_queue), values)
        return [r for r in receipts if r is not None]

    # -- receipts ---------------------------------------------------------------------------
    def receipt(self, receipt_id: str, viewer: str) -> RelayReceipt:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(relay_queue).where(relay_queue.c.id == receipt_id)
            ).one_or_none()
        if row is None:
            raise NotFound(f"no receipt {receipt_id}")
        if viewer not in (row.hub, row.submitted_by):
            raise Forbidden("the receipt belongs to another hub")
        return self._receipt(row)

    def _receipt(self, row: Any) -> RelayReceipt:
        status = {"queued": "pending", "sent": "pending"}.get(row.status, row.status)
        if status == "mined" and row.block_number is not None:
            head = self.head or int(self.ledger.w3.eth.block_number)
            if head - int(row.block_number) >= self.finality:
                status = "final"
        return RelayReceipt(
            row.id, status, row.hub, row.design_id, row.licence_id, row.serial,
            row.tx_hash, row.block_number, row.block_hash, row.error,
        )  # fmt: skip

    def depth(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(relay_queue)
                    .where(relay_queue.c.status.in_(("queued", "sent")))
                ).scalar_one()
            )

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(relay_queue.c.status, func.count()).group_by(relay_queue.c.status)
            ).all()
        return {str(status): int(n) for status, n in rows}

    # -- the worker ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pl-relayer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.step()
            except NotLeader:
                log.warning("relayer: leadership lost mid-step; standing by")
                worked = False
                self._next_nonce = None
            except Exception:
                log.exception("relayer step failed; retrying")
                worked = False
                self._next_nonce = None
                self._stop.wait(1.0)
            if not worked:
                self._wake.wait(0.02 if self._in_flight() else 0.25)
                self._wake.clear()

    def step(self) -> bool:
        """Collect receipts of what was sent, then sign and send one more batch (without
        waiting for it to be mined, up to ``MAX_IN_FLIGHT``); return whether work was done."""
        if not self._lead():
            return False
        progressed = self._collect_sent()
        room = MAX_IN_FLIGHT - self._in_flight()
        batch = self._take_batch(min(self.batch_size, room)) if room > 0 else []
        if batch:
            self._sign_and_persist(batch)
            self._broadcast(batch)
        self.metrics.relayer_queue_depth.set(self.depth())
        return bool(batch) or progressed

    def _in_flight(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(relay_queue)
                    .where(relay_queue.c.status == "sent")
                ).scalar_one()
            )

    def _lead(self) -> bool:
        """Whether this replica leads; on taking over, resume from the shared queue."""
        if self.leadership is None:
            return True
        epoch = self.leadership.epoch
        if not self.leadership.is_leader:
            self._next_nonce = None  # a later leadership re-reads the chain's nonce
            self._epoch = 0
            return False
        if epoch != self._epoch:
            self._epoch = epoch
            self._next_nonce = None
            self._broadcast()  # what the old leader signed and persisted: same bytes again
        return True

    def _fence(self) -> None:
        """Raise :class:`NotLeader` unless still leading the epoch this step began in."""
        if self.leadership is not None and not self.leadership.confirm(self._epoch):
            raise NotLeader

    def _rpc(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        if not calls:
            return []
        if any(method in ("eth_sendRawTransaction", "evm_mine") for method, _ in calls):
            self._fence()  # a paused old leader must not send
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
        ]
        response = self._http.post(self.rpc_url, json=payload, timeout=60)  # type: ignore[arg-type]
        response.raise_for_status()
        answers = {a["id"]: a for a in response.json()}
        return [answers.get(i, {"error": {"message": "no answer"}}) for i in range(len(calls))]

    def _take_batch(self, limit: int | None = None) -> list[Any]:
        size = limit or self.batch_size
        query = (
            select(relay_queue)
            .where(relay_queue.c.status == "queued")
            .order_by(relay_queue.c.seq)
            .limit(size)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        if rows and len(rows) < size and self.window > 0:
            self._stop.wait(self.window)  # a short window lets a batch fill up
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        return list(rows)

    def _fee_fields(self) -> dict[str, int]:
        stamp, fees = self._fees
        if time.monotonic() - stamp > 2.0 or not fees:
            block = self.ledger.w3.eth.get_block("latest")
            base = int(block.get("baseFeePerGas", 0) or 0)
            tip = 1_000_000_000
            fees = {"maxFeePerGas": 3 * base + tip, "maxPriorityFeePerGas": tip}
            self._fees = (time.monotonic(), fees)
        return fees

    def _sign_and_persist(self, rows: list[Any]) -> None:
        """Sign the transactions carrying ``rows`` and commit them before any is broadcast."""
        if self._next_nonce is None:
            with self.engine.connect() as conn:
                highest = conn.execute(select(func.max(relay_queue.c.tx_nonce))).scalar()
            chain = int(self.ledger.w3.eth.get_transaction_count(self.account.address, "pending"))
            self._next_nonce = max(chain, int(highest) + 1 if highest is not None else 0)
        fees = self._fee_fields()
        now = int(time.time())
        grouped = [r for r in rows if not r.solo]
        groups = [grouped[i : i + MAX_PER_TX] for i in range(0, len(grouped), MAX_PER_TX)]
        groups = [g for g in groups if len(g) > 1]
        in_groups = {r.id for g in groups for r in g}
        singles = [r for r in rows if r.id not in in_groups]
        updates = []
        for group in [[r] for r in singles] + groups:
            data, gas = _single_call(group[0]) if len(group) == 1 else _batch_call(group)
            signed = self.account.sign_transaction(
                {
                    "to": self.contract,  # type: ignore[dict-item]
                    "data": data,
                    "gas": gas,
                    "nonce": self._next_nonce,
                    "chainId": self.chain_id,
                    "value": 0,
                    "type": 2,
                    **fees,
                }
            )
            for position, row in enumerate(group):
                updates.append(
                    {
                        "rid": row.id,
                        "tx_nonce": self._next_nonce,
                        "raw_tx": bytes(signed.raw_transaction) if position == 0 else None,
                        "tx_hash": "0x" + bytes(signed.hash).hex(),
                        "solo": len(group) == 1,
                    }
                )
            self._next_nonce += 1
        self._fence()
        with self.engine.begin() as conn:  # persisted before any byte leaves: crash-safe
            for u in updates:
                conn.execute(
                    update(relay_queue)
                    .where(relay_queue.c.id == u["rid"], relay_queue.c.status == "queued")
                    .values(
                        status="sent",
                        tx_nonce=u["tx_nonce"],
                        raw_tx=u["raw_tx"],
                        tx_hash=u["tx_hash"],
                        solo=u["solo"],
                        sent_at=now,
                    )
                )

    def _broadcast(self, rows: list[Any] | None = None) -> None:
        query = select(relay_queue).where(
            relay_queue.c.status == "sent", relay_queue.c.raw_tx.is_not(None)
        )
        if rows is not None:
            query = query.where(relay_queue.c.id.in_([r.id for r in rows]))
        with self.engine.connect() as conn:
            sent = conn.execute(query.order_by(relay_queue.c.tx_nonce)).all()
        answers = self._rpc(
            [("eth_sendRawTransaction", ["0x" + bytes(r.raw_tx).hex()]) for r in sent]
        )
        for row, answer in zip(sent, answers, strict=True):
            error = str(answer.get("error", {}).get("message", "")).lower()
            if error and "already known" not in error and "nonce too low" not in error:
                log.warning("relay of %s not accepted by the node: %s", row.id, error)

    def _collect_sent(self, *, wait: bool = False) -> bool:
        deadline = time.monotonic() + (30.0 if wait else 0.0)
        resent_at = time.monotonic()
        progressed = False
        while True:
            with self.engine.connect() as conn:
                pending = conn.execute(
                    select(relay_queue)
                    .where(relay_queue.c.status == "sent")
                    .order_by(relay_queue.c.tx_nonce)
                    .limit(RECEIPTS_PER_POLL)
                ).all()
            if not pending:
                return progressed
            hashes = sorted({r.tx_hash for r in pending})
            answers = self._rpc([("eth_getTransactionReceipt", [h]) for h in hashes])
            receipts = {h: a.get("result") for h, a in zip(hashes, answers, strict=True)}
            mined = [(row, receipts[row.tx_hash]) for row in pending if receipts[row.tx_hash]]
            if mined:
                self._record_mined(mined)
                progressed = True
                self.head = max(self.head, max(int(r["blockNumber"], 16) for _, r in mined))
            if len(mined) == len(pending) or time.monotonic() > deadline:
                if not wait and len(mined) < len(pending):
                    patience = DEV_RESEND_AFTER if self.dev_chain else RESEND_AFTER
                    stale = [r for r in pending if time.time() - int(r.sent_at) > patience]
                    if stale:
                        self._recover_stale(stale)
                return progressed
            if time.monotonic() - resent_at > RESEND_AFTER:
                self._broadcast()  # anvil can strand a burst (foundry #10122): resend bytes
                if self.dev_chain:
                    self._rpc([("evm_mine", [])])
                resent_at = time.monotonic()
            time.sleep(0.02)

    def _recover_stale(self, stale: list[Any]) -> None:
        """Re-broadcast identical bytes; requeue only rows whose nonce is provably spent."""
        chain_nonce = int(self.ledger.w3.eth.get_transaction_count(self.account.address))
        requeue = [
            r.id
            for r in stale
            if int(r.tx_nonce) < chain_nonce and not self._known_to_node(r.tx_hash)
        ]
        if requeue:
            # the nonce was spent by another transaction, so these bytes can never be mined
            answers = self._rpc([("eth_getTransactionReceipt", [r.tx_hash]) for r in stale])
            landed = {r.id for r, a in zip(stale, answers, strict=True) if a.get("result")}
            requeue = [rid for rid in requeue if rid not in landed]
            with self.engine.begin() as conn:
                conn.execute(
                    update(relay_queue)
                    .where(relay_queue.c.id.in_(requeue), relay_queue.c.status == "sent")
                    .values(status="queued", raw_tx=None, tx_hash=None, tx_nonce=None)
                )
        self._broadcast()
        if self.dev_chain:
            self._rpc([("evm_mine", [])])

    def _known_to_node(self, tx_hash: str) -> bool:
        answer = self._rpc([("eth_getTransactionByHash", [tx_hash])])[0]
        return bool(answer.get("result"))

    def _record_mined(self, mined: list[tuple[Any, dict[str, Any]]]) -> None:
        with self.engine.begin() as conn:
            for row, receipt in mined:
                ok = int(receipt["status"], 16) == 1
                if not ok and not row.solo and not self._already_attested(row):
                    # its batch reverted as a whole: relay this print on its own
                    conn.execute(
                        update(relay_queue)
                        .where(relay_queue.c.id == row.id)
                        .values(
                            status="queued", solo=True, raw_tx=None, tx_hash=None, tx_nonce=None
                        )
                    )
                    self.metrics.relayed_prints.labels("retried_alone").inc()
                    continue
                error = None if ok else self._revert_reason(row, int(receipt["blockNumber"], 16))
                skipped = _skip_reason(row, receipt) if ok and not row.solo else None
                if skipped is not None:
                    ok, error = False, skipped
                if not ok and self._already_attested(row):
                    # an earlier transaction of ours carried it (a resend raced its receipt)
                    ok, error = (
                        True,
                        f"attested by another transaction of the same signature; {error}",
                    )
                conn.execute(
                    update(relay_queue)
                    .where(relay_queue.c.id == row.id)
                    .values(
                        status="mined" if ok else "failed",
                        block_number=int(receipt["blockNumber"], 16),
                        block_hash=receipt["blockHash"],
                        error=error,
                    )
                )
                self.metrics.relayed_prints.labels("mined" if ok else "failed").inc()

    def _already_attested(self, row: Any) -> bool:
        record = bytes(row.record)
        design = bytes.fromhex(row.design_id[2:])
        stored = bytes(self.ledger.view(PRINT_LEDGER, "printCommitment", design, record[32:64]))
        return stored == ids.print_commitment(
            PrintRecord(*(record[i : i + 32] for i in range(0, 160, 32)))
        )

    def _revert_reason(self, row: Any, block: int) -> str:
        tx = self.ledger.w3.eth.get_transaction(row.tx_hash)
        try:
            self.ledger.w3.eth.call(
                {"from": self.account.address, "to": self.contract, "data": tx["input"]},
                block_identifier=max(0, block - 1),
            )
        except Exception as exc:
            revert = revert_from_exception(exc)
            return str(revert) if revert is not None else f"{type(exc).__name__}"
        return "reverted"


def _skip_reason(row: Any, receipt: dict[str, Any]) -> str | None:
    """Why the tolerant batch skipped this row's print (None if it was attested)."""
    record = bytes(row.record)
    for entry in receipt.get("logs", []):
        topics = [bytes.fromhex(str(t)[2:]) for t in entry.get("topics", [])]
        if (
            len(topics) == 3
            and topics[0] == PRINT_SKIPPED
            and topics[1:] == [record[:32], record[32:64]]
        ):
            data = bytes.fromhex(str(entry["data"])[2:])
            (_position, reason) = abi_decode(["uint256", "bytes"], data)
            return f"skipped in the batch: {decode_revert(reason)}"
    return None


def _serialise(conn: Connection, key: int) -> None:
    """Hold a transaction-scoped PostgreSQL lock on ``key`` (SQLite writers are serial)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _fields(row: Any) -> tuple[bytes, ...]:
    return tuple(bytes(row.record[i : i + 32]) for i in range(0, 160, 32))


def _single_call(row: Any) -> tuple[bytes, int]:
    """``attestPrintBySig(print, deadline, signature)`` calldata and its gas limit."""
    data = SELECTOR + abi_encode(
        [PRINT_TUPLE, "uint256", "bytes"], [_fields(row), int(row.deadline), bytes(row.signature)]
    )
    return data, RELAY_GAS


def _batch_call(rows: list[Any]) -> tuple[bytes, int]:
    """``tryAttestBatchBySig(prints, deadlines, signatures)`` calldata and its gas limit."""
    data = BATCH_SELECTOR + abi_encode(
        [f"{PRINT_TUPLE}[]", "uint256[]", "bytes[]"],
        [[_fields(r) for r in rows], [int(r.deadline) for r in rows],
         [bytes(r.signature) for r in rows]],
    )  # fmt: skip
    return data, BATCH_GAS_BASE + BATCH_GAS_PER_PRINT * len(rows)
