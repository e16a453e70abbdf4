"""The OEM's public product record (``/v1/designs/{id}/public``) and the GS1 Digital Link route
(``/01/{gtin}/21/{serial}``) that serves a part's page, passport, bundle and QR under it."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import zxingcpp
from api.support import Service, both_engines
from eth_account.signers.local import LocalAccount
from PIL import Image

from helpers.world import METADATA, ONE_DAY, STANDARD
from partledger.passport import verify_bundle
from partledger.passport.credentials import open_envelope, untp_problems
from partledger.sdk import PrintInput, Role

GTIN = "4006381333931"  # a GTIN-13 with a right check digit
GTIN14 = "0" + GTIN
RECORD = {
    "gtin": GTIN, "name": "Hydraulic bracket", "part_number": "BR-2041", "revision": "C",
    "material": "Ti-6Al-4V", "process": "Laser powder bed fusion",
}  # fmt: skip


def _design(service: Service) -> str:
    world = service.world
    return world.oem.register_design(world.design_file(size=5_000), METADATA).design_id


def _print(service: Service, design_id: str, serial: str) -> None:
    world = service.world
    licence = world.oem.issue_licence(
        design_id, world.hub.address, max_prints=5, valid_until=world.now() + ONE_DAY,
        required_standard=STANDARD,
    ).licence_id  # fmt: skip
    world.hub.attest_print(PrintInput(licence, serial, world.machine, "LOT-1"))
    ctx = service.client.app.state.context  # type: ignore[attr-defined]
    ctx.audit.head = world.ledger.w3.eth.block_number


def _declare(service: Service, design_id: str, body: dict[str, Any]) -> Any:
    oem = service.headers(service.world.oem.account)
    return service.client.put(f"/v1/designs/{design_id}/public", headers=oem, json=body)


@both_engines
def test_the_owner_declares_the_public_record_and_anyone_reads_it(service: Service) -> None:
    design_id = _design(service)
    assert service.client.get(f"/v1/designs/{design_id}/public").status_code == 404
    response = _declare(service, design_id, RECORD)
    assert response.status_code == 200, response.text
    public = service.client.get(f"/v1/designs/{design_id}/public")
    assert public.status_code == 200
    record = public.json()
    assert record == {
        **RECORD, "gtin": GTIN14, "design_id": design_id.lower(), "description": None,
        "owner": service.world.oem.address, "updated_at": record["updated_at"],
    }  # fmt: skip
    replaced = _declare(service, design_id, {"name": "Bracket"})  # a PUT replaces the record
    assert replaced.json()["gtin"] is None


@both_engines
def test_only_the_designs_owning_oem_may_declare_it(
    service: Service, dev_accounts: list[LocalAccount]
) -> None:
    design_id = _design(service)
    path = f"/v1/designs/{design_id}/public"
    other_oem = dev_accounts[5]
    service.world.admin.grant(Role.OEM, other_oem.address)
    for headers, status in (
        ({}, 401),
        (service.headers(service.world.hub.account), 403),
        (service.headers(other_oem), 403),
    ):
        refused = service.client.put(path, headers=headers, json={"name": "Mine"})
        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert service.client.get(path).status_code == 404  # nothing was recorded
    unknown = _declare(service, "0x" + "ab" * 32, {"name": "Nobody's"})
    assert unknown.status_code == 404


@both_engines
def test_a_gtin_is_checked_and_names_one_design(service: Service) -> None:
    first, second = _design(service), _design(service)
    for bad in ("4006381333932", "123", "40063813339311", "400638133393A"):
        response = _declare(service, first, {"gtin": bad})
        assert response.status_code == 422, bad
        problem = response.json()
        assert any(e["loc"][-1] == "gtin" for e in problem["errors"]), problem
    assert _declare(service, first, {"gtin": "0" + GTIN}).status_code == 200
    taken = _declare(service, second, {"gtin": GTIN})
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    assert _declare(service, first, {"gtin": GTIN, "name": "Again"}).status_code == 200
    extra = _declare(service, second, {"colour": "red"})
    assert extra.status_code == 422


@both_engines
def test_the_gs1_link_serves_the_part_and_is_its_canonical_url(service: Service) -> None:
    design_id = _design(service)
    _print(service, design_id, "GS-1")
    assert _declare(service, design_id, RECORD).status_code == 200
    for gtin in (GTIN, GTIN14):  # any length form
        page = service.client.get(f"/01/{gtin}/21/GS-1", headers={"accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert "VERIFIED — genuine" in html and "Hydraulic bracket — part GS-1" in html
        for shown in ("BR-2041", "Ti-6Al-4V", "Laser powder bed fusion", GTIN14):
            assert shown in html, shown
        links = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert links and all(link.startswith(f"/01/{GTIN14}/21/GS-1") for link in links), links
    same = service.client.get(f"/p/{design_id}/GS-1", headers={"accept": "text/html"})
    assert same.text == page.text  # one implementation, one canonical URL
    credential = service.client.get(
        f"/01/{GTIN}/21/GS-1", headers={"accept": "application/vc+ld+json"}
    )
    assert credential.headers["content-type"].startswith("application/vc+ld+json")
    dpp, _ = open_envelope(credential.json())
    product = dpp["credentialSubject"]["product"]
    assert untp_problems(dpp, "dpp") == [] and product["serialNumber"] == "GS-1"
    assert product["name"] == "Hydraulic bracket"
    assert f"/01/{GTIN14}/21/GS-1" in json.dumps(dpp)
    bundle = service.client.get(f"/01/{GTIN}/21/GS-1/passport.json")
    assert bundle.status_code == 200 and "attachment" in bundle.headers["content-disposition"]
    node = lambda n: bytes(service.world.ledger.w3.eth.get_block(n)["hash"])  # noqa: E731
    assert verify_bundle(bundle.content, node=node, expect=(design_id, "GS-1")).ok
    for prefix in (f"/01/{GTIN}/21/GS-1", f"/p/{design_id}/GS-1"):
        png = service.client.get(f"{prefix}/qr.png")
        (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
        assert decoded.text == f"{_origin(service)}/01/{GTIN14}/21/GS-1"
        for suffix in ("qr.svg", "label.svg"):
            image = service.client.get(f"{prefix}/{suffix}")
            assert image.headers["content-type"] == "image/svg+xml" and b"<svg" in image.content


def test_a_serial_is_percent_decoded(service: Service) -> None:
    design_id = _design(service)
    _print(service, design_id, "A&B 7")
    assert _declare(service, design_id, {"gtin": GTIN}).status_code == 200
    page = service.client.get(f"/01/{GTIN}/21/A%26B%207", headers={"accept": "text/html"})
    # a space is not in GS1's character set: refused by the route, and the part keeps /p/
    assert page.status_code == 422
    assert service.client.get(f"/p/{design_id}/A%26B%207").status_code == 200
    png = service.client.get(f"/p/{design_id}/A%26B%207/qr.png")
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text.endswith(f"/p/{design_id.lower()}/A%26B%207")
    _print(service, design_id, "A&B-7")
    page = service.client.get(f"/01/{GTIN}/21/A%26B-7", headers={"accept": "text/html"})
    assert page.status_code == 200 and "A&amp;B-7" in page.text


def test_unknown_gtins_and_serials_get_not_found_pages(service: Service) -> None:
    design_id = _design(service)
    _print(service, design_id, "GS-2")
    assert _declare(service, design_id, {"gtin": GTIN}).status_code == 200
    fake = service.client.get(f"/01/{GTIN}/21/FAKE-1", headers={"accept": "text/html"})
    assert fake.status_code == 404 and "NOT FOUND ON THE LEDGER — NOT VERIFIED" in fake.text
    as_json = service.client.get(f"/01/{GTIN}/21/FAKE-1", headers={"accept": "application/json"})
    assert as_json.status_code == 404 and as_json.json()["title"] == "Not on the ledger"
    for gtin in ("96385074", "4006381333932"):  # valid but undeclared; wrong check digit
        page = service.client.get(f"/01/{gtin}/21/GS-2", headers={"accept": "text/html"})
        assert page.status_code == 404 and "No product is registered under GTIN" in page.text
        assert "NOT FOUND ON THE LEDGER" in page.text
        problem = service.client.get(f"/01/{gtin}/21/GS-2", headers={"accept": "application/json"})
        assert problem.status_code == 404
        assert problem.headers["content-type"] == "application/problem+json"
        assert "no product is registered under GTIN" in problem.json()["detail"]
        for suffix in ("passport.json", "qr.png", "qr.svg", "label.svg"):
            assert service.client.get(f"/01/{gtin}/21/GS-2/{suffix}").status_code == 404
    assert service.client.get(f"/01/{GTIN}/21/{'X' * 21}").status_code == 422


def _origin(service: Service) -> str:
    settings = service.client.app.state.context.settings  # type: ignore[attr-defined]
    return settings.api_origin or f"http://{settings.api_host}:{settings.api_port}"
