"""``partledger design publish|public`` (OEM) and ``partledger audit sign-in`` (auditor).

Both live on a service: the public product record is what the service's part pages show, and
the auditor pages are the service's. They need ``--service URL`` (or
``PARTLEDGER_SERVICE_URL``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from partledger.cli.audit import audit_app
from partledger.cli.common import EXIT_REFUSED, EXIT_USAGE, Output, fail, load_identity, show_fields
from partledger.cli.design import DesignId, design_app
from partledger.cli.remote import SERVICE_ENV, service_client, service_url
from partledger.sdk.remote import ServiceError

Text = Annotated[str | None, typer.Option(metavar="TEXT")]


def _service(what: str) -> str:
    url = service_url()
    if url is None:
        fail(f"{what} lives on a PartLedger service: name it with --service URL or "
             f"{SERVICE_ENV}", EXIT_USAGE, "start one with `partledger serve`")  # fmt: skip
    return url


def _show_record(record: dict[str, Any]) -> None:
    names = ("gtin", "name", "part_number", "revision", "material", "process", "description")
    Output.show(record, lambda: show_fields(
        f"public product record of design {record['design_id']}",
        [(n.replace("_", " "), record.get(n) or "-") for n in names]
        + [("owner", record["owner"])],
    ))  # fmt: skip


@design_app.command("publish")
def publish(
    design_id: DesignId,
    identity: Annotated[str, typer.Option("--as", metavar="NAME", help="The owning OEM.")],
    gtin: Annotated[
        str | None,
        typer.Option(
            metavar="GTIN",
            help="GS1 GTIN (8-14 digits, check digit verified): "
            "each part's URL becomes /01/{gtin}/21/{serial}.",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="Product name.")] = None,
    part_number: Annotated[str | None, typer.Option(metavar="TEXT", help="Part number.")] = None,
    revision: Annotated[str | None, typer.Option(metavar="TEXT", help="Revision.")] = None,
    material: Annotated[str | None, typer.Option(metavar="TEXT", help="Material.")] = None,
    process: Annotated[str | None, typer.Option(metavar="TEXT", help="Process.")] = None,
    description: Annotated[str | None, typer.Option(metavar="TEXT", help="Description.")] = None,
) -> None:
    """Declare what the part pages show about a design's parts (replaces the whole record;
    the design's own metadata stays encrypted)."""
    url = _service("the public product record")
    fields = {
        "gtin": gtin, "name": name, "part_number": part_number, "revision": revision,
        "material": material, "process": process, "description": description,
    }  # fmt: skip
    with service_client(url, load_identity(identity)) as client:
        record = client.put_public_product(design_id, fields)
    _show_record(record)


@design_app.command("public")
def public(design_id: DesignId) -> None:
    """A design's public product record, as the service shows it (no identity needed)."""
    url = _service("the public product record")
    with service_client(url, None) as client:
        try:
            record = client.public_product(design_id)
        except ServiceError as exc:
            if exc.status == 404:
                fail(f"design {design_id} has no public product record on {url}", EXIT_REFUSED,
                     "its owner publishes one with `partledger design publish`")  # fmt: skip
            raise
    _show_record(record)


@audit_app.command("sign-in")
def sign_in(
    identity: Annotated[str, typer.Option("--as", metavar="NAME", help="Who signs in.")],
) -> None:
    """Print a single-use link (valid two minutes) that signs a browser in to the service's
    auditor pages (prints, licence usage, qualifications)."""
    url = _service("the auditor pages")
    with service_client(url, load_identity(identity)) as client:
        ticket = client.browser_ticket()
    title = "open this link in your browser (single use, 2 minutes)"
    Output.show(ticket, lambda: show_fields(title, [("link", ticket["sign_in_url"])]))
