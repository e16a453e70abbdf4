"""Python exceptions for the ledger contracts' custom errors (and OpenZeppelin's).

Each class is named exactly like its Solidity error, so a revert decodes into
it with the error's arguments in ``.arguments``. Four families say what kind of
refusal it is and inherit the matching built-in exception.
"""

from __future__ import annotations

from partledger.chain.reverts import ContractRevert


class LedgerRefused(ContractRevert, PermissionError):
    """The caller may not do this now (role, ownership, licence rules, pause)."""


class LedgerNotFound(ContractRevert, LookupError):
    """An id the call names does not exist on the ledger."""


class LedgerConflict(ContractRevert, ValueError):
    """The call would repeat something that may happen only once."""


class LedgerInvalidInput(ContractRevert, ValueError):
    """An argument is malformed or out of range."""


# -- refusals ----------------------------------------------------------------------------
class AccessControlUnauthorizedAccount(LedgerRefused):
    """The account lacks the role the function needs."""


class EnforcedPause(LedgerRefused):
    """Writes are paused by the admin."""


class ExpectedPause(LedgerRefused):
    """The ledger is not paused."""


class AccessControlBadConfirmation(LedgerRefused):
    """renounceRole must be confirmed by the renouncing account itself."""


class NotDesignOwner(LedgerRefused):
    """The caller does not own the design."""


class NotPendingOwner(LedgerRefused):
    """The caller is not the design's pending owner."""


class NotWiringAuthority(LedgerRefused):
    """Only the deployer or an admin may wire the contracts."""


class NotRegistry(LedgerRefused):
    """Only the design registry may call this."""


class NotQualificationAuthority(LedgerRefused):
    """Only the recording certifier or an admin may revoke the qualification."""


class NotLicensedHub(LedgerRefused):
    """The caller is not the hub the licence was issued to."""


class NotPrintAuthority(LedgerRefused):
    """Only the licensed hub or the design owner may invalidate the print."""


class QualificationHeldByOther(LedgerRefused):
    """Another certifier's qualification record is still within its window."""


class RefundNotAllowed(LedgerRefused):
    """The licence does not give copies back on invalidation."""


class InvalidSignature(LedgerRefused):
    """The signature is not the licensed hub's."""


class SignatureExpired(LedgerRefused):
    """The signature's deadline has passed."""


class DesignStatusForbids(LedgerRefused):
    """The design's status does not allow the operation."""


class DesignNotLicensable(LedgerRefused):
    """Deprecated or recalled designs get no new licences."""


class DesignUnderRecall(LedgerRefused):
    """The design is recalled: no new prints."""


class LicenceNotActive(LedgerRefused):
    """The licence is suspended or revoked."""


class LicenceNotSuspended(LedgerRefused):
    """Only a suspended licence can be resumed."""


class LicenceNotYetValid(LedgerRefused):
    """The licence's validity window has not started."""


class LicenceExpired(LedgerRefused):
    """The licence's validity window has ended."""


class LicenceExhausted(LedgerRefused):
    """The licence has no prints left for this request."""


class LicenceRequiresQualifiedMachine(LedgerRefused):
    """Licences requiring a qualification cannot be used in Merkle-anchored batches."""


class MachineNotOfHub(LedgerRefused):
    """The machine belongs to another hub."""


class MachineIsRetired(LedgerRefused):
    """The machine was retired."""


class MachineNotQualified(LedgerRefused):
    """The machine lacks the required qualification at print time."""


# -- unknown ids -------------------------------------------------------------------------
class UnknownDesign(LedgerNotFound):
    """No design with this id."""


class UnknownHub(LedgerNotFound):
    """The hub is not registered."""


class UnknownMachine(LedgerNotFound):
    """No machine with this id."""


class UnknownQualification(LedgerNotFound):
    """No such qualification."""


class UnknownQualificationSubject(LedgerNotFound):
    """The subject is neither a registered machine nor a registered hub."""


class UnknownLicence(LedgerNotFound):
    """No licence with this id."""


class UnknownPrint(LedgerNotFound):
    """No print with this serial for this design."""


class CommitmentNotFound(LedgerNotFound):
    """No such registration commitment by this account."""


# -- conflicts ---------------------------------------------------------------------------
class ContentAlreadyRegistered(LedgerConflict):
    """The content hash is registered already (the first registration holds priority)."""


class CommitmentAlreadyMade(LedgerConflict):
    """This commitment exists already."""


class CommitmentTooRecent(LedgerConflict):
    """Reveal the commitment in a later block."""


class DesignAlreadyRevised(LedgerConflict):
    """The design has a revision already; revise the latest one."""


class HubAlreadyRegistered(LedgerConflict):
    """The hub is registered already."""


class MachineAlreadyRegistered(LedgerConflict):
    """The machine is registered already."""


class QualificationAlreadyRevoked(LedgerConflict):
    """The qualification is revoked already."""


class LicenceAlreadyRevoked(LedgerConflict):
    """The licence is revoked already."""


class SerialAlreadyUsed(LedgerConflict):
    """The serial is used already for this design."""


class RootAlreadyAnchored(LedgerConflict):
    """The Merkle root is anchored already."""


class PrintAlreadyInvalidated(LedgerConflict):
    """The print is invalidated already."""


class PrintNotInvalidated(LedgerConflict):
    """Only an invalidated print's copy can be given back."""


class PrintAlreadyRefunded(LedgerConflict):
    """The print's copy was given back already."""


class InvalidAccountNonce(LedgerConflict):
    """The nonce was used already (or is not the current one)."""


class LicenceIdTaken(LedgerConflict):
    """A licence with this id exists already."""


class PrintLedgerAlreadySet(LedgerConflict):
    """The print ledger is wired already."""


# -- invalid input -----------------------------------------------------------------------
class ZeroHash(LedgerInvalidInput):
    """A hash that must be non-zero was zero."""


class ZeroAddress(LedgerInvalidInput):
    """An address that must be non-zero was zero."""


class ZeroStandard(LedgerInvalidInput):
    """The standard code is zero."""


class ZeroMaxPrints(LedgerInvalidInput):
    """maxPrints must be positive."""


class ZeroRoot(LedgerInvalidInput):
    """The Merkle root is zero."""


class ZeroDocumentHash(LedgerInvalidInput):
    """The batch document hash is zero."""


class InvalidHpkeKey(LedgerInvalidInput):
    """The HPKE public key has an invalid length."""


class InvalidValidity(LedgerInvalidInput):
    """validFrom must be before validUntil."""


class LicenceShortened(LedgerInvalidInput):
    """An amendment may not shorten the validity window."""


class PrintCountOverflow(LedgerInvalidInput):
    """The print count would overflow."""


class EmptyBatch(LedgerInvalidInput):
    """The batch is empty."""


class BatchTooLarge(LedgerInvalidInput):
    """The batch exceeds the size cap."""


class BatchLengthMismatch(LedgerInvalidInput):
    """The prints, deadlines and signatures of a batch differ in length."""


class PrintRecordMismatch(LedgerInvalidInput):
    """The print fields do not match the stored commitment."""


class ZeroCount(LedgerInvalidInput):
    """An anchored batch entry must count at least one print."""


class ZeroReasonHash(LedgerInvalidInput):
    """A reason hash is required."""


class InvalidShortString(LedgerInvalidInput):
    """A short string is malformed."""


class StringTooLong(LedgerInvalidInput):
    """A string argument is too long."""
