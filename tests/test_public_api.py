"""Every package's public API is what its ``__all__`` says, and every name resolves."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import partledger

PACKAGES = sorted(
    name
    for _, name, is_pkg in pkgutil.walk_packages(partledger.__path__, "partledger.")
    if is_pkg and importlib.import_module(name).__dict__.get("__all__") is not None
)


@pytest.mark.parametrize("package", ["partledger", *PACKAGES])
def test_every_name_in_all_resolves(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_chain_package_exposes_the_foundation() -> None:
    import partledger.chain as chain

    for name in ("LocalChain", "deploy", "load_artifact", "connect", "TxSender"):
        assert name in chain.__all__


def test_errors_share_one_root() -> None:
    import partledger.chain as chain

    for name in chain.__all__:
        obj = getattr(chain, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, partledger.PartLedgerError), name
