// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title PartLedger print ledger
/// @notice Hubs, machines, qualifications, per-hub print licences and print attestations: every
/// rule `attestPrint` enforces lives in this one contract so the hot path makes no external call.
/// @dev Id formats (reproduced by `partledger.chain.ids`):
/// - licenceId = hub (high 20 bytes) ++ low 12 bytes of keccak256(abi.encode(designId, hub, index))
/// - machineId = keccak256(abi.encode(hub, machineHash)), machineHash = hash of maker/model/serial
/// - printId = keccak256(abi.encode(designId, serial)); serial = keccak256(utf-8 serial number)
/// - print commitment = keccak256(abi.encode(Print))
/// - anchored batches are RFC 9162 (Certificate Transparency v2) Merkle trees with keccak256:
///   leaf = keccak256(0x00 ++ abi.encode(Print)), node = keccak256(0x01 ++ left ++ right); leaves
///   are laid out entry by entry, entry i owning `counts[i]` consecutive positions, so a proof
///   bound to its leaf index shows which licence's debited slot the print fills
interface IPrintLedger {
    /// @notice Lifecycle of a licence. Revoked is final.
    enum LicenceStatus {
        None,
        Active,
        Suspended,
        Revoked
    }

    /// @notice A hub's public identity.
    /// @param registered true once registered
    /// @param locode UN/LOCODE of the hub's location (5 ASCII characters)
    /// @param keyVersion increments on each HPKE key rotation (1 at registration)
    /// @param name display name
    /// @param hpkePublicKey HPKE (RFC 9180) public key OEMs wrap design keys to
    struct Hub {
        bool registered;
        bytes5 locode;
        uint32 keyVersion;
        string name;
        bytes hpkePublicKey;
    }

    /// @notice A machine registered by a hub.
    /// @param registeredAt block timestamp of its registration
    /// @param retiredAt block timestamp of its retirement (0 while in service)
    struct Machine {
        address hub;
        bool retired;
        uint40 registeredAt;
        uint40 retiredAt;
        bytes32 machineHash;
    }

    /// @notice A certifier's qualification of a subject (machine id, or hub as
    /// `bytes32(uint256(uint160(hub)))`) to a standard. One record per (subject, standard),
    /// owned by the certifier that recorded it: only that certifier may renew or change it, only
    /// it or an admin may revoke it, and another certifier may record anew only once the
    /// record's window has ended. Every change is an event, so the record in force at any block
    /// can be replayed.
    struct Qualification {
        address certifier;
        uint40 validFrom;
        uint40 validUntil;
        bool revoked;
        bytes32 certificateHash;
    }

    /// @notice What an OEM grants when issuing a licence.
    /// @param designId the licensed design
    /// @param hub the licensed hub
    /// @param maxPrints maximum number of prints
    /// @param validFrom first second prints are allowed
    /// @param validUntil last second prints are allowed
    /// @param requiredStandard standard code every printing machine must hold at print time, or 0
    /// @param termsHash hash of the licence terms document
    /// @param wrappedKeyHash hash of the design data key wrapped (HPKE) for the hub
    /// @param refundOnInvalidate whether invalidating a print gives the copy back
    struct LicenceTerms {
        bytes32 designId;
        address hub;
        uint32 maxPrints;
        uint40 validFrom;
        uint40 validUntil;
        bytes32 requiredStandard;
        bytes32 termsHash;
        bytes32 wrappedKeyHash;
        bool refundOnInvalidate;
    }

    /// @notice A licence as stored. The hub is the high 20 bytes of the licence id.
    struct Licence {
        bytes32 designId;
        uint32 maxPrints;
        uint32 printed;
        uint40 validFrom;
        uint40 validUntil;
        LicenceStatus status;
        bool refundOnInvalidate;
        bool qualificationRequired;
        bytes32 requiredStandard;
        bytes32 termsHash;
        bytes32 wrappedKeyHash;
    }

    /// @notice One print attestation. `serial` is keccak256 of the part's serial number (UTF-8).
    struct Print {
        bytes32 licenceId;
        bytes32 serial;
        bytes32 machineId;
        bytes32 materialLotHash;
        bytes32 qualityReportHash;
    }

