"""Auditor views (signed in): prints over a period, licence usage, expiring qualifications,
each as an HTML page and as CSV, read from the service's index."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from api.support import METADATA, STANDARD, Service, make_runtime
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3 import Web3

from helpers.world import World
from partledger.api.app import create_app
from partledger.index.queries import serial_hash
from partledger.sdk import PrintInput

DAY = 86_400


@dataclass
class Audited:
    service: Service
    headers: dict[str, str]
    design_a: str
    design_b: str
    milan_a: str
    lyon_a: str
    milan_b: str
    lyon_machine: str


@pytest.fixture
def audited(w3: Web3, world: World, dev_accounts: list[LocalAccount]) -> Iterator[Audited]:
    """Design A licensed to Milan (3 prints) and Lyon (2), design B to Milan (1 print); Lyon's
    machine qualified for 5 days, Milan's for 30 (the world's)."""
    runtime = make_runtime(w3, world, api_indexer=True)
    app = create_app(runtime, custodians=[world.oem.identity], relayer=dev_accounts[9])
    with TestClient(app) as client:
        service = Service(client, world, dev_accounts, True)
        oem, milan, lyon = world.oem, world.hub, world.other_hub
        now = world.now()
        lyon_machine = lyon.register_machine("EOS", "M 400", "SN-LY-1")
        world.certifier.qualify_machine(lyon_machine, STANDARD, b"cert", now - 10, now + 5 * DAY)
        design_a = oem.register_design(world.design_file("a.stl"), METADATA).design_id
        design_b = oem.register_design(world.design_file("b.stl"), METADATA).design_id

        def issue(design: str, hub: str, max_prints: int) -> str:
            return oem.issue_licence(
                design, hub, max_prints=max_prints, valid_until=now + 90 * DAY,
                required_standard=STANDARD,
            ).licence_id  # fmt: skip

        milan_a, lyon_a, milan_b = (
            issue(design_a, milan.address, 10),
            issue(design_a, lyon.address, 4),
            issue(design_b, milan.address, 2),
        )
        for i in range(3):
            milan.attest_print(PrintInput(milan_a, f"MA-{i}", world.machine, "L"))
        for i in range(2):
            lyon.attest_print(PrintInput(lyon_a, f"LA-{i}", lyon_machine, "L"))
        milan.attest_print(PrintInput(milan_b, "MB-0", world.machine, "L"))
        oem.suspend_licence(lyon_a, b"audit")
        index = client.app.state.context.index  # type: ignore[attr-defined]
        head = w3.eth.block_number
        deadline = time.monotonic() + 20
        while (status := index.status()) is None or status.last_block < head:
            assert time.monotonic() < deadline, "the service's indexer did not catch up"
            time.sleep(0.1)
        yield Audited(
            service, service.headers(world.other_hub.account), design_a, design_b,
            milan_a, lyon_a, milan_b, lyon_machine,
        )  # fmt: skip


def _get(a: Audited, path: str, **params: object) -> str:
    response = a.service.client.get(path, params=params, headers=a.headers)
    assert response.status_code == 200, response.text
    return response.text


def _serials(html: str) -> list[str]:
    return re.findall(r'data-serial="(0x[0-9a-f]{64})"', html)


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_prints_are_listed_by_hub_and_design_newest_first_with_pages(audited: Audited) -> None:
    a, world = audited, audited.service.world
    response = a.service.client.get(
        "/audit/prints", params={"hub": world.hub.address}, headers=a.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert _serials(html) == ["0x" + serial_hash(s).hex() for s in ("MB-0", "MA-2", "MA-1", "MA-0")]
    assert "Prints 1\u20134 of 4" in html and a.milan_b in html and world.machine in html
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\">", html)
    lyon = _get(a, "/audit/prints", hub=world.other_hub.address)
    assert _serials(lyon) == ["0x" + serial_hash(s).hex() for s in ("LA-1", "LA-0")]
    assert len(_serials(_get(a, "/audit/prints", design=a.design_a))) == 5
    assert len(_serials(_get(a, "/audit/prints", design=a.design_b))) == 1
    both = _get(a, "/audit/prints", hub=world.hub.address, design=a.design_a)
    assert len(_serials(both)) == 3
    assert len(_serials(_get(a, "/audit/prints"))) == 6
    first = _get(a, "/audit/prints", hub=world.hub.address, limit=3)
    assert len(_serials(first)) == 3 and "Prints 1\u20133 of 4" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = _get(a, "/audit/prints", hub=world.hub.address, limit=3, offset=3)
    assert _serials(second) == ["0x" + serial_hash("MA-0").hex()] and 'rel="prev"' in second


def test_prints_are_filtered_by_period(audited: Audited) -> None:
    a = audited
    today = datetime.fromtimestamp(a.service.world.now(), UTC).date()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    design = a.design_a
    assert len(_serials(_get(a, "/audit/prints", design=design, since=str(today)))) == 5
    assert len(_serials(_get(a, "/audit/prints", design=design, until=str(today)))) == 5
    assert _serials(_get(a, "/audit/prints", design=design, since=str(tomorrow))) == []
    assert "No print matches" in _get(a, "/audit/prints", design=design, until=str(yesterday))
    window = {"since": f"{yesterday}T00:00:00Z", "until": f"{tomorrow}T23:59:59+00:00"}
    assert len(_serials(_get(a, "/audit/prints", design=design, **window))) == 5
    bad = a.service.client.get("/audit/prints", params={"since": "2026-13-45"}, headers=a.headers)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    backwards = a.service.client.get(
        "/audit/prints", params={"since": str(tomorrow), "until": str(yesterday)},
        headers=a.headers,
    )  # fmt: skip
    assert backwards.status_code == 422


def test_licence_usage_shows_used_and_remaining_as_text_with_status(audited: Audited) -> None:
    a, world = audited, audited.service.world
    html = _get(a, "/audit/licences", design=a.design_a)
    assert html.count("data-licence=") == 2
    assert "3 of 10 used, 7 remaining (30%)" in html
    assert "2 of 4 used, 2 remaining (50%)" in html
    assert 'style="width: 30%"' in html and 'aria-hidden="true"' in html
    row = html[html.index(f'data-licence="{a.lyon_a}"') :]
    assert ">suspended<" in row.split("</tr>")[0]
    milan = _get(a, "/audit/licences", hub=world.hub.address)
    assert milan.count("data-licence=") == 2 and "1 of 2 used, 1 remaining (50%)" in milan
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</time> to <time", milan)
    assert "<script" not in milan and "http" not in milan.split("<body>")[0].replace(
        'name="viewport"', ""
    )
    assert _get(a, "/audit/licences").count("data-licence=") == 3


def test_expiring_qualifications_appear_within_n_days_and_vanish_with_fewer(
    audited: Audited,
) -> None:
    a = audited
    six = _get(a, "/audit/qualifications", expiring_within_days=6)
    assert f'data-subject="{a.lyon_machine}" data-status="expiring"' in six
    assert a.service.world.machine not in six  # valid 30 days
    assert "ISO/ASTM 52920" in six and "within 6 days" in six
    assert a.lyon_machine not in _get(a, "/audit/qualifications", expiring_within_days=3)
    wide = _get(a, "/audit/qualifications", expiring_within_days=31)
    assert a.lyon_machine in wide and a.service.world.machine in wide
    a.service.world.certifier.revoke_machine(a.lyon_machine, STANDARD, b"failed audit")
    deadline = time.monotonic() + 20
    while 'data-status="revoked"' not in (
        page := _get(a, "/audit/qualifications", expiring_within_days=0)
    ):
        assert time.monotonic() < deadline, "the revocation was not indexed"
        time.sleep(0.1)
    assert f'data-subject="{a.lyon_machine}" data-status="revoked"' in page
    assert ">revoked<" in page  # the status in words, not only in colour


def test_each_view_exports_csv_with_a_header_and_one_row_per_item(audited: Audited) -> None:
    a, world = audited, audited.service.world
    for path, params in (("/audit/prints", {"hub": world.hub.address}),):
        for url, query in ((path, {**params, "format": "csv"}), (path + ".csv", params)):
            response = a.service.client.get(url, params=query, headers=a.headers)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/csv")
            assert response.text.splitlines()[0].startswith("serial_hash,licence_id,")
            rows = _csv(response.text)
            assert [r["serial_hash"] for r in rows][-1] == "0x" + serial_hash("MA-0").hex()
            assert len(rows) == 4
    licences = _csv(_get(a, "/audit/licences.csv", design=a.design_a))
    assert len(licences) == 2
    assert {(r["licence_id"], r["used"], r["remaining"], r["status"]) for r in licences} == {
        (a.milan_a, "3", "7", "active"),
        (a.lyon_a, "2", "2", "suspended"),
    }
    quals = _get(a, "/audit/qualifications", expiring_within_days=31, format="csv")
    assert quals.splitlines()[0] == (
        "subject,subject_kind,standard,certifier,valid_from,valid_until,days_left,status"
    )
    assert len(_csv(quals)) == 2
    assert _csv(_get(a, "/audit/qualifications.csv", expiring_within_days=0)) == []


def test_without_a_token_the_views_answer_401_and_without_the_index_503(
    service: Service,
) -> None:
    paths = [
        "/audit/prints", "/audit/prints.csv", "/audit/licences", "/audit/licences.csv",
        "/audit/qualifications", "/audit/qualifications.csv",
    ]  # fmt: skip
    for path in paths:
        response = service.client.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/unauthenticated")
        off = service.client.get(path, headers=service.headers(service.world.hub.account))
        assert off.status_code == 503, path
        assert off.headers["content-type"] == "application/problem+json"
        assert "index" in off.json()["detail"]


def test_anchored_prints_are_listed_with_their_batch_leaf(audited: Audited, w3: Web3) -> None:
    a, world = audited, audited.service.world
    unqualified = world.oem.issue_licence(  # anchored batches need no machine qualification
        a.design_a, world.hub.address, max_prints=2, valid_until=world.now() + DAY
    ).licence_id
    batch = world.hub.anchor_batch(
        [PrintInput(unqualified, f"ANC-{i}", world.machine, "LOT-A") for i in range(2)]
    )
    index = a.service.client.app.state.context.index  # type: ignore[attr-defined]
    deadline = time.monotonic() + 20
    while len(index.anchored_prints_by_serial(serial_hash("ANC-1"))) == 0:
        assert time.monotonic() < deadline, "the anchored batch's document was not indexed"
        time.sleep(0.1)
    html = _get(a, "/audit/prints", hub=world.hub.address, design=a.design_a)
    anchored = ["0x" + serial_hash(f"ANC-{i}").hex() for i in (1, 0)]
    assert _serials(html)[:2] == anchored and len(_serials(html)) == 5
    assert "anchored batch, leaf 1" in html and "anchored batch, leaf 0" in html
    rows = _csv(_get(a, "/audit/prints.csv", hub=world.hub.address, design=a.design_a))
    kinds = {r["serial_hash"]: (r["attestation"], r["leaf_index"]) for r in rows}
    assert kinds[anchored[0]] == ("anchored", "1") and kinds[anchored[1]] == ("anchored", "0")
    assert kinds["0x" + serial_hash("MA-0").hex()] == ("direct", "")
    assert {r["tx_hash"] for r in rows if r["attestation"] == "anchored"} == {batch.tx.tx_hash}


def _ticket(a: Audited) -> str:
    response = a.service.client.post("/v1/auth/browser-ticket", headers=a.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sign_in_url"].endswith("/audit/sign-in#ticket=" + body["ticket"])
    return str(body["ticket"])


HTML = {"accept": "text/html,application/xhtml+xml"}


def test_a_browser_without_a_session_is_sent_to_sign_in_and_csv_gets_401(
    audited: Audited,
) -> None:
    client = audited.service.client
    page = client.get(
        "/audit/licences", params={"hub": audited.service.world.hub.address}, headers=HTML,
        follow_redirects=False,
    )  # fmt: skip
    assert page.status_code == 303
    assert page.headers["location"].startswith("/audit/sign-in?next=%2Faudit%2Flicences%3Fhub")
    form = client.get(page.headers["location"])
    assert form.status_code == 200 and 'name="credential"' in form.text
    assert 'value="/audit/licences?hub=' in form.text
    assert client.get("/audit/licences.csv", headers=HTML).status_code == 401
    assert client.get("/audit/prints", params={"format": "csv"}, headers=HTML).status_code == 401


def test_a_sign_in_ticket_opens_a_session_once_and_only_for_the_auditor_pages(
    audited: Audited,
) -> None:
    a, client = audited, audited.service.client
    ticket = _ticket(a)
    opened = client.post(
        "/audit/session", data={"credential": ticket, "next": "/audit/qualifications"},
        follow_redirects=False,
    )  # fmt: skip
    assert opened.status_code == 303 and opened.headers["location"] == "/audit/qualifications"
    cookie = opened.headers["set-cookie"]
    assert "partledger_session=pl1." in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/audit" in cookie
    session = opened.cookies["partledger_session"]
    assert client.get("/audit/qualifications", headers=HTML).status_code == 200
    # the cookie is no bearer token for the API (no cross-site request can use it there)
    client.cookies.clear()
    client.cookies.set("partledger_session", session)
    assert client.get("/v1/auth/me").status_code == 401
    client.cookies.clear()
    again = client.post("/audit/session", data={"credential": ticket}, follow_redirects=False)
    assert again.status_code == 401 and "already used" in again.text
    assert "partledger_session" not in again.headers.get("set-cookie", "")


def test_forged_expired_and_foreign_sign_ins_are_refused(
    audited: Audited, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, client = audited, audited.service.client
    ticket = _ticket(a)
    head, body, mac = ticket.split(".")
    forged = f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{mac}"
    for credential, words in (
        (forged, "signature does not match"),
        ("pl1t.x.y", "signature does not match"),
        ("not a token", "not a PartLedger token"),
        (a.headers["Authorization"].split()[1] + "x", "signature does not match"),
    ):
        refused = client.post("/audit/session", data={"credential": credential})
        assert refused.status_code == 401 and words in refused.text, credential
        assert 'role="alert"' in refused.text
    assert client.post("/audit/session", data={"credential": " "}).status_code == 400
    elsewhere = client.post(
        "/audit/session", data={"credential": ticket}, headers={"origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    monkeypatch.setattr("partledger.api.services.auth.time.time", lambda: time.monotonic() + 1e10)
    late = client.post("/audit/session", data={"credential": ticket})
    assert late.status_code == 401 and "expired" in late.text


def test_a_pasted_token_signs_in_and_next_never_leaves_the_auditor_pages(
    audited: Audited,
) -> None:
    a, client = audited, audited.service.client
    token = a.headers["Authorization"].split()[1]
    for target in ("//evil.example/audit/", "https://evil.example", "/v1/designs", "/audit/\\x"):
        opened = client.post(
            "/audit/session", data={"credential": token, "next": target}, follow_redirects=False
        )
        assert opened.status_code == 303 and opened.headers["location"] == "/audit/prints"
    assert client.get("/audit/prints", headers=HTML).status_code == 200
    out = client.post("/audit/sign-out", follow_redirects=False)
    assert out.status_code == 303 and 'partledger_session=""' in out.headers["set-cookie"]
    after = client.get("/audit/prints", headers=HTML, follow_redirects=False)
    assert after.status_code == 303
