// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IDesignRegistry} from "./interfaces/IDesignRegistry.sol";
import {IPrintLedger} from "./interfaces/IPrintLedger.sol";

/// @title PrintLedger
/// @notice Hubs, machines, qualifications, licences and print attestations of PartLedger.
/// @dev Everything `attestPrint` checks is stored here (no external call on the hot path); the
/// design registry pushes recalls in through `recordDesignRecall`.
contract PrintLedger is IPrintLedger, AccessControl, Pausable, EIP712, Nonces {
    /// @notice Role of print hubs.
    bytes32 public constant HUB_ROLE = keccak256("HUB_ROLE");
    /// @notice Role of certifiers (record and revoke qualifications).
    bytes32 public constant CERTIFIER_ROLE = keccak256("CERTIFIER_ROLE");
    /// @notice OEM role as defined by the design registry.
    bytes32 public constant OEM_ROLE = keccak256("OEM_ROLE");
    /// @notice EIP-712 type of a relayed attestation.
    bytes32 public constant ATTEST_PRINT_TYPEHASH = keccak256(
        "AttestPrint(bytes32 licenceId,bytes32 serial,bytes32 machineId,bytes32 materialLotHash,"
        "bytes32 qualityReportHash,uint256 nonce,uint256 deadline)"
    );
    /// @notice Most prints in one `attestBatch` (SWC-128: ~30k gas each, far below a block).
    uint256 public constant MAX_BATCH_SIZE = 100;
    /// @notice Most licence entries in one `anchorBatch`.
    uint256 public constant MAX_ANCHOR_ENTRIES = 64;
    /// @notice Longest accepted HPKE public key: hybrid ML-KEM-768+X25519 (1,216 bytes)
    /// with PartLedger's suite tag fits with room to spare.
    uint256 public constant MAX_HPKE_KEY_LENGTH = 1280;

    struct DesignState {
        bool recalled;
        uint32 licenceCount;
    }

    /// @dev Everything the print paths check and update, in one slot. `recallEpoch` is the value
    /// of `_recallEpoch` when the design was last seen not recalled: while it still equals
    /// `_recallEpoch` no design has been recalled since, so the design's slot need not be read.
    struct LicenceState {
        uint32 maxPrints;
        uint32 printed;
        uint40 validFrom;
        uint40 validUntil;
        LicenceStatus status;
        bool refundOnInvalidate;
        bool qualificationRequired;
        uint32 recallEpoch;
    }

    /// @dev The rest of a licence: read on the print path only for `designId` (and the standard
    /// when one is required).
    struct LicenceInfo {
        bytes32 designId;
        bytes32 requiredStandard;
        bytes32 termsHash;
        bytes32 wrappedKeyHash;
    }

    IDesignRegistry private immutable _registry;

    mapping(address account => Hub) private _hubs;
    mapping(bytes32 machineId => Machine) private _machines;
    mapping(bytes32 subject => mapping(bytes32 standard => Qualification)) private _qualifications;
    mapping(bytes32 designId => DesignState) private _designStates;
    mapping(bytes32 licenceId => LicenceState) private _licenceStates;
    mapping(bytes32 licenceId => LicenceInfo) private _licenceInfos;
    mapping(bytes32 printId => bytes32 commitment) private _prints;
    mapping(bytes32 printId => bytes32 reasonHash) private _invalidations;
    mapping(bytes32 printId => bool) private _refunds;
    mapping(bytes32 root => bytes32 commitment) private _anchors;
    uint32 private _recallEpoch;

    /// @param admin receives DEFAULT_ADMIN_ROLE
    /// @param registry the design registry (ownership and status of designs)
    constructor(address admin, IDesignRegistry registry) EIP712("PartLedger", "1") {
        if (admin == address(0) || address(registry) == address(0)) revert ZeroAddress();
        _registry = registry;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IPrintLedger
    function version() external pure returns (string memory) {
        return "2.0.0";
    }

    // ---------------------------------------------------------------- hubs, machines, qualifications

    /// @inheritdoc IPrintLedger
    function registerHub(string calldata name, bytes5 locode, bytes calldata hpkePublicKey)
        external
        whenNotPaused
        onlyRole(HUB_ROLE)
    {
        Hub storage h = _hubs[msg.sender];
        if (h.registered) revert HubAlreadyRegistered(msg.sender);
        _checkHpkeKey(hpkePublicKey);
        h.registered = true;
        h.locode = locode;
        h.keyVersion = 1;
        h.name = name;
        h.hpkePublicKey = hpkePublicKey;
        emit HubRegistered(msg.sender, name, locode, hpkePublicKey);
    }

    /// @inheritdoc IPrintLedger
    function updateHubDetails(string calldata name, bytes5 locode) external whenNotPaused {
        Hub storage h = _registeredHub(msg.sender);
        h.name = name;
        h.locode = locode;
        emit HubDetailsUpdated(msg.sender, name, locode);
    }

    /// @inheritdoc IPrintLedger
    function rotateHubKey(bytes calldata hpkePublicKey) external whenNotPaused {
        Hub storage h = _registeredHub(msg.sender);
        _checkHpkeKey(hpkePublicKey);
        uint32 keyVersion = h.keyVersion + 1;
        h.keyVersion = keyVersion;
        h.hpkePublicKey = hpkePublicKey;
        emit HubKeyRotated(msg.sender, keyVersion, hpkePublicKey);
    }

    /// @inheritdoc IPrintLedger
    function registerMachine(bytes32 machineHash)
        external
        whenNotPaused
        onlyRole(HUB_ROLE)
        returns (bytes32 machineId)
    {
        _registeredHub(msg.sender);
        machineId = computeMachineId(msg.sender, machineHash);
        Machine storage m = _machines[machineId];
        if (m.hub != address(0)) revert MachineAlreadyRegistered(machineId);
        m.hub = msg.sender;
        m.registeredAt = uint40(block.timestamp);
        m.machineHash = machineHash;
        emit MachineRegistered(machineId, msg.sender, machineHash);
    }

    /// @inheritdoc IPrintLedger
    function retireMachine(bytes32 machineId) external whenNotPaused {
        Machine storage m = _machines[machineId];
        if (m.hub == address(0)) revert UnknownMachine(machineId);
        if (m.hub != msg.sender) revert MachineNotOfHub(machineId, msg.sender, m.hub);
        if (m.retired) revert MachineIsRetired(machineId);
        m.retired = true;
        m.retiredAt = uint40(block.timestamp);
        emit MachineRetired(machineId, msg.sender);
    }

    /// @inheritdoc IPrintLedger
    function recordQualification(
        bytes32 subject,
        bytes32 standard,
        bytes32 certificateHash,
        uint40 validFrom,
        uint40 validUntil
    ) external whenNotPaused onlyRole(CERTIFIER_ROLE) {
        if (_machines[subject].hub == address(0) && !_isRegisteredHubSubject(subject)) {
            revert UnknownQualificationSubject(subject);
        }
        if (standard == bytes32(0)) revert ZeroStandard();
        if (validFrom >= validUntil) revert InvalidValidity(validFrom, validUntil);
        Qualification storage current = _qualifications[subject][standard];
        address holder = current.certifier;
        if (holder != address(0) && holder != msg.sender && block.timestamp <= current.validUntil) {
            revert QualificationHeldByOther(subject, standard, holder, current.validUntil);
        }
        _qualifications[subject][standard] = Qualification({
            certifier: msg.sender,
            validFrom: validFrom,
            validUntil: validUntil,
            revoked: false,
            certificateHash: certificateHash
        });
        emit QualificationRecorded(
            subject, standard, msg.sender, certificateHash, validFrom, validUntil
        );
    }

    /// @inheritdoc IPrintLedger
    function revokeQualification(bytes32 subject, bytes32 standard, bytes32 reasonHash)
        external
        whenNotPaused
    {
        Qualification storage q = _qualifications[subject][standard];
        if (q.certifier == address(0)) revert UnknownQualification(subject, standard);
        if (q.certifier != msg.sender && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert NotQualificationAuthority(subject, standard, msg.sender);
        }
        if (q.revoked) revert QualificationAlreadyRevoked(subject, standard);
        q.revoked = true;
        emit QualificationRevoked(subject, standard, msg.sender, reasonHash);
    }

    // ---------------------------------------------------------------- licences

    /// @inheritdoc IPrintLedger
    function issueLicence(LicenceTerms calldata terms)
        external
        whenNotPaused
        returns (bytes32 licenceId)
    {
        bytes32 designId = terms.designId;
        IDesignRegistry.Design memory d = _registry.design(designId);
        _requireOem(designId, d.owner);
        if (d.status != IDesignRegistry.DesignStatus.Active) {
            revert DesignNotLicensable(designId, uint8(d.status));
        }
        if (!_hubs[terms.hub].registered) revert UnknownHub(terms.hub);
        if (terms.maxPrints == 0) revert ZeroMaxPrints();
        if (terms.validFrom >= terms.validUntil) {
            revert InvalidValidity(terms.validFrom, terms.validUntil);
        }
        uint32 index = _designStates[designId].licenceCount++;
        licenceId = computeLicenceId(designId, terms.hub, index);
        if (_licenceStates[licenceId].status != LicenceStatus.None) {
            revert LicenceIdTaken(licenceId);
        }
        _licenceStates[licenceId] = LicenceState({
            maxPrints: terms.maxPrints,
            printed: 0,
            validFrom: terms.validFrom,
            validUntil: terms.validUntil,
            status: LicenceStatus.Active,
            refundOnInvalidate: terms.refundOnInvalidate,
            qualificationRequired: terms.requiredStandard != bytes32(0),
            recallEpoch: _designStates[designId].recalled ? type(uint32).max : _recallEpoch
        });
        _licenceInfos[licenceId] = LicenceInfo({
            designId: designId,
            requiredStandard: terms.requiredStandard,
            termsHash: terms.termsHash,
            wrappedKeyHash: terms.wrappedKeyHash
        });
        emit LicenceIssued(licenceId, designId, terms.hub, index, terms);
    }

    /// @inheritdoc IPrintLedger
    function amendLicence(
        bytes32 licenceId,
        uint32 addPrints,
        uint40 newValidUntil,
        bytes32 newTermsHash
    ) external whenNotPaused {
        (LicenceState storage l, bytes32 designId) = _ownedLicence(licenceId);
        if (l.status == LicenceStatus.Revoked) revert LicenceAlreadyRevoked(licenceId);
        if (newValidUntil < l.validUntil) {
            revert LicenceShortened(licenceId, l.validUntil, newValidUntil);
        }
        uint256 newMax = uint256(l.maxPrints) + addPrints;
        if (newMax > type(uint32).max) revert PrintCountOverflow(licenceId);
        l.maxPrints = uint32(newMax);
        l.validUntil = newValidUntil;
        _licenceInfos[licenceId].termsHash = newTermsHash;
        emit LicenceAmended(
            licenceId, designId, _hubOf(licenceId), uint32(newMax), newValidUntil, newTermsHash
        );
    }

    /// @inheritdoc IPrintLedger
    function suspendLicence(bytes32 licenceId, bytes32 reasonHash) external whenNotPaused {
        (LicenceState storage l, bytes32 designId) = _ownedLicence(licenceId);
        if (l.status != LicenceStatus.Active) revert LicenceNotActive(licenceId, l.status);
        l.status = LicenceStatus.Suspended;
        emit LicenceSuspended(licenceId, designId, _hubOf(licenceId), reasonHash);
    }

    /// @inheritdoc IPrintLedger
    function resumeLicence(bytes32 licenceId) external whenNotPaused {
        (LicenceState storage l, bytes32 designId) = _ownedLicence(licenceId);
        if (l.status != LicenceStatus.Suspended) revert LicenceNotSuspended(licenceId, l.status);
        l.status = LicenceStatus.Active;
        emit LicenceResumed(licenceId, designId, _hubOf(licenceId));
    }

    /// @inheritdoc IPrintLedger
    function revokeLicence(bytes32 licenceId, bytes32 reasonHash) external whenNotPaused {
        (LicenceState storage l, bytes32 designId) = _ownedLicence(licenceId);
        if (l.status == LicenceStatus.Revoked) revert LicenceAlreadyRevoked(licenceId);
        l.status = LicenceStatus.Revoked;
        emit LicenceRevoked(licenceId, designId, _hubOf(licenceId), reasonHash);
    }

    // ---------------------------------------------------------------- prints

    /// @inheritdoc IPrintLedger
    function attestPrint(Print calldata print) external whenNotPaused returns (bytes32 printId) {
        return _attest(print, msg.sender);
    }

    /// @inheritdoc IPrintLedger
    function attestPrintBySig(Print calldata print, uint256 deadline, bytes calldata signature)
        external
        whenNotPaused
        returns (bytes32 printId)
    {
        return _attestBySig(print, deadline, signature);
    }

    /// @inheritdoc IPrintLedger
    function attestBatchBySig(
        Print[] calldata prints,
        uint256[] calldata deadlines,
        bytes[] calldata signatures
    ) external whenNotPaused {
        uint256 n = _requireSignedBatch(prints.length, deadlines.length, signatures.length);
        for (uint256 i; i < n; ++i) {
            _attestBySig(prints[i], deadlines[i], signatures[i]);
        }
    }

    /// @inheritdoc IPrintLedger
    function tryAttestBatchBySig(
        Print[] calldata prints,
        uint256[] calldata deadlines,
        bytes[] calldata signatures
    ) external whenNotPaused returns (uint256 attested) {
        uint256 n = _requireSignedBatch(prints.length, deadlines.length, signatures.length);
        for (uint256 i; i < n; ++i) {
            Print calldata print = prints[i];
            // An external self-call is the only way to catch a revert of the whole rule set; the
            // callee is this contract, so the call in a loop and the event after it are safe.
            // (The print id it returns is recomputable: computePrintId.)
            // slither-disable-next-line calls-loop,reentrancy-events,unused-return
            try this.attestPrintBySig(print, deadlines[i], signatures[i]) returns (bytes32) {
                ++attested;
            } catch (bytes memory reason) {
                emit PrintSkipped(print.licenceId, print.serial, i, reason);
            }
        }
    }

    /// @inheritdoc IPrintLedger
    function attestBatch(Print[] calldata prints) external whenNotPaused {
        uint256 n = prints.length;
        if (n == 0) revert EmptyBatch();
        if (n > MAX_BATCH_SIZE) revert BatchTooLarge(n, MAX_BATCH_SIZE);
        for (uint256 i; i < n; ++i) {
            _attest(prints[i], msg.sender);
        }
    }

    /// @inheritdoc IPrintLedger
    function anchorBatch(bytes32 root, AnchorEntry[] calldata entries, bytes32 documentHash)
        external
        whenNotPaused
    {
        if (root == bytes32(0)) revert ZeroRoot();
        if (documentHash == bytes32(0)) revert ZeroDocumentHash();
        uint256 n = entries.length;
        if (n == 0) revert EmptyBatch();
        if (n > MAX_ANCHOR_ENTRIES) revert BatchTooLarge(n, MAX_ANCHOR_ENTRIES);
        _checkRole(HUB_ROLE, msg.sender);
        if (_anchors[root] != bytes32(0)) revert RootAlreadyAnchored(root);
        bytes32[] memory licenceIds = new bytes32[](n);
        uint256[] memory counts = new uint256[](n);
        uint256 total = 0;
        uint32 epoch = _recallEpoch;
        for (uint256 i; i < n; ++i) {
            AnchorEntry calldata e = entries[i];
            bytes32 licenceId = computeLicenceId(e.designId, msg.sender, e.licenceIndex);
            uint32 count = e.count;
            if (count == 0) revert ZeroCount(licenceId);
            LicenceState memory s = _licenceStates[licenceId];
            _requireUsable(s, licenceId, count);
            if (s.qualificationRequired) {
                revert LicenceRequiresQualifiedMachine(
                    licenceId, _licenceInfos[licenceId].requiredStandard
                );
            }
            _debit(licenceId, s, e.designId, count, epoch);
            licenceIds[i] = licenceId;
            counts[i] = count;
            total += count;
        }
        _anchors[root] = keccak256(abi.encode(uint40(block.timestamp), licenceIds, counts));
        emit BatchAnchored(root, msg.sender, total, licenceIds, counts, documentHash);
    }

    /// @inheritdoc IPrintLedger
    function invalidatePrint(Print calldata print, bytes32 reasonHash) external whenNotPaused {
        if (reasonHash == bytes32(0)) revert ZeroReasonHash();
        bytes32 licenceId = print.licenceId;
        LicenceState storage l = _licenceStates[licenceId];
        if (l.status == LicenceStatus.None) revert UnknownLicence(licenceId);
        bytes32 designId = _licenceInfos[licenceId].designId;
        bool byOwner = msg.sender != _hubOf(licenceId);
        if (byOwner) {
            address owner = _registry.ownerOf(designId);
            if (msg.sender != owner) revert NotPrintAuthority(licenceId, msg.sender);
            _requireOem(designId, owner);
        }
        bytes32 printId = _attestedPrint(print, designId);
        if (_invalidations[printId] != bytes32(0)) {
            revert PrintAlreadyInvalidated(designId, print.serial);
        }
        _invalidations[printId] = reasonHash;
        // A copy comes back only on the design owner's word, never on the hub's alone.
        bool refunded = byOwner && l.refundOnInvalidate;
        if (refunded) {
            _refunds[printId] = true;
            l.printed -= 1;
        }
        emit PrintInvalidated(licenceId, designId, print.serial, msg.sender, reasonHash, refunded);
    }

    /// @inheritdoc IPrintLedger
    function refundInvalidatedPrint(Print calldata print) external whenNotPaused {
        bytes32 licenceId = print.licenceId;
        (LicenceState storage l, bytes32 designId) = _ownedLicence(licenceId);
        bytes32 printId = _attestedPrint(print, designId);
        if (_invalidations[printId] == bytes32(0)) revert PrintNotInvalidated(designId, print.serial);
        if (_refunds[printId]) revert PrintAlreadyRefunded(designId, print.serial);
        if (!l.refundOnInvalidate) revert RefundNotAllowed(licenceId);
        _refunds[printId] = true;
        l.printed -= 1;
        emit PrintRefunded(licenceId, designId, print.serial, msg.sender);
    }

    /// @inheritdoc IPrintLedger
    function cancelSignatures() external whenNotPaused {
        uint256 used = _useNonce(msg.sender);
        emit SignaturesCancelled(msg.sender, used + 1);
    }

    // ---------------------------------------------------------------- wiring and emergency

    /// @inheritdoc IPrintLedger
    function recordDesignRecall(bytes32 designId) external {
        if (msg.sender != address(_registry)) revert NotRegistry(msg.sender);
        _designStates[designId].recalled = true;
        ++_recallEpoch;
        emit DesignRecallRecorded(designId);
    }

    /// @inheritdoc IPrintLedger
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @inheritdoc IPrintLedger
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IPrintLedger
    function designRegistry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IPrintLedger
    function hub(address account) external view returns (Hub memory) {
        return _hubs[account];
    }

    /// @inheritdoc IPrintLedger
    function machine(bytes32 machineId) external view returns (Machine memory) {
        return _machines[machineId];
    }

    /// @inheritdoc IPrintLedger
    function qualification(bytes32 subject, bytes32 standard)
        external
        view
        returns (Qualification memory)
    {
        return _qualifications[subject][standard];
    }

    /// @inheritdoc IPrintLedger
    function isQualified(bytes32 subject, bytes32 standard, uint256 at)
        external
        view
        returns (bool)
    {
        return _isQualified(subject, standard, at);
    }

    /// @inheritdoc IPrintLedger
    function licence(bytes32 licenceId) external view returns (Licence memory) {
        LicenceState storage s = _licenceStates[licenceId];
        LicenceInfo storage info = _licenceInfos[licenceId];
        return Licence({
            designId: info.designId,
            maxPrints: s.maxPrints,
            printed: s.printed,
            validFrom: s.validFrom,
            validUntil: s.validUntil,
            status: s.status,
            refundOnInvalidate: s.refundOnInvalidate,
            qualificationRequired: s.qualificationRequired,
            requiredStandard: info.requiredStandard,
            termsHash: info.termsHash,
            wrappedKeyHash: info.wrappedKeyHash
        });
    }

    /// @inheritdoc IPrintLedger
    function licenceCount(bytes32 designId) external view returns (uint32) {
        return _designStates[designId].licenceCount;
    }

    /// @inheritdoc IPrintLedger
    function isDesignRecalled(bytes32 designId) external view returns (bool) {
        return _designStates[designId].recalled;
    }

    /// @inheritdoc IPrintLedger
    function printCommitment(bytes32 designId, bytes32 serial) external view returns (bytes32) {
        return _prints[computePrintId(designId, serial)];
    }

    /// @inheritdoc IPrintLedger
    function printStatus(bytes32 designId, bytes32 serial)
        external
        view
        returns (bool attested, bool invalidated, bool recalled)
    {
        bytes32 printId = computePrintId(designId, serial);
        attested = _prints[printId] != bytes32(0);
        invalidated = _invalidations[printId] != bytes32(0);
        recalled = attested && _designStates[designId].recalled;
    }

    /// @inheritdoc IPrintLedger
    function invalidationReason(bytes32 designId, bytes32 serial) external view returns (bytes32) {
        return _invalidations[computePrintId(designId, serial)];
    }

    /// @inheritdoc IPrintLedger
    function isPrintRefunded(bytes32 designId, bytes32 serial) external view returns (bool) {
        return _refunds[computePrintId(designId, serial)];
    }

    /// @inheritdoc IPrintLedger
    function anchorCommitment(bytes32 root) external view returns (bytes32) {
        return _anchors[root];
    }

    /// @inheritdoc IPrintLedger
    function verifyAnchoredPrint(bytes32 root, Print calldata print, AnchorProof calldata proof)
        external
        view
        returns (bool)
    {
        uint40 at = proof.anchoredAt;
        // An unanchored root stores zero, which no keccak256 output equals.
        if (keccak256(abi.encode(at, proof.licenceIds, proof.counts)) != _anchors[root]) {
            return false;
        }
        (bytes32 slotLicence, uint256 size) =
            _slotLicence(proof.licenceIds, proof.counts, proof.leafIndex);
        if (slotLicence != print.licenceId) return false;
        Machine storage m = _machines[print.machineId];
        if (m.hub != _hubOf(slotLicence) || m.registeredAt > at || (m.retired && m.retiredAt <= at))
        {
            return false;
        }
        return _verifyInclusion(printLeaf(print), proof.leafIndex, size, proof.path, root);
    }

    /// @inheritdoc IPrintLedger
    function nonces(address owner) public view override(IPrintLedger, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc IPrintLedger
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IPrintLedger
    function attestPrintDigest(Print calldata print, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32)
    {
        return _attestPrintDigest(print, nonce, deadline);
    }

    /// @inheritdoc IPrintLedger
    function computeLicenceId(bytes32 designId, address hubAccount, uint32 index)
        public
        pure
        returns (bytes32)
    {
        uint256 digest = uint256(keccak256(abi.encode(designId, hubAccount, index)));
        return bytes32((uint256(uint160(hubAccount)) << 96) | uint96(digest));
    }

    /// @inheritdoc IPrintLedger
    function computeMachineId(address hubAccount, bytes32 machineHash)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(hubAccount, machineHash));
    }

    /// @inheritdoc IPrintLedger
    function computePrintId(bytes32 designId, bytes32 serial) public pure returns (bytes32) {
        return keccak256(abi.encode(designId, serial));
    }

    /// @inheritdoc IPrintLedger
    function hashPrint(Print calldata print) public pure returns (bytes32) {
        return keccak256(abi.encode(print));
    }

    /// @inheritdoc IPrintLedger
    function printLeaf(Print calldata print) public pure returns (bytes32) {
        return keccak256(bytes.concat(bytes1(0x00), abi.encode(print)));
    }

    // ---------------------------------------------------------------- internals

    /// @dev Checks the hub's EIP-712 signature (EOA or EIP-1271), then attests as that hub.
    function _attestBySig(Print calldata print, uint256 deadline, bytes calldata signature)
        private
        returns (bytes32 printId)
    {
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
        address hub_ = _hubOf(print.licenceId);
        bytes32 digest = _attestPrintDigest(print, nonces(hub_), deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(hub_, digest, signature)) {
            revert InvalidSignature(hub_);
        }
        return _attest(print, hub_);
    }

    /// @dev Reverts unless a signed batch is non-empty, within the cap and of equal lengths.
    function _requireSignedBatch(uint256 n, uint256 deadlines, uint256 signatures)
        private
        pure
        returns (uint256)
    {
        if (n == 0) revert EmptyBatch();
        if (n > MAX_BATCH_SIZE) revert BatchTooLarge(n, MAX_BATCH_SIZE);
        if (deadlines != n || signatures != n) revert BatchLengthMismatch(n, deadlines, signatures);
        return n;
    }

    /// @dev The stored print id of `print` (reverts unless it is attested with exactly these fields).
    function _attestedPrint(Print calldata print, bytes32 designId)
        private
        view
        returns (bytes32 printId)
    {
        printId = computePrintId(designId, print.serial);
        bytes32 stored = _prints[printId];
        if (stored == bytes32(0)) revert UnknownPrint(designId, print.serial);
        if (stored != hashPrint(print)) revert PrintRecordMismatch(designId, print.serial);
    }

    /// @dev The licence owning leaf `index` of an anchor (entry i owns `counts[i]` consecutive
    /// leaves, in order; zero past the last entry) and the tree size, sum(counts).
    function _slotLicence(
        bytes32[] calldata licenceIds,
        uint256[] calldata counts,
        uint256 index
    ) private pure returns (bytes32 slotLicence, uint256 size) {
        uint256 n = counts.length;
        if (licenceIds.length != n) return (bytes32(0), 0);
        for (uint256 i; i < n; ++i) {
            uint256 end = size + counts[i];
            if (slotLicence == bytes32(0) && index < end) slotLicence = licenceIds[i];
            size = end;
        }
    }

    /// @dev RFC 9162 section 2.1.3.2: whether `path` proves `leaf` at `index` in a tree of `size`
    /// leaves with root `root` (node = keccak256(0x01 ++ left ++ right)).
    function _verifyInclusion(
        bytes32 leaf,
        uint256 index,
        uint256 size,
        bytes32[] calldata path,
        bytes32 root
    ) private pure returns (bool) {
        if (index >= size) return false;
        uint256 fn = index;
        uint256 sn = size - 1;
        bytes32 r = leaf;
        for (uint256 i; i < path.length; ++i) {
            if (sn == 0) return false;
            if (fn & 1 == 1 || fn == sn) {
                r = keccak256(abi.encodePacked(bytes1(0x01), path[i], r));
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = keccak256(abi.encodePacked(bytes1(0x01), r, path[i]));
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == root;
    }

    /// @dev Checks every rule and records one print attested by `hub_` (caller or signer).
    function _attest(Print calldata print, address hub_) private returns (bytes32 printId) {
        bytes32 licenceId = print.licenceId;
        LicenceState memory s = _licenceStates[licenceId];
        if (_hubOf(licenceId) != hub_) {
            if (s.status == LicenceStatus.None) revert UnknownLicence(licenceId);
            revert NotLicensedHub(licenceId, hub_);
        }
        _requireUsable(s, licenceId, 1);
        _checkRole(HUB_ROLE, hub_);
        LicenceInfo storage info = _licenceInfos[licenceId];
        bytes32 designId = info.designId;
        _debit(licenceId, s, designId, 1, _recallEpoch);
        _requireMachine(
            print.machineId, hub_, s.qualificationRequired ? info.requiredStandard : bytes32(0)
        );
        printId = _recordPrint(print, designId);
    }

    /// @dev Reverts unless the machine is the hub's, not retired, and holds `standard` (if set).
    function _requireMachine(bytes32 machineId, address hub_, bytes32 standard) private view {
        Machine storage m = _machines[machineId];
        address machineHub = m.hub;
        if (machineHub != hub_) {
            if (machineHub == address(0)) revert UnknownMachine(machineId);
            revert MachineNotOfHub(machineId, hub_, machineHub);
        }
        if (m.retired) revert MachineIsRetired(machineId);
        if (standard != bytes32(0) && !_isQualified(machineId, standard, block.timestamp)) {
            revert MachineNotQualified(machineId, standard, block.timestamp);
        }
    }

    /// @dev Stores the print's commitment under (design, serial), once, and emits the event.
    function _recordPrint(Print calldata print, bytes32 designId) private returns (bytes32 printId) {
        bytes32 serial = print.serial;
        printId = computePrintId(designId, serial);
        if (_prints[printId] != bytes32(0)) revert SerialAlreadyUsed(designId, serial);
        _prints[printId] = hashPrint(print);
        emit PrintAttested(
            print.licenceId,
            designId,
            serial,
            print.machineId,
            print.materialLotHash,
            print.qualityReportHash
        );
    }

    /// @dev Reverts unless the licence is active, in its window and has `count` prints left.
    function _requireUsable(LicenceState memory l, bytes32 licenceId, uint256 count)
        private
        view
    {
        LicenceStatus status = l.status;
        if (status != LicenceStatus.Active) {
            if (status == LicenceStatus.None) revert UnknownLicence(licenceId);
            revert LicenceNotActive(licenceId, status);
        }
        if (block.timestamp < l.validFrom) {
            revert LicenceNotYetValid(licenceId, l.validFrom, block.timestamp);
        }
        if (block.timestamp > l.validUntil) {
            revert LicenceExpired(licenceId, l.validUntil, block.timestamp);
        }
        uint32 printed = l.printed;
        if (printed + count > l.maxPrints) {
            revert LicenceExhausted(licenceId, l.maxPrints, printed, count);
        }
    }

    /// @dev Adds `count` prints to the licence after checking the design is not recalled (its slot
    /// is read only if a recall happened since the licence last checked).
    function _debit(
        bytes32 licenceId,
        LicenceState memory s,
        bytes32 designId,
        uint32 count,
        uint32 epoch
    ) private {
        LicenceState storage st = _licenceStates[licenceId];
        if (s.recallEpoch != epoch) {
            if (_designStates[designId].recalled) revert DesignUnderRecall(designId);
            st.recallEpoch = epoch;
        }
        st.printed = s.printed + count;
    }

    function _isQualified(bytes32 subject, bytes32 standard, uint256 at)
        private
        view
        returns (bool)
    {
        Qualification storage q = _qualifications[subject][standard];
        return q.certifier != address(0) && !q.revoked && at >= q.validFrom
            && at <= q.validUntil;
    }

    function _attestPrintDigest(Print calldata print, uint256 nonce, uint256 deadline)
        private
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ATTEST_PRINT_TYPEHASH,
                    print.licenceId,
                    print.serial,
                    print.machineId,
                    print.materialLotHash,
                    print.qualityReportHash,
                    nonce,
                    deadline
                )
            )
        );
    }

    function _ownedLicence(bytes32 licenceId)
        private
        view
        returns (LicenceState storage l, bytes32 designId)
    {
        l = _licenceStates[licenceId];
        if (l.status == LicenceStatus.None) revert UnknownLicence(licenceId);
        designId = _licenceInfos[licenceId].designId;
        _requireOem(designId, _registry.ownerOf(designId));
    }

    function _requireOem(bytes32 designId, address owner) private view {
        if (owner != msg.sender) revert NotDesignOwner(designId, msg.sender);
        if (!IAccessControl(address(_registry)).hasRole(OEM_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, OEM_ROLE);
        }
    }

    function _registeredHub(address account) private view returns (Hub storage h) {
        h = _hubs[account];
        if (!h.registered) revert UnknownHub(account);
    }

    function _isRegisteredHubSubject(bytes32 subject) private view returns (bool) {
        return uint256(subject) >> 160 == 0 && _hubs[address(uint160(uint256(subject)))].registered;
    }

    function _checkHpkeKey(bytes calldata key) private pure {
        if (key.length < 32 || key.length > MAX_HPKE_KEY_LENGTH) revert InvalidHpkeKey(key.length);
    }

    function _hubOf(bytes32 licenceId) private pure returns (address) {
        return address(uint160(uint256(licenceId) >> 96));
    }
}