    /// @notice One licence's share of a Merkle-anchored batch; the licence is
    /// `licenceId(designId, msg.sender, licenceIndex)`.
    struct AnchorEntry {
        bytes32 designId;
        uint32 licenceIndex;
        uint32 count;
    }

    /// @notice Proof that a print fills one debited slot of an anchored batch.
    /// @param leafIndex the print's position in the batch (0-based)
    /// @param anchoredAt timestamp of the block that anchored the batch
    /// @param licenceIds the anchor's licences, in anchoring order (as in `BatchAnchored`)
    /// @param counts prints debited from each licence (as in `BatchAnchored`)
    /// @param path RFC 9162 inclusion path of the leaf at `leafIndex`
    struct AnchorProof {
        uint256 leafIndex;
        uint40 anchoredAt;
        bytes32[] licenceIds;
        uint256[] counts;
        bytes32[] path;
    }

    /// @notice A hub registered itself.
    event HubRegistered(address indexed hub, string name, bytes5 locode, bytes hpkePublicKey);
    /// @notice A hub changed its name or location.
    event HubDetailsUpdated(address indexed hub, string name, bytes5 locode);
    /// @notice A hub rotated its HPKE public key.
    event HubKeyRotated(address indexed hub, uint32 keyVersion, bytes hpkePublicKey);
    /// @notice A hub registered a machine.
    event MachineRegistered(bytes32 indexed machineId, address indexed hub, bytes32 machineHash);
    /// @notice A hub retired a machine (it can no longer print).
    event MachineRetired(bytes32 indexed machineId, address indexed hub);
    /// @notice A certifier recorded (or renewed) a qualification.
    event QualificationRecorded(
        bytes32 indexed subject,
        bytes32 indexed standard,
        address indexed certifier,
        bytes32 certificateHash,
        uint40 validFrom,
        uint40 validUntil
    );
    /// @notice A qualification was revoked.
    event QualificationRevoked(
        bytes32 indexed subject, bytes32 indexed standard, address indexed by, bytes32 reasonHash
    );
    /// @notice An OEM issued a licence.
    event LicenceIssued(
        bytes32 indexed licenceId,
        bytes32 indexed designId,
        address indexed hub,
        uint32 licenceIndex,
        LicenceTerms terms
    );
    /// @notice The OEM amended a licence (new totals).
    event LicenceAmended(
        bytes32 indexed licenceId,
        bytes32 indexed designId,
        address indexed hub,
        uint32 maxPrints,
        uint40 validUntil,
        bytes32 termsHash
    );
    /// @notice The OEM suspended a licence.
    event LicenceSuspended(
        bytes32 indexed licenceId, bytes32 indexed designId, address indexed hub, bytes32 reasonHash
    );
    /// @notice The OEM resumed a suspended licence.
    event LicenceResumed(bytes32 indexed licenceId, bytes32 indexed designId, address indexed hub);
    /// @notice The OEM revoked a licence (final).
    event LicenceRevoked(
        bytes32 indexed licenceId, bytes32 indexed designId, address indexed hub, bytes32 reasonHash
    );
    /// @notice A print was attested (hub tx, relayed signature or batch). Hub = licenceId >> 96.
    event PrintAttested(
        bytes32 indexed licenceId,
        bytes32 indexed designId,
        bytes32 indexed serial,
        bytes32 machineId,
        bytes32 materialLotHash,
        bytes32 qualityReportHash
    );
    /// @notice A print was invalidated (scrapped, failed QA). `refunded`: the copy went back to
    /// the licence (only when the design owner invalidates, on a refunding licence).
    event PrintInvalidated(
        bytes32 indexed licenceId,
        bytes32 indexed designId,
        bytes32 indexed serial,
        address by,
        bytes32 reasonHash,
        bool refunded
    );
    /// @notice The design owner gave back the copy of a print the hub had invalidated.
    event PrintRefunded(
        bytes32 indexed licenceId, bytes32 indexed designId, bytes32 indexed serial, address by
    );
    /// @notice `tryAttestBatchBySig` skipped the item at `position`; `reason` is its revert data.
    event PrintSkipped(
        bytes32 indexed licenceId, bytes32 indexed serial, uint256 position, bytes reason
    );
    /// @notice A hub anchored a Merkle root; `counts[i]` prints were debited from `licenceIds[i]`
    /// and fill leaves `[sum(counts[:i]), sum(counts[:i+1]))`; `documentHash` is the SHA-256 of
    /// the published batch document listing every leaf.
    event BatchAnchored(
        bytes32 indexed root,
        address indexed hub,
        uint256 totalPrints,
        bytes32[] licenceIds,
        uint256[] counts,
        bytes32 documentHash
    );
    /// @notice A hub bumped its signature nonce, cancelling its outstanding signatures.
    event SignaturesCancelled(address indexed hub, uint256 newNonce);
    /// @notice The design registry reported a recall.
    event DesignRecallRecorded(bytes32 indexed designId);

