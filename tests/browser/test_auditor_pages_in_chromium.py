"""The auditor pages in a real browser (Debian's chromium via Playwright, no download).

An auditor gets a single-use sign-in link from the SDK (as ``partledger audit sign-in`` does),
opens it, lands on the prints view (direct and anchored prints), downloads the CSV, reads the
licence usage bars at phone width, signs out; the spent link no longer works. Every request the
pages make stays on loopback.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from browser.chromium import CHROMIUM, FLAGS, needs_chromium, playwright_api

from helpers.world import METADATA, ONE_DAY, World
from partledger.sdk import PrintInput
from partledger.sdk.remote import ServiceClient

pytestmark = needs_chromium


def _seed(world: World) -> tuple[str, list[str]]:
    """Two direct prints and an anchored batch of two, on one design; (design, serials)."""
    design = world.oem.register_design(world.design_file(size=4_000), METADATA).design_id
    licence = world.oem.issue_licence(
        design, world.hub.address, max_prints=10, valid_until=world.now() + ONE_DAY
    ).licence_id
    for serial in ("AUD-1", "AUD-2"):
        world.hub.attest_print(PrintInput(licence, serial, world.machine, "LOT-1"))
    world.hub.anchor_batch(
        [PrintInput(licence, f"AUD-B{i}", world.machine, "LOT-2") for i in (1, 2)]
    )
    return design, ["AUD-1", "AUD-2", "AUD-B1", "AUD-B2"]


def test_an_auditor_signs_in_with_a_link_reads_exports_and_signs_out_in_chromium(
    served_indexed: str, world: World, tmp_path: Path
) -> None:
    design, serials = _seed(world)
    auditor = ServiceClient(
        served_indexed, world.other_hub.account, chain_id=world.ledger.deployment.chain_id
    )
    deadline = time.monotonic() + 30
    while True:  # the service's indexer reads the blocks and the batch document
        found = httpx.get(
            f"{served_indexed}/audit/prints.csv", params={"design": design},
            headers=auditor._headers(True),
        )  # fmt: skip
        if len(found.text.splitlines()) == 5 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    host = urlsplit(served_indexed).netloc
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 360, "height": 780}, accept_downloads=True)
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))

        page.goto(f"{served_indexed}/audit/prints?design={design}")
        assert urlsplit(page.url).path == "/audit/sign-in"  # no session yet
        link = auditor.browser_ticket()["sign_in_url"]
        page.goto(link)
        page.wait_for_url(f"{served_indexed}/audit/prints*")
        assert "#ticket" not in page.url
        rows = page.locator("#prints tbody tr")
        page.goto(f"{served_indexed}/audit/prints?design={design}")
        assert rows.count() == 4
        kinds = page.locator('#prints td[data-label="Attestation"]').all_inner_texts()
        assert (
            sorted(kinds) == ["anchored batch, leaf 0", "anchored batch, leaf 1"] + ["direct"] * 2
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        with page.expect_download() as download:
            page.click("#csv")
        saved = tmp_path / "prints.csv"
        download.value.save_as(saved)
        exported = list(csv.DictReader(io.StringIO(saved.read_text())))
        assert sorted(r["attestation"] for r in exported) == ["anchored"] * 2 + ["direct"] * 2

        page.click("nav >> text=Licence usage")
        assert "4 of 10 used, 6 remaining (40%)" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        page.click("text=Sign out")
        page.wait_for_url(f"{served_indexed}/audit/sign-in*")
        page.goto(f"{served_indexed}/audit/prints")
        assert urlsplit(page.url).path == "/audit/sign-in"
        # the link was single-use
        page.goto(link)
        page.wait_for_load_state()
        assert "already used" in page.locator("#error").inner_text()
        browser.close()
    auditor.close()
    assert requests and all(urlsplit(u).netloc == host for u in requests), requests
    assert len(serials) == 4
