"""Public product records: what a design's owner chose to disclose about the parts printed
from it (its GS1 GTIN, name, part number, revision, material, process, description).

A design's own metadata is encrypted (only its owner and licensed hubs read it); this record is
the one place product detail becomes public, and only because the owner declared it. A GTIN
names exactly one design, so ``/01/{gtin}/21/{serial}`` (GS1 Digital Link) resolves to it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from partledger.api.services.db import public_products
from partledger.api.services.errors import Conflict

__all__ = ["FIELDS", "ProductRecords", "product_records"]

FIELDS = ("gtin", "name", "part_number", "revision", "material", "process", "description")


class ProductRecords:
    """The ``public_products`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, design_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(public_products).where(public_products.c.design_id == design_id.lower())
            ).first()
        return None if row is None else dict(row._mapping)

    def by_gtin(self, gtin: str) -> dict[str, Any] | None:
        """The record naming this GTIN (14 digits), if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(public_products).where(public_products.c.gtin == gtin)
            ).first()
        return None if row is None else dict(row._mapping)

    def put(self, design_id: str, owner: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Replace the design's record (``Conflict`` if another design holds the GTIN)."""
        design_id = design_id.lower()
        values = {name: fields.get(name) for name in FIELDS}
        values.update(owner=owner, updated_at=int(time.time()))
        gtin = values["gtin"]
        try:
            with self.engine.begin() as conn:
                if gtin is not None:
                    other = conn.execute(
                        select(public_products.c.design_id).where(
                            and_(
                                public_products.c.gtin == gtin,
                                public_products.c.design_id != design_id,
                            )
                        )
                    ).first()
                    if other is not None:
                        raise _gtin_taken(gtin)
                done = conn.execute(
                    update(public_products)
                    .where(public_products.c.design_id == design_id)
                    .values(**values)
                )
                if done.rowcount == 0:
                    conn.execute(insert(public_products).values(design_id=design_id, **values))
        except IntegrityError:  # a concurrent claim of the same GTIN (or the same design)
            raise _gtin_taken(gtin) from None
        return {"design_id": design_id, **values}


def _gtin_taken(gtin: str | None) -> Conflict:
    return Conflict(f"GTIN {gtin} already names another design")


def product_records(state: Any, engine: Engine) -> ProductRecords:
    """The app's product records (``state``: ``app.state``), made on first use."""
    records: ProductRecords | None = getattr(state, "products", None)
    if records is None:
        records = state.products = ProductRecords(engine)
    return records
