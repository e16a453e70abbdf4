"""What ``partledger deploy`` deploys, in order, and the calls that wire it up.

The deployer (``partledger.chain.deployer``) walks ``PLAN``: a ``ContractStep``
deploys an artifact and records its address under ``name``; a ``CallStep``
sends one transaction to an already deployed contract of the plan. Argument
callables receive a ``PlanContext`` so later steps can use earlier addresses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlanContext:
    """What argument callables may use: the deployer, the admin, addresses so far."""

    deployer: str
    admin: str
    addresses: Mapping[str, str]


def _no_args(_: PlanContext) -> Sequence[Any]:
    return ()


@dataclass(frozen=True)
class ContractStep:
    """Deploy artifact ``name`` with the given constructor arguments."""

    name: str
    constructor_args: Callable[[PlanContext], Sequence[Any]] = field(default=_no_args)


@dataclass(frozen=True)
class CallStep:
    """Call ``function(*args)`` on the deployed plan contract ``contract``."""

    contract: str
    function: str
    args: Callable[[PlanContext], Sequence[Any]] = field(default=_no_args)


PLAN: tuple[ContractStep | CallStep, ...] = (
    ContractStep("DesignRegistry", lambda ctx: (ctx.admin,)),
    ContractStep("PrintLedger", lambda ctx: (ctx.admin, ctx.addresses["DesignRegistry"])),
    # Set once; allowed to the registry's deployer or an admin. Recalls are forwarded to it.
    CallStep("DesignRegistry", "setPrintLedger", lambda ctx: (ctx.addresses["PrintLedger"],)),
)
