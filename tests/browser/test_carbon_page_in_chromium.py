"""The carbon page in a real browser (Debian's chromium via Playwright, no download).

An auditor signs in with a single-use link, opens the carbon page from the auditor nav, filters
by design with the form, reads the totals as text, sees both charts inline (SVG with a title),
the Scope 3 and ESRS E1 tables, at phone width without horizontal scrolling; every request the
page makes stays on loopback.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import httpx
from api.test_carbon_report import footprint
from browser.chromium import CHROMIUM, FLAGS, needs_chromium, playwright_api

from helpers.carbon_prints import part
from helpers.world import METADATA, ONE_DAY, World
from partledger.sdk.remote import ServiceClient

pytestmark = needs_chromium


def test_an_auditor_reads_the_carbon_page_at_phone_width_in_chromium(
    served_indexed: str, world: World
) -> None:
    design = world.oem.register_design(world.design_file(size=4_000), METADATA).design_id
    licence = world.oem.issue_licence(
        design, world.hub.address, max_prints=10, valid_until=world.now() + ONE_DAY
    ).licence_id
    fps = [footprint(5.0), footprint(8.0)]
    for i, fp in enumerate(fps):
        world.hub.attest_print(part(licence, f"CB-{i}", world.machine, "L", footprint=fp))
    auditor = ServiceClient(
        served_indexed, world.other_hub.account, chain_id=world.ledger.deployment.chain_id
    )
    deadline = time.monotonic() + 30
    while True:  # the service's indexer reads the blocks and the footprint documents
        found = httpx.get(
            f"{served_indexed}/v1/carbon/report", params={"design": design},
            headers=auditor._headers(True),
        ).json()  # fmt: skip
        if found["total"]["prints"] == 2:
            break
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    baseline = sum(f.baseline_kg_co2e for f in fps)
    avoided = sum(f.avoided_kg_co2e for f in fps)
    host = urlsplit(served_indexed).netloc
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 360, "height": 780})
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))

        page.goto(auditor.browser_ticket()["sign_in_url"])
        page.wait_for_url(f"{served_indexed}/audit/prints*")
        page.click("nav >> text=Carbon")
        page.wait_for_url(f"{served_indexed}/audit/carbon")
        page.fill("#design", design)
        page.click("text=Show")
        page.wait_for_url(f"{served_indexed}/audit/carbon?*design=*")

        assert page.locator("#total-prints").inner_text() == "2"
        assert page.locator("#total-baseline").inner_text() == f"{baseline / 1000:,.6f} t CO2e"
        assert page.locator("#total-avoided").inner_text() == (
            f"{avoided / 1000:,.6f} t CO2e ({100 * avoided / baseline:.1f} % of baseline)"
        )
        assert "%" in page.locator("#total-default").inner_text()
        for chart, title in (("month", "per month"), ("hub", "per hub")):
            svg = page.locator(f"#chart-{chart} svg")
            assert svg.count() == 1
            assert svg.get_attribute("role") == "img"
            assert title in (page.locator(f"#chart-{chart}-title").text_content() or "")
            named = page.get_by_role("img", name=re.compile(f"Avoided CO2e {title}"))
            assert named.count() == 1  # the accessible name is the chart's <title>
            box = svg.bounding_box()
            assert box is not None and 0 < box["width"] <= 360 and box["height"] > 50
        assert "avoided" in page.locator("#chart-month svg").inner_html()
        assert page.locator("#scope3 tbody tr").count() == 4  # categories 1, 4, total, memo
        assert page.locator("#e1").inner_text().count("not covered") == 2
        wide = page.evaluate(
            "[...document.querySelectorAll('main > *, main > * > *')].filter(e => e.scrollWidth"
            " > 328).slice(0, 12).map(e => e.tagName + '#' + e.id + '.' + e.className + ' '"
            " + e.scrollWidth)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
        csv_link = page.locator("#csv-e1").get_attribute("href")
        assert csv_link is not None and csv_link.startswith("/audit/carbon/esrs-e1.csv?")
        browser.close()
    auditor.close()
    assert requests and all(urlsplit(u).netloc == host for u in requests), requests