    /// @notice Only the design registry may call this.
    error NotRegistry(address caller);
    /// @notice An address argument was zero.
    error ZeroAddress();
    /// @notice The hub is already registered.
    error HubAlreadyRegistered(address hub);
    /// @notice The hub is not registered.
    error UnknownHub(address hub);
    /// @notice The HPKE public key length is not 32..MAX_HPKE_KEY_LENGTH bytes.
    error InvalidHpkeKey(uint256 length);
    /// @notice The machine id is already registered.
    error MachineAlreadyRegistered(bytes32 machineId);
    /// @notice No machine with this id.
    error UnknownMachine(bytes32 machineId);
    /// @notice The machine belongs to another hub.
    error MachineNotOfHub(bytes32 machineId, address hub, address machineHub);
    /// @notice The machine was retired.
    error MachineIsRetired(bytes32 machineId);
    /// @notice The machine does not hold `standard` at time `at`.
    error MachineNotQualified(bytes32 machineId, bytes32 standard, uint256 at);
    /// @notice The subject is neither a registered machine nor a registered hub.
    error UnknownQualificationSubject(bytes32 subject);
    /// @notice The standard code is zero.
    error ZeroStandard();
    /// @notice validFrom must be before validUntil.
    error InvalidValidity(uint40 validFrom, uint40 validUntil);
    /// @notice No qualification of `subject` to `standard`.
    error UnknownQualification(bytes32 subject, bytes32 standard);
    /// @notice The qualification is already revoked.
    error QualificationAlreadyRevoked(bytes32 subject, bytes32 standard);
    /// @notice Only the recording certifier or an admin may revoke a qualification.
    error NotQualificationAuthority(bytes32 subject, bytes32 standard, address caller);
    /// @notice Another certifier's record is still within its window (until `validUntil`).
    error QualificationHeldByOther(
        bytes32 subject, bytes32 standard, address certifier, uint40 validUntil
    );
    /// @notice `caller` does not own the design (owner per the design registry).
    error NotDesignOwner(bytes32 designId, address caller);
    /// @notice The design is not active (deprecated or recalled designs get no new licences).
    error DesignNotLicensable(bytes32 designId, uint8 status);
    /// @notice The design has been recalled: no new prints.
    error DesignUnderRecall(bytes32 designId);
    /// @notice maxPrints must be positive.
    error ZeroMaxPrints();
    /// @notice No licence with this id.
    error UnknownLicence(bytes32 licenceId);
    /// @notice `caller` is not the hub the licence was issued to.
    error NotLicensedHub(bytes32 licenceId, address caller);
    /// @notice The licence is suspended or revoked (or, for resume, not suspended).
    error LicenceNotActive(bytes32 licenceId, LicenceStatus status);
    /// @notice The licence is already revoked.
    error LicenceAlreadyRevoked(bytes32 licenceId);
    /// @notice The licence is not suspended.
    error LicenceNotSuspended(bytes32 licenceId, LicenceStatus status);
    /// @notice The licence's validity window has not started at `at`.
    error LicenceNotYetValid(bytes32 licenceId, uint40 validFrom, uint256 at);
    /// @notice The licence's validity window ended before `at`.
    error LicenceExpired(bytes32 licenceId, uint40 validUntil, uint256 at);
    /// @notice `requested` more prints would exceed `maxPrints` (`printed` so far).
    error LicenceExhausted(bytes32 licenceId, uint32 maxPrints, uint32 printed, uint256 requested);
    /// @notice An amendment may not shorten the validity window.
    error LicenceShortened(bytes32 licenceId, uint40 validUntil, uint40 newValidUntil);
    /// @notice The print count would overflow uint32.
    error PrintCountOverflow(bytes32 licenceId);
    /// @notice Anchored batches cannot check machines: licences that require a qualification
    /// must attest each print.
    error LicenceRequiresQualifiedMachine(bytes32 licenceId, bytes32 standard);
    /// @notice The serial is already used for this design.
    error SerialAlreadyUsed(bytes32 designId, bytes32 serial);
    /// @notice The signature deadline has passed.
    error SignatureExpired(uint256 deadline, uint256 at);
    /// @notice The signature is not the licensed hub's (EOA or EIP-1271).
    error InvalidSignature(address hub);
    /// @notice The batch is empty.
    error EmptyBatch();
    /// @notice The batch exceeds the size cap (SWC-128).
    error BatchTooLarge(uint256 size, uint256 max);
    /// @notice The prints, deadlines and signatures arrays differ in length.
    error BatchLengthMismatch(uint256 prints, uint256 deadlines, uint256 signatures);
    /// @notice The Merkle root is zero.
    error ZeroRoot();
    /// @notice The Merkle root was already anchored.
    error RootAlreadyAnchored(bytes32 root);
    /// @notice No print with this serial for this design.
    error UnknownPrint(bytes32 designId, bytes32 serial);
    /// @notice The supplied print fields do not match the stored commitment.
    error PrintRecordMismatch(bytes32 designId, bytes32 serial);
    /// @notice The print is already invalidated.
    error PrintAlreadyInvalidated(bytes32 designId, bytes32 serial);
    /// @notice The invalidation reason hash is zero.
    error ZeroReasonHash();
    /// @notice An anchor entry has a zero count.
    error ZeroCount(bytes32 licenceId);
    /// @notice The derived licence id is already taken (a 96-bit collision; pick another index).
    error LicenceIdTaken(bytes32 licenceId);
    /// @notice Only the licensed hub or the design owner (holding OEM_ROLE) may invalidate a print.
    error NotPrintAuthority(bytes32 licenceId, address caller);
    /// @notice The print has not been invalidated.
    error PrintNotInvalidated(bytes32 designId, bytes32 serial);
    /// @notice The print's copy was already given back.
    error PrintAlreadyRefunded(bytes32 designId, bytes32 serial);
    /// @notice The licence does not give copies back on invalidation.
    error RefundNotAllowed(bytes32 licenceId);
    /// @notice The batch document hash is zero (the document must be published).
    error ZeroDocumentHash();

