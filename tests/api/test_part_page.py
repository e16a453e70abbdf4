"""The part's public page, passport credential, bundle, QR and label over HTTP."""

from __future__ import annotations

import io
import json
import re

import zxingcpp
from api.support import Service
from PIL import Image
from sdk.test_footprint_claims import SingaporeHub, air_baseline, singapore
from sdk.test_footprint_claims import sg as sg

from helpers.world import METADATA, ONE_DAY, STANDARD
from partledger.passport import verify_bundle
from partledger.passport.credentials import open_envelope, untp_problems
from partledger.sdk import PrintInput


def _printed(service: Service, serial: str) -> str:
    world = service.world
    design = world.oem.register_design(world.design_file(size=5_000), METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=5, valid_until=world.now() + ONE_DAY,
        required_standard=STANDARD,
    ).licence_id  # fmt: skip
    world.hub.attest_print(PrintInput(licence, serial, world.machine, "LOT-1"))
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.audit.head = world.ledger.w3.eth.block_number
    return design.design_id


def test_the_page_shows_the_verified_part_and_every_check(service: Service) -> None:
    design_id = _printed(service, "PG-1")
    page = service.client.get(f"/p/{design_id}/PG-1", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "VERIFIED — genuine" in html and "ISO/ASTM 52920" in html
    assert 'data-claim="machine.qualification"' in html and "✗ Fail" not in html
    assert re.findall(r'(?:src|href)="(?!/p/)', html) == []  # every link and asset is local
    credential = service.client.get(
        f"/p/{design_id}/PG-1", headers={"accept": "application/vc+ld+json"}
    )
    assert credential.headers["content-type"].startswith("application/vc+ld+json")
    dpp, _ = open_envelope(credential.json())
    assert (
        untp_problems(dpp, "dpp") == []
        and dpp["credentialSubject"]["product"]["serialNumber"] == "PG-1"
    )
    bundle = service.client.get(f"/p/{design_id}/PG-1/passport.json")
    assert "attachment" in bundle.headers["content-disposition"]
    node = lambda n: bytes(service.world.ledger.w3.eth.get_block(n)["hash"])  # noqa: E731
    assert verify_bundle(bundle.content, node=node, expect=(design_id, "PG-1")).ok
    png = service.client.get(f"/p/{design_id}/PG-1/qr.png")
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text.endswith(f"/p/{design_id.lower()}/PG-1")
    for suffix in ("qr.svg", "label.svg"):
        image = service.client.get(f"/p/{design_id}/PG-1/{suffix}")
        assert image.headers["content-type"] == "image/svg+xml" and b"<svg" in image.content


def test_a_counterfeit_serial_gets_a_not_found_page_not_an_error(service: Service) -> None:
    design_id = _printed(service, "PG-2")
    page = service.client.get(f"/p/{design_id}/FAKE-1", headers={"accept": "text/html"})
    assert page.status_code == 404 and "NOT FOUND ON THE LEDGER — NOT VERIFIED" in page.text
    as_json = service.client.get(f"/p/{design_id}/FAKE-1", headers={"accept": "application/json"})
    assert as_json.status_code == 404 and json.loads(as_json.text)["title"] == "Not on the ledger"
    assert service.client.get(f"/p/{design_id}/FAKE-1/qr.png").status_code == 404


def test_a_recalled_part_is_impossible_to_miss(service: Service) -> None:
    design_id = _printed(service, "PG-3")
    service.world.oem.recall(design_id, b"crack risk")
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.audit.head = service.world.ledger.w3.eth.block_number
    page = service.client.get(f"/p/{design_id}/PG-3", headers={"accept": "text/html"})
    assert 'class="banner recalled"' in page.text and "RECALLED — do not use this part" in page.text


def test_a_part_with_a_footprint_shows_it_and_its_passport_carries_the_scorecard(
    service: Service, sg: SingaporeHub
) -> None:
    world = service.world
    design = world.oem.register_design(world.design_file(size=4_000), METADATA).design_id
    declared = world.oem.declare_baseline(design, air_baseline(design))
    licence = world.oem.issue_licence(
        design, sg.hub.address, max_prints=2, valid_until=world.now() + ONE_DAY,
        terms={"carbon_baseline": declared.blob_id},
    ).licence_id  # fmt: skip
    carbon = sg.hub.print_footprint(licence, singapore())
    sg.hub.attest_print(PrintInput(licence, "CO2-PAGE", sg.machine, "LOT-1", None, carbon))
    page = service.client.get(f"/p/{design}/CO2-PAGE", headers={"accept": "text/html"}).text
    fp = carbon.footprint
    assert "Logistics carbon" in page and "VERIFIED" in page
    assert f'avoided <strong id="carbon-avoided">{fp.avoided_kg_co2e:.2f} kg CO2e' in page
    assert "DEFRA → SGCHG (air), 2.5 kg" in page
    for name in ("carbon.footprint", "carbon.baseline"):
        assert f'data-claim="{name}"><span class="pass">' in page
    credential = service.client.get(
        f"/p/{design}/CO2-PAGE", headers={"accept": "application/vc+ld+json"}
    ).json()
    card = open_envelope(credential)[0]["credentialSubject"]["emissionsScorecard"]
    assert card["carbonFootprint"] == round(fp.actual_kg_co2e, 6)
