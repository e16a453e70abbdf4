"""Property-based stateful test of licences and prints against a Python model, on anvil.

Random sequences of issue / amend / suspend / resume / revoke / attest / batch / anchor /
invalidate / refund / recall; each transaction must succeed exactly when the model says the rules
allow it, and after every step: the prints debited from a licence (attested + anchored - refunded)
equal its on-chain count and never exceed its maximum (initial + amendments), every anchored
print verifies in exactly its own debited slot and nowhere else, no forged leaf verifies, serials
are never reused within a design on the direct paths, and the auditor's serial rule never lets
one serial verify twice across direct prints and anchors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from ledger_helpers import b32
from ledger_world import DAY, OTHER_STANDARD, STANDARD, World

from partledger.chain import ids, merkle
from partledger.sdk.claims import SerialClaim, genuine_claims

ZERO = b"\x00" * 32
GAS = 1_500_000
WINDOWS = ("ok", "ok", "ok", "expired", "future")  # mostly usable licences


@dataclass(frozen=True)
class LicenceModel:
    """What the model knows about one licence."""

    design: bytes
    max_prints: int
    printed: int
    status: str  # active | suspended | revoked
    window: str
    refund: bool
    requires_standard: bool
    index: int


class LedgerMachine(RuleBasedStateMachine):
    """Drives the real contracts and a model side by side."""

    world: World

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        self.snapshot_id = w.chain.w3.provider.make_request("evm_snapshot", [])["result"]
        second = w.register_design(w.oem, b32("stateful second design"))
        certifier_role = w.ledger.functions.CERTIFIER_ROLE().call()
        w.chain.send(w.admin, w.ledger, "grantRole", certifier_role, w.relayer.address)
        self.certifiers = [w.certifier, w.relayer]
        self.oem_role = w.registry.functions.OEM_ROLE().call()
        self.oem_active = True
        # (holder, validUntil, revoked) of machine_unqualified's OTHER_STANDARD record
        self.qualification: tuple[str, int, bool] | None = None
        self.designs = [w.design, second]
        self.recalled: set[bytes] = set()
        self.licences: dict[bytes, LicenceModel] = {
            w.licence_open: LicenceModel(w.design, 10, 0, "active", "ok", False, False, 0),
            w.licence_qualified: LicenceModel(w.design, 5, 0, "active", "ok", True, True, 1),
        }
        self.used: set[tuple[bytes, bytes]] = set()
        self.prints: list[ids.PrintRecord] = []
        self.invalidated: set[int] = set()
        self.refunded: set[int] = set()
        self.latest = w.licence_qualified
        self.anchors = 0
        # (root, anchoredAt, licence ids, counts, records) of every accepted anchor
        self.anchored: list[tuple[bytes, int, list[bytes], list[int], list[ids.PrintRecord]]] = []

    def teardown(self) -> None:
        self.world.chain.w3.provider.make_request("evm_revert", [self.snapshot_id])

    # -- helpers -----------------------------------------------------------------------
    def _send(self, account: Any, fn: str, *args: Any, contract: Any = None) -> bool:
        receipt = self.world.chain.send_raw_status(
            account, contract or self.world.ledger, fn, *args, gas=GAS
        )
        return bool(receipt.status == 1)

    def _licence_ids(self) -> list[bytes]:
        return sorted(self.licences)

    def _can_attest(self, lid: bytes, record: ids.PrintRecord, model: LicenceModel) -> bool:
        qualified = record.machine_id == self.world.machine
        return (
            model.status == "active"
            and model.window == "ok"
            and model.printed < model.max_prints
            and model.design not in self.recalled
            and (qualified or not model.requires_standard)
            and (model.design, record.serial) not in self.used
        )

    # -- rules ---------------------------------------------------------------------------
    @rule(
        design_index=st.integers(0, 1),
        max_prints=st.integers(1, 4),
        window=st.sampled_from(WINDOWS),
        requires_standard=st.sampled_from((False, False, True)),
        refund=st.booleans(),
    )
    def issue(
        self, design_index: int, max_prints: int, window: str, requires_standard: bool, refund: bool
    ) -> None:
        w, design = self.world, self.designs[design_index]
        now = w.chain.timestamp()
        start, end = {
            "ok": (now - 3600, now + 30 * DAY),
            "expired": (now - 7200, now - 3600),
            "future": (now + 30 * DAY, now + 60 * DAY),
        }[window]
        index = w.ledger.functions.licenceCount(design).call()
        terms = w.terms(
            designId=design,
            maxPrints=max_prints,
            validFrom=start,
            validUntil=end,
            requiredStandard=STANDARD if requires_standard else ZERO,
            refundOnInvalidate=refund,
        )
        ok = self._send(w.oem, "issueLicence", terms)
        assert ok == (design not in self.recalled and self.oem_active)
        if ok:
            self.latest = ids.licence_id(design, w.hub.address, index)
            self.licences[self.latest] = LicenceModel(
                design, max_prints, 0, "active", window, refund, requires_standard, index
            )

    @rule(data=st.data(), extra=st.integers(0, 3))
    def amend(self, data: st.DataObject, extra: int) -> None:
        lid = data.draw(st.sampled_from(self._licence_ids()))
        model = self.licences[lid]
        until = self.world.ledger.functions.licence(lid).call()[4]
        ok = self._send(self.world.oem, "amendLicence", lid, extra, until, b32("amended"))
        assert ok == (model.status != "revoked" and self.oem_active)
        if ok:
            self.licences[lid] = replace(model, max_prints=model.max_prints + extra)

    @rule(data=st.data(), action=st.sampled_from(("suspend", "resume", "revoke")))
    def change_status(self, data: st.DataObject, action: str) -> None:
        lid = data.draw(st.sampled_from(self._licence_ids()))
        model = self.licences[lid]
        if action == "suspend":
            ok = self._send(self.world.oem, "suspendLicence", lid, b32("s"))
            expected, new = model.status == "active", "suspended"
        elif action == "resume":
            ok = self._send(self.world.oem, "resumeLicence", lid)
            expected, new = model.status == "suspended", "active"
        else:
            ok = self._send(self.world.oem, "revokeLicence", lid, b32("r"))
            expected, new = model.status != "revoked", "revoked"
        assert ok == (expected and self.oem_active), (action, model)
        if ok:
            self.licences[lid] = replace(model, status=new)

    def _record(self, lid: bytes, serial: int, qualified: bool) -> ids.PrintRecord:
        machine = self.world.machine if qualified else self.world.machine_unqualified
        return self.world.print(lid, f"serial-{serial}", machine)

    @rule(data=st.data(), serial=st.integers(0, 20), qualified=st.booleans())
    def attest(self, data: st.DataObject, serial: int, qualified: bool) -> None:
        self._attest(data.draw(st.sampled_from(self._licence_ids())), serial, qualified)

    @rule(serial=st.integers(0, 20))
    def attest_on_latest_licence(self, serial: int) -> None:
        self._attest(self.latest, serial, True)

    def _attest(self, lid: bytes, serial: int, qualified: bool) -> None:
        model = self.licences[lid]
        record = self._record(lid, serial, qualified)
        expected = self._can_attest(lid, record, model)
        assert self._send(self.world.hub, "attestPrint", record.as_tuple()) == expected
        if expected:
            self._accept(lid, record)

    @rule(data=st.data(), serials=st.lists(st.integers(0, 20), min_size=2, max_size=3))
    def attest_batch(self, data: st.DataObject, serials: list[int]) -> None:
        lids = [data.draw(st.sampled_from(self._licence_ids())) for _ in serials]
        records = [self._record(lid, s, True) for lid, s in zip(lids, serials, strict=True)]
        saved = (dict(self.licences), set(self.used), list(self.prints))
        expected = True
        for lid, record in zip(lids, records, strict=True):
            if not self._can_attest(lid, record, self.licences[lid]):
                expected = False
                break
            self._accept(lid, record)
        self.licences, self.used, self.prints = saved
        ok = self._send(self.world.hub, "attestBatch", [r.as_tuple() for r in records])
        assert ok == expected
        if ok:
            for lid, record in zip(lids, records, strict=True):
                self._accept(lid, record)

    def _accept(self, lid: bytes, record: ids.PrintRecord) -> None:
        model = self.licences[lid]
        self.licences[lid] = replace(model, printed=model.printed + 1)
        self.used.add((model.design, record.serial))
        self.prints.append(record)

    @rule(data=st.data(), serials=st.lists(st.integers(0, 20), min_size=1, max_size=4))
    def anchor(self, data: st.DataObject, serials: list[int]) -> None:
        self._anchor(data.draw(st.sampled_from(self._licence_ids())), serials)

    @rule(serials=st.lists(st.integers(0, 20), min_size=1, max_size=4))
    def anchor_on_latest_licence(self, serials: list[int]) -> None:
        self._anchor(self.latest, serials)

    def _anchor(self, lid: bytes, serials: list[int]) -> None:
        """Anchor a real tree; serials come from the direct paths' pool, so some repeat."""
        model = self.licences[lid]
        self.anchors += 1
        count = len(serials)
        records = [self._record(lid, s, True) for s in serials]
        root = merkle.MerkleTree.of_prints(records).root
        entry = (model.design, model.index, count)
        expected = (
            model.status == "active"
            and model.window == "ok"
            and model.printed + count <= model.max_prints
            and model.design not in self.recalled
            and not model.requires_standard
        )
        receipt = self.world.chain.send_raw_status(
            self.world.hub, self.world.ledger, "anchorBatch", root, [entry], b32("doc"), gas=GAS
        )
        assert (receipt.status == 1) == expected
        if expected:
            self.licences[lid] = replace(model, printed=model.printed + count)
            block = self.world.chain.w3.eth.get_block(receipt.blockNumber)
            self.anchored.append((root, int(block["timestamp"]), [lid], [count], records))

    @rule(data=st.data(), by_oem=st.booleans())
    def invalidate(self, data: st.DataObject, by_oem: bool) -> None:
        if not self.prints:
            return
        index = data.draw(st.integers(0, len(self.prints) - 1))
        record = self.prints[index]
        account = self.world.oem if by_oem else self.world.hub
        ok = self._send(account, "invalidatePrint", record.as_tuple(), b32("scrap"))
        assert ok == (index not in self.invalidated and (self.oem_active or not by_oem))
        if ok:
            self.invalidated.add(index)
            model = self.licences[record.licence_id]
            if model.refund and by_oem:  # the hub's word alone never gives a copy back
                self.refunded.add(index)
                self.licences[record.licence_id] = replace(model, printed=model.printed - 1)

    @rule(data=st.data(), by_oem=st.booleans())
    def refund(self, data: st.DataObject, by_oem: bool) -> None:
        if not self.prints:
            return
        index = data.draw(st.integers(0, len(self.prints) - 1))
        record = self.prints[index]
        model = self.licences[record.licence_id]
        account = self.world.oem if by_oem else self.world.hub
        ok = self._send(account, "refundInvalidatedPrint", record.as_tuple())
        expected = (
            by_oem and index in self.invalidated and index not in self.refunded and model.refund
            and self.oem_active
        )  # fmt: skip
        assert ok == expected
        if ok:
            self.refunded.add(index)
            self.licences[record.licence_id] = replace(model, printed=model.printed - 1)

    @rule()
    def recall_second_design(self) -> None:
        design = self.designs[1]
        ok = self._send(
            self.world.oem, "recallDesign", design, b32("recall"), contract=self.world.registry
        )
        assert ok == (design not in self.recalled and self.oem_active)
        if ok:
            self.recalled.add(design)

    @rule()
    def toggle_oem_role(self) -> None:
        """H: while the OEM is de-roled, every owner-only operation above must fail."""
        w = self.world
        fn = "revokeRole" if self.oem_active else "grantRole"
        assert self._send(w.admin, fn, self.oem_role, w.oem.address, contract=w.registry)
        self.oem_active = not self.oem_active

    @rule(who=st.integers(0, 1), ended=st.booleans())
    def record_qualification(self, who: int, ended: bool) -> None:
        """C: a record belongs to its certifier until its window ends."""
        w = self.world
        certifier = self.certifiers[who]
        now = w.chain.timestamp()
        start, end = (now - 100, now - 10) if ended else (now - 100, now + DAY)
        ok = self._send(
            certifier, "recordQualification",
            w.machine_unqualified, OTHER_STANDARD, b32(f"cert {now}"), start, end,
        )  # fmt: skip
        held = self.qualification
        expected = held is None or held[0] == certifier.address or held[1] < now
        assert ok == expected, (held, certifier.address)
        if ok:
            self.qualification = (certifier.address, end, False)

    @rule(who=st.integers(0, 2))
    def revoke_qualification(self, who: int) -> None:
        w = self.world
        account = [*self.certifiers, w.admin][who]
        ok = self._send(
            account, "revokeQualification", w.machine_unqualified, OTHER_STANDARD, b32("r")
        )
        held = self.qualification
        expected = held is not None and not held[2] and (account.address == held[0] or who == 2)
        assert ok == expected
        if ok and held is not None:
            self.qualification = (held[0], held[1], True)

    # -- invariants ----------------------------------------------------------------------
    @invariant()
    def counts_match_the_model_and_never_exceed_the_maximum(self) -> None:
        for lid, model in self.licences.items():
            stored = self.world.ledger.functions.licence(lid).call()
            assert stored[2] == model.printed <= stored[1] == model.max_prints

    @invariant()
    def debited_prints_equal_attested_plus_anchored_less_refunded(self) -> None:
        for lid, model in self.licences.items():
            attested = sum(1 for r in self.prints if r.licence_id == lid)
            refunded = sum(1 for i in self.refunded if self.prints[i].licence_id == lid)
            anchored = sum(c for _, _, lids, counts, _ in self.anchored
                           for l2, c in zip(lids, counts, strict=True) if l2 == lid)  # fmt: skip
            assert attested + anchored - refunded == model.printed <= model.max_prints

    @invariant()
    def every_anchored_print_verifies_in_its_own_slot_only(self) -> None:
        verify = self.world.ledger.functions.verifyAnchoredPrint
        for root, at, lids, counts, records in self.anchored[-2:]:
            tree = merkle.MerkleTree.of_prints(records)
            for i, record in enumerate(records):
                assert verify(root, record.as_tuple(), (i, at, lids, counts, tree.proof(i))).call()
                forged = self.world.print(record.licence_id, f"forged-{i}")
                assert not verify(
                    root, forged.as_tuple(), (i, at, lids, counts, tree.proof(i))
                ).call()
                other = (i + 1) % len(records)
                if records[other] != record:  # (an identical leaf is genuinely there too)
                    assert not verify(
                        root, record.as_tuple(), (other, at, lids, counts, tree.proof(i))
                    ).call()

    @invariant()
    def no_serial_verifies_twice(self) -> None:
        claims = [
            SerialClaim(self.licences[r.licence_id].design, r.serial, ("direct", n))
            for n, r in enumerate(self.prints)
        ]
        for a, (_root, _at, _lids, _counts, records) in enumerate(self.anchored):
            claims += [
                SerialClaim(self.licences[r.licence_id].design, r.serial, ("anchor", a, i))
                for i, r in enumerate(records)
            ]
        genuine = [c for c in claims if c in genuine_claims(claims)]
        keys = [(c.design_id, c.serial) for c in genuine]
        assert len(keys) == len(set(keys))

    @invariant()
    def the_qualification_record_is_its_holders(self) -> None:
        stored = self.world.ledger.functions.qualification(
            self.world.machine_unqualified, OTHER_STANDARD
        ).call()
        if self.qualification is None:
            assert stored[0] == "0x" + "00" * 20
        else:
            assert (stored[0], stored[2], stored[3]) == self.qualification

    @invariant()
    def every_accepted_serial_is_recorded_once(self) -> None:
        designs = [self.licences[r.licence_id].design for r in self.prints]
        assert len(set(zip(designs, (r.serial for r in self.prints), strict=True))) == len(
            self.prints
        )


def test_ledger_rules_hold_over_random_sequences(world: World, snapshot: None) -> None:
    LedgerMachine.world = world
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            print_blob=True,
        ),
    )