    /// @notice Contract version string.
    function version() external pure returns (string memory);

    // ---- hubs, machines, qualifications ----

    /// @notice Register the caller (hub role) as a hub.
    /// @param name display name
    /// @param locode UN/LOCODE (5 ASCII characters)
    /// @param hpkePublicKey HPKE public key (32..1280 bytes; X25519 or hybrid ML-KEM-768+X25519)
    function registerHub(string calldata name, bytes5 locode, bytes calldata hpkePublicKey)
        external;

    /// @notice Change the caller hub's name and location code.
    function updateHubDetails(string calldata name, bytes5 locode) external;

    /// @notice Rotate the caller hub's HPKE public key.
    function rotateHubKey(bytes calldata hpkePublicKey) external;

    /// @notice Register a machine of the caller hub.
    /// @param machineHash keccak256(abi.encode(maker, model, serialNumber))
    /// @return machineId keccak256(abi.encode(hub, machineHash))
    function registerMachine(bytes32 machineHash) external returns (bytes32 machineId);

    /// @notice Retire one of the caller hub's machines (final).
    function retireMachine(bytes32 machineId) external;

    /// @notice Record or renew a qualification (certifier role). Renewing or changing a record is
    /// for its own certifier; another certifier may record only once the record's window ended.
    /// @param subject machine id, or `bytes32(uint256(uint160(hub)))` for a hub
    /// @param standard standard code, e.g. bytes32("ISO/ASTM 52920")
    function recordQualification(
        bytes32 subject,
        bytes32 standard,
        bytes32 certificateHash,
        uint40 validFrom,
        uint40 validUntil
    ) external;

