// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title PartLedger design registry
/// @notice Records certified design files by hash: who registered a content hash first (priority),
/// the revision chain, deprecation, recall and two-step ownership transfer.
/// @dev Registration is commit-reveal (SWC-114): an OEM first commits
/// `keccak256(abi.encode(oem, contentHash, salt))`, then reveals in a later block. Design ids are
/// owner-bound: `designId = keccak256(abi.encode(registrant, contentHash))`.
interface IDesignRegistry {
    /// @notice Lifecycle of a design. Status only moves forward.
    enum DesignStatus {
        None,
        Active,
        Deprecated,
        Recalled
    }

    /// @notice What the registry stores per design.
    /// @param owner current owner (changes by two-step transfer)
    /// @param registeredAt block timestamp of the registration
    /// @param status lifecycle status
    /// @param contentHash SHA-256 of the plaintext design file
    /// @param containerHash SHA-256 of the encrypted container
    /// @param metadataHash hash of the off-chain metadata document (part number, revision, ...)
    /// @param revises the design this one revises, or zero
    /// @param root the first design of the revision chain (itself for an original design)
    struct Design {
        address owner;
        uint40 registeredAt;
        DesignStatus status;
        bytes32 contentHash;
        bytes32 containerHash;
        bytes32 metadataHash;
        bytes32 revises;
        bytes32 root;
    }

    /// @notice An OEM committed to a future registration.
    event DesignCommitted(address indexed committer, bytes32 indexed commitment);
    /// @notice A design was registered; `revises` is zero for an original design.
    event DesignRegistered(
        bytes32 indexed designId,
        address indexed owner,
        bytes32 indexed contentHash,
        bytes32 containerHash,
        bytes32 metadataHash,
        bytes32 revises
    );
    /// @notice The owner deprecated a design: no new licences.
    event DesignDeprecated(bytes32 indexed designId, address indexed owner);
    /// @notice The owner recalled a design: no new licences, no new prints.
    event DesignRecalled(bytes32 indexed designId, address indexed owner, bytes32 reasonHash);
    /// @notice The owner offered the design to `newOwner` (zero cancels a pending offer).
    event DesignOwnershipTransferStarted(
        bytes32 indexed designId, address indexed previousOwner, address indexed newOwner
    );
    /// @notice The pending owner accepted the design.
    event DesignOwnershipTransferred(
        bytes32 indexed designId, address indexed previousOwner, address indexed newOwner
    );
    /// @notice The print ledger that learns about recalls was set (once).
    event PrintLedgerSet(address indexed printLedger);

    /// @notice No commitment by `committer` exists for `commitment`.
    error CommitmentNotFound(address committer, bytes32 commitment);
    /// @notice The commitment was made in this block; reveal in a later one.
    error CommitmentTooRecent(bytes32 commitment, uint256 committedAtBlock);
    /// @notice The commitment already exists for this committer.
    error CommitmentAlreadyMade(address committer, bytes32 commitment);
    /// @notice The content hash is already registered (the first registration holds priority).
    error ContentAlreadyRegistered(bytes32 contentHash, bytes32 designId);
    /// @notice A hash argument that must be non-zero was zero.
    error ZeroHash();
    /// @notice No design with this id.
    error UnknownDesign(bytes32 designId);
    /// @notice `caller` does not own the design.
    error NotDesignOwner(bytes32 designId, address caller);
    /// @notice The design already has a revision; revise the latest one.
    error DesignAlreadyRevised(bytes32 designId, bytes32 revision);
    /// @notice The design is not in a status that allows the operation.
    error DesignStatusForbids(bytes32 designId, DesignStatus status);
    /// @notice `caller` is not the pending owner of the design.
    error NotPendingOwner(bytes32 designId, address caller);
    /// @notice The print ledger is already set.
    error PrintLedgerAlreadySet(address printLedger);
    /// @notice Only the deployer or an admin may wire the print ledger.
    error NotWiringAuthority(address caller);
    /// @notice An address argument was zero.
    error ZeroAddress();

    /// @notice Contract version string.
    function version() external pure returns (string memory);

    /// @notice Commit to registering a design later (OEM role).
    /// @param commitment `keccak256(abi.encode(msg.sender, contentHash, salt))`
    function commitDesign(bytes32 commitment) external;

    /// @notice Reveal a commitment made in an earlier block and register the design (OEM role).
    /// @param contentHash SHA-256 of the plaintext design file (unique across the ledger)
    /// @param containerHash SHA-256 of the encrypted container
    /// @param metadataHash hash of the metadata document
    /// @param revises the design this one revises (must be owned by the caller and be the latest
    /// revision of its chain), or zero
    /// @param salt the salt used in the commitment
    /// @return designId `keccak256(abi.encode(msg.sender, contentHash))`
    function registerDesign(
        bytes32 contentHash,
        bytes32 containerHash,
        bytes32 metadataHash,
        bytes32 revises,
        bytes32 salt
    ) external returns (bytes32 designId);

    /// @notice Deprecate an active design: existing licences keep working, no new ones.
    function deprecateDesign(bytes32 designId) external;

    /// @notice Recall a design: no new licences and no new prints; printed parts show as recalled.
    /// @param reasonHash hash of the off-chain recall notice
    function recallDesign(bytes32 designId, bytes32 reasonHash) external;

    /// @notice Offer the design to `newOwner` (OEM); zero cancels the pending offer.
    function transferDesignOwnership(bytes32 designId, address newOwner) external;

    /// @notice Accept a pending ownership offer (caller must hold the OEM role).
    function acceptDesignOwnership(bytes32 designId) external;

    /// @notice Wire the print ledger that is told about recalls; once, by deployer or admin.
    function setPrintLedger(address newPrintLedger) external;

    /// @notice Pause all writes (admin).
    function pause() external;

    /// @notice Resume writes (admin).
    function unpause() external;

    /// @notice The stored design record (all zero for an unknown id).
    function design(bytes32 designId) external view returns (Design memory);

    /// @notice Current owner of a design (zero if unknown).
    function ownerOf(bytes32 designId) external view returns (address);

    /// @notice Status of a design (None if unknown).
    function statusOf(bytes32 designId) external view returns (DesignStatus);

    /// @notice The design registered for a content hash, or zero.
    function designIdOfContent(bytes32 contentHash) external view returns (bytes32);

    /// @notice The design `designId` revises, or zero.
    function revisionOf(bytes32 designId) external view returns (bytes32);

    /// @notice The revision of `designId`, or zero if it is the latest.
    function nextRevisionOf(bytes32 designId) external view returns (bytes32);

    /// @notice The latest revision of the chain `designId` belongs to (zero if unknown).
    function latestRevision(bytes32 designId) external view returns (bytes32);

    /// @notice Pending owner of a design, or zero.
    function pendingOwnerOf(bytes32 designId) external view returns (address);

    /// @notice Block number of `committer`'s commitment, or zero.
    function commitmentBlock(address committer, bytes32 commitment)
        external
        view
        returns (uint256);

    /// @notice The print ledger told about recalls, or zero.
    function printLedger() external view returns (address);

    /// @notice `keccak256(abi.encode(owner, contentHash))`.
    function computeDesignId(address owner, bytes32 contentHash) external pure returns (bytes32);

    /// @notice `keccak256(abi.encode(committer, contentHash, salt))`.
    function computeCommitment(address committer, bytes32 contentHash, bytes32 salt)
        external
        pure
        returns (bytes32);
}
