// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IDesignRegistry} from "./interfaces/IDesignRegistry.sol";
import {IPrintLedger} from "./interfaces/IPrintLedger.sol";

/// @title DesignRegistry
/// @notice Designs of PartLedger: priority by content hash, revisions, deprecation, recall and
/// two-step ownership transfer. Recalls are forwarded to the print ledger.
contract DesignRegistry is IDesignRegistry, AccessControl, Pausable {
    /// @notice Role of OEMs (register designs, receive ownership).
    bytes32 public constant OEM_ROLE = keccak256("OEM_ROLE");

    /// @notice Blocks that must pass between commit and reveal.
    uint256 public constant MIN_COMMITMENT_AGE = 1;

    address private immutable _deployer;
    address private _printLedger;

    mapping(bytes32 designId => Design) private _designs;
    mapping(bytes32 contentHash => bytes32 designId) private _designByContent;
    mapping(bytes32 designId => bytes32 revision) private _nextRevision;
    mapping(bytes32 rootId => bytes32 latest) private _latestOfChain;
    mapping(bytes32 designId => address pendingOwner) private _pendingOwner;
    mapping(address committer => mapping(bytes32 commitment => uint256 blockNumber))
        private _commitments;

    /// @param admin receives DEFAULT_ADMIN_ROLE
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _deployer = msg.sender;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IDesignRegistry
    function version() external pure returns (string memory) {
        return "1.1.0";
    }

    /// @inheritdoc IDesignRegistry
    function commitDesign(bytes32 commitment) external whenNotPaused onlyRole(OEM_ROLE) {
        if (commitment == bytes32(0)) revert ZeroHash();
        if (_commitments[msg.sender][commitment] != 0) {
            revert CommitmentAlreadyMade(msg.sender, commitment);
        }
        _commitments[msg.sender][commitment] = block.number;
        emit DesignCommitted(msg.sender, commitment);
    }

    /// @inheritdoc IDesignRegistry
    function registerDesign(
        bytes32 contentHash,
        bytes32 containerHash,
        bytes32 metadataHash,
        bytes32 revises,
        bytes32 salt
    ) external whenNotPaused onlyRole(OEM_ROLE) returns (bytes32 designId) {
        if (contentHash == bytes32(0) || containerHash == bytes32(0) || metadataHash == bytes32(0))
        {
            revert ZeroHash();
        }
        bytes32 commitment = computeCommitment(msg.sender, contentHash, salt);
        uint256 committedAt = _commitments[msg.sender][commitment];
        if (committedAt == 0) revert CommitmentNotFound(msg.sender, commitment);
        if (block.number < committedAt + MIN_COMMITMENT_AGE) {
            revert CommitmentTooRecent(commitment, committedAt);
        }
        bytes32 existing = _designByContent[contentHash];
        if (existing != bytes32(0)) revert ContentAlreadyRegistered(contentHash, existing);
        delete _commitments[msg.sender][commitment];

        designId = computeDesignId(msg.sender, contentHash);
        bytes32 root = designId;
        if (revises != bytes32(0)) {
            Design storage previous = _designs[revises];
            if (previous.status == DesignStatus.None) revert UnknownDesign(revises);
            if (previous.owner != msg.sender) revert NotDesignOwner(revises, msg.sender);
            bytes32 next = _nextRevision[revises];
            if (next != bytes32(0)) revert DesignAlreadyRevised(revises, next);
            _nextRevision[revises] = designId;
            root = previous.root;
        }
        _latestOfChain[root] = designId;
        _designByContent[contentHash] = designId;
        _designs[designId] = Design({
            owner: msg.sender,
            registeredAt: uint40(block.timestamp),
            status: DesignStatus.Active,
            contentHash: contentHash,
            containerHash: containerHash,
            metadataHash: metadataHash,
            revises: revises,
            root: root
        });
        emit DesignRegistered(designId, msg.sender, contentHash, containerHash, metadataHash, revises);
    }

    /// @inheritdoc IDesignRegistry
    function deprecateDesign(bytes32 designId) external whenNotPaused {
        Design storage d = _ownedDesign(designId);
        if (d.status != DesignStatus.Active) revert DesignStatusForbids(designId, d.status);
        d.status = DesignStatus.Deprecated;
        emit DesignDeprecated(designId, msg.sender);
    }

    /// @inheritdoc IDesignRegistry
    function recallDesign(bytes32 designId, bytes32 reasonHash) external whenNotPaused {
        Design storage d = _ownedDesign(designId);
        if (d.status == DesignStatus.Recalled) revert DesignStatusForbids(designId, d.status);
        d.status = DesignStatus.Recalled;
        emit DesignRecalled(designId, msg.sender, reasonHash);
        address ledger = _printLedger;
        if (ledger != address(0)) IPrintLedger(ledger).recordDesignRecall(designId);
    }

    /// @inheritdoc IDesignRegistry
    function transferDesignOwnership(bytes32 designId, address newOwner) external whenNotPaused {
        _ownedDesign(designId);
        _pendingOwner[designId] = newOwner;
        emit DesignOwnershipTransferStarted(designId, msg.sender, newOwner);
    }

    /// @inheritdoc IDesignRegistry
    function acceptDesignOwnership(bytes32 designId) external whenNotPaused onlyRole(OEM_ROLE) {
        if (_pendingOwner[designId] != msg.sender || msg.sender == address(0)) {
            revert NotPendingOwner(designId, msg.sender);
        }
        Design storage d = _designs[designId];
        address previousOwner = d.owner;
        d.owner = msg.sender;
        delete _pendingOwner[designId];
        emit DesignOwnershipTransferred(designId, previousOwner, msg.sender);
    }

    /// @inheritdoc IDesignRegistry
    function setPrintLedger(address newPrintLedger) external {
        if (msg.sender != _deployer && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert NotWiringAuthority(msg.sender);
        }
        if (_printLedger != address(0)) revert PrintLedgerAlreadySet(_printLedger);
        if (newPrintLedger == address(0)) revert ZeroAddress();
        _printLedger = newPrintLedger;
        emit PrintLedgerSet(newPrintLedger);
    }

    /// @inheritdoc IDesignRegistry
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @inheritdoc IDesignRegistry
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @inheritdoc IDesignRegistry
    function design(bytes32 designId) external view returns (Design memory) {
        return _designs[designId];
    }

    /// @inheritdoc IDesignRegistry
    function ownerOf(bytes32 designId) external view returns (address) {
        return _designs[designId].owner;
    }

    /// @inheritdoc IDesignRegistry
    function statusOf(bytes32 designId) external view returns (DesignStatus) {
        return _designs[designId].status;
    }

    /// @inheritdoc IDesignRegistry
    function designIdOfContent(bytes32 contentHash) external view returns (bytes32) {
        return _designByContent[contentHash];
    }

    /// @inheritdoc IDesignRegistry
    function revisionOf(bytes32 designId) external view returns (bytes32) {
        return _designs[designId].revises;
    }

    /// @inheritdoc IDesignRegistry
    function nextRevisionOf(bytes32 designId) external view returns (bytes32) {
        return _nextRevision[designId];
    }

    /// @inheritdoc IDesignRegistry
    function latestRevision(bytes32 designId) external view returns (bytes32) {
        return _latestOfChain[_designs[designId].root];
    }

    /// @inheritdoc IDesignRegistry
    function pendingOwnerOf(bytes32 designId) external view returns (address) {
        return _pendingOwner[designId];
    }

    /// @inheritdoc IDesignRegistry
    function commitmentBlock(address committer, bytes32 commitment)
        external
        view
        returns (uint256)
    {
        return _commitments[committer][commitment];
    }

    /// @inheritdoc IDesignRegistry
    function printLedger() external view returns (address) {
        return _printLedger;
    }

    /// @inheritdoc IDesignRegistry
    function computeDesignId(address owner, bytes32 contentHash) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, contentHash));
    }

    /// @inheritdoc IDesignRegistry
    function computeCommitment(address committer, bytes32 contentHash, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(committer, contentHash, salt));
    }

    /// @dev Owner-only functions need the owner to hold OEM_ROLE at call time: revoking an OEM's
    /// role freezes the management of its designs (transfer, deprecate, recall, licences).
    function _ownedDesign(bytes32 designId) private view returns (Design storage d) {
        d = _designs[designId];
        if (d.status == DesignStatus.None) revert UnknownDesign(designId);
        if (d.owner != msg.sender) revert NotDesignOwner(designId, msg.sender);
        _checkRole(OEM_ROLE, msg.sender);
    }
}