    /// @notice Revoke a qualification (its certifier or an admin).
    function revokeQualification(bytes32 subject, bytes32 standard, bytes32 reasonHash) external;

    // ---- licences (design owner only) ----

    /// @notice Issue a licence for one design to one hub.
    /// @return licenceId see the id formats above
    function issueLicence(LicenceTerms calldata terms) external returns (bytes32 licenceId);

    /// @notice Add prints and/or extend the validity, and replace the terms hash.
    /// @param addPrints prints to add to maxPrints
    /// @param newValidUntil new end of validity (not earlier than the current one)
    /// @param newTermsHash hash of the amended terms document
    function amendLicence(
        bytes32 licenceId,
        uint32 addPrints,
        uint40 newValidUntil,
        bytes32 newTermsHash
    ) external;

    /// @notice Suspend an active licence.
    function suspendLicence(bytes32 licenceId, bytes32 reasonHash) external;

    /// @notice Resume a suspended licence.
    function resumeLicence(bytes32 licenceId) external;

    /// @notice Revoke a licence (final).
    function revokeLicence(bytes32 licenceId, bytes32 reasonHash) external;

    // ---- prints ----

    /// @notice Attest one print; the caller must be the licensed hub.
    /// @return printId keccak256(abi.encode(designId, serial))
    function attestPrint(Print calldata print) external returns (bytes32 printId);

    /// @notice Attest one print signed by the licensed hub (EIP-712 `AttestPrint`), from any relayer.
    /// A signature succeeds at most once: its serial is then used for the design.
    /// @param deadline last second the signature is valid
    /// @param signature the hub's signature (65-byte ECDSA or EIP-1271)
    function attestPrintBySig(Print calldata print, uint256 deadline, bytes calldata signature)
        external
        returns (bytes32 printId);

    /// @notice Attest up to MAX_BATCH_SIZE prints, all or nothing; the caller must be the hub of each.
    function attestBatch(Print[] calldata prints) external;

    /// @notice Attest up to MAX_BATCH_SIZE hub-signed prints from any relayer, all or nothing.
    /// Each print is checked exactly as by `attestPrintBySig` (its own deadline and signature;
    /// prints of several hubs may share a batch).
    function attestBatchBySig(
        Print[] calldata prints,
        uint256[] calldata deadlines,
        bytes[] calldata signatures
    ) external;

    /// @notice Like `attestBatchBySig`, but an item that would revert (already recorded, bad
    /// signature, exhausted licence...) is skipped and reported in `PrintSkipped`; the rest land.
    /// @return attested number of prints recorded
    function tryAttestBatchBySig(
        Print[] calldata prints,
        uint256[] calldata deadlines,
        bytes[] calldata signatures
    ) external returns (uint256 attested);

    /// @notice Anchor a Merkle root of prints, debiting per-licence counts (caller = hub).
    /// @param root RFC 9162 root over the batch's leaves, laid out entry by entry (see above)
    /// @param entries up to MAX_ANCHOR_ENTRIES licences and their counts, in leaf order
    /// @param documentHash SHA-256 of the published batch document (its blob id)
    function anchorBatch(bytes32 root, AnchorEntry[] calldata entries, bytes32 documentHash)
        external;

    /// @notice Invalidate a print (scrapped / failed QA); the licensed hub or the design owner.
    /// The copy goes back to a refunding licence only when the design owner invalidates.
    /// @param print the attested fields (checked against the stored commitment)
    /// @param reasonHash hash of the off-chain reason
    function invalidatePrint(Print calldata print, bytes32 reasonHash) external;

    /// @notice Give back the copy of a print the hub invalidated (design owner, refunding licence).
    function refundInvalidatedPrint(Print calldata print) external;

    /// @notice Cancel the caller's outstanding EIP-712 signatures by bumping its nonce.
    function cancelSignatures() external;

