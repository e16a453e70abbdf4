"""The part's page in a real browser: Debian's chromium driven by Playwright, no download.

The service runs under uvicorn on loopback over the session's anvil; the browser scans the
QR code (decoded from the label PNG), lands on the page, reads every check, downloads the proof
bundle, and sees a recalled part's banner and a counterfeit's "not on the ledger" page. Every
request the page makes must stay on loopback.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser.chromium import CHROMIUM, FLAGS, needs_chromium, playwright_api

from helpers.world import METADATA, ONE_DAY, STANDARD, World
from partledger.passport import verify_bundle
from partledger.sdk import PrintInput

zxingcpp = pytest.importorskip("zxingcpp")
pil_image = pytest.importorskip("PIL.Image")
pytestmark = needs_chromium


def _print(world: World, serial: str) -> str:
    design = world.oem.register_design(world.design_file(size=5_000), METADATA)
    licence = world.oem.issue_licence(
        design.design_id, world.hub.address, max_prints=5, valid_until=world.now() + ONE_DAY,
        required_standard=STANDARD,
    ).licence_id  # fmt: skip
    world.hub.attest_print(PrintInput(licence, serial, world.machine, "LOT-1"))
    return design.design_id


def test_scan_read_download_recall_and_counterfeit_in_chromium(
    served: str, world: World, tmp_path: Path
) -> None:
    design_id = _print(world, "BR-1")
    origin_host = urlsplit(served).netloc
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 360, "height": 780}, accept_downloads=True)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))

        # the label's QR code, decoded as a phone would, leads to the page
        label = page.request.get(f"{served}/p/{design_id}/BR-1/qr.png")
        (code,) = zxingcpp.read_barcodes(pil_image.open(io.BytesIO(label.body())))
        page.goto(code.text)
        assert page.url == code.text
        verdict = page.locator("#verdict")
        assert "VERIFIED — genuine" in verdict.inner_text()
        claims = page.locator("ul.claims li")
        assert claims.count() >= 8
        for i in range(claims.count()):
            assert "✓ Pass" in claims.nth(i).inner_text()
        assert "ISO/ASTM 52920" in page.content()
        page.screenshot(
            path=os.environ.get("PARTLEDGER_SCREENSHOT", str(tmp_path / "part.png")), full_page=True
        )
        # nothing wider than a phone: no horizontal scrolling at 360 px
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        with page.expect_download() as download:
            page.click("#bundle")
        saved = tmp_path / "bundle.json"
        download.value.save_as(saved)
        node = lambda n: bytes(world.ledger.w3.eth.get_block(n)["hash"])  # noqa: E731
        assert verify_bundle(saved.read_bytes(), node=node, expect=(design_id, "BR-1")).ok
        assert json.loads(saved.read_text())["payload"]["credentials"]["url"] == code.text

        # a recall shows on the next visit as a banner nobody can miss
        world.oem.recall(design_id, b"crack risk")
        deadline = time.monotonic() + 15  # the service notices the new block (head poll)
        while True:
            page.goto(code.text)
            banner = page.locator("#verdict").inner_text()
            if "RECALLED" in banner or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        assert "RECALLED — do not use this part" in banner

        # a serial nobody attested: a clear page, not an error
        response = page.goto(f"{served}/p/{design_id}/COUNTERFEIT-9")
        assert response is not None and response.status == 404
        assert "NOT FOUND ON THE LEDGER — NOT VERIFIED" in page.locator("#verdict").inner_text()
        browser.close()
    assert requests and all(urlsplit(u).netloc == origin_host for u in requests), requests