    // ---- wiring and emergency ----

    /// @notice Called by the design registry when a design is recalled.
    function recordDesignRecall(bytes32 designId) external;

    /// @notice Pause all writes (admin).
    function pause() external;

    /// @notice Resume writes (admin).
    function unpause() external;

    // ---- views ----

    /// @notice The design registry this ledger trusts for design ownership and status.
    function designRegistry() external view returns (address);

    /// @notice A hub's record.
    function hub(address account) external view returns (Hub memory);

    /// @notice A machine's record.
    function machine(bytes32 machineId) external view returns (Machine memory);

    /// @notice The qualification of `subject` to `standard`.
    function qualification(bytes32 subject, bytes32 standard)
        external
        view
        returns (Qualification memory);

    /// @notice Whether `subject` holds `standard` (recorded, not revoked, in window) at time `at`.
    function isQualified(bytes32 subject, bytes32 standard, uint256 at)
        external
        view
        returns (bool);

    /// @notice A licence's record (status None if unknown).
    function licence(bytes32 licenceId) external view returns (Licence memory);

    /// @notice Number of licences issued for a design (the next licence index).
    function licenceCount(bytes32 designId) external view returns (uint32);

    /// @notice Whether the registry reported the design as recalled.
    function isDesignRecalled(bytes32 designId) external view returns (bool);

    /// @notice The stored commitment of the print (zero if none).
    function printCommitment(bytes32 designId, bytes32 serial) external view returns (bytes32);

    /// @notice Whether the print exists, was invalidated, and whether its design is recalled.
    function printStatus(bytes32 designId, bytes32 serial)
        external
        view
        returns (bool attested, bool invalidated, bool recalled);

    /// @notice The invalidation reason hash (zero if not invalidated).
    function invalidationReason(bytes32 designId, bytes32 serial) external view returns (bytes32);

    /// @notice What an anchor stores (zero if `root` was never anchored):
    /// keccak256(abi.encode(uint40 anchoredAt, bytes32[] licenceIds, uint256[] counts)), one slot;
    /// the anchoring hub is the high 20 bytes of every licence id, the tree size sum(counts).
    function anchorCommitment(bytes32 root) external view returns (bytes32);

    /// @notice Whether the print's copy was given back to its licence.
    function isPrintRefunded(bytes32 designId, bytes32 serial) external view returns (bool);

    /// @notice Whether `print` fills a slot debited from its own licence in the anchored batch
    /// `root`: the entries match the anchor, `proof.leafIndex` lies in the range of the entry
    /// for `print.licenceId`, the machine was the anchoring hub's and in service when the batch
    /// was anchored, and the RFC 9162 path proves the leaf at that index. Serial uniqueness is
    /// not provable here (anchors do not store serials): auditors check it from the published
    /// batch documents and the attestation events.
    function verifyAnchoredPrint(bytes32 root, Print calldata print, AnchorProof calldata proof)
        external
        view
        returns (bool);

    /// @notice The current EIP-712 nonce of a hub (part of every `AttestPrint` signature).
    function nonces(address owner) external view returns (uint256);

    /// @notice The EIP-712 domain separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The EIP-712 digest a hub signs for `print`.
    function attestPrintDigest(Print calldata print, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);

    /// @notice Licence id for `(designId, hub, index)`.
    function computeLicenceId(bytes32 designId, address hubAccount, uint32 index)
        external
        pure
        returns (bytes32);

    /// @notice `keccak256(abi.encode(hub, machineHash))`.
    function computeMachineId(address hubAccount, bytes32 machineHash)
        external
        pure
        returns (bytes32);

    /// @notice `keccak256(abi.encode(designId, serial))`.
    function computePrintId(bytes32 designId, bytes32 serial) external pure returns (bytes32);

    /// @notice `keccak256(abi.encode(print))`, the stored commitment.
    function hashPrint(Print calldata print) external pure returns (bytes32);

    /// @notice The RFC 9162 leaf hash of `print`: keccak256(0x00 ++ abi.encode(print)).
    function printLeaf(Print calldata print) external pure returns (bytes32);
}
