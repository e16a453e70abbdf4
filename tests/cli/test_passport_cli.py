"""``partledger passport``: export after the demo, stop the chain, verify with checkpoints only."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers.cli_runner import environment
from partledger.chain.connect import connect
from partledger.chain.local import LocalChain
from partledger.cli import app

runner = CliRunner()


@pytest.fixture
def passport_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    environment(monkeypatch, tmp_path)
    yield tmp_path
    LocalChain(tmp_path / "data" / "chain").stop()


def test_export_then_verify_offline_with_the_chain_stopped(passport_env: Path) -> None:
    demo = runner.invoke(app, ["--json", "demo"])
    assert demo.exit_code == 0, demo.output
    report = json.loads(demo.stdout)
    provenance = report["provenance"]
    design, serial = provenance["design_id"], provenance["serial_number"]
    assert report["part_url"].endswith(f"/p/{design.lower()}/{serial}")
    assert runner.invoke(app, ["keys", "create", "auditor"]).exit_code == 0
    out = passport_env / "part.passport.json"
    exported = runner.invoke(
        app, ["--json", "passport", "export", design, serial, "--as", "auditor", "-o", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    summary = json.loads(exported.stdout)
    # the user reads the two block hashes from a node or explorer they trust, then goes offline
    chain = LocalChain(
        passport_env / "data" / "chain", port=int(os.environ["PARTLEDGER_CHAIN_PORT"])
    )
    running = chain.running()
    w3 = connect(running.rpc_url if running else chain.start().rpc_url)
    checkpoints = [
        f"{n}:{bytes(w3.eth.get_block(n)['hash']).hex()}"
        for n in (summary["print_block"], summary["export_block"])
    ]
    chain.stop()
    args = ["passport", "verify", str(out), "--part", f"{design}:{serial}"]
    for checkpoint in checkpoints:
        args += ["--trusted-block", checkpoint]
    verified = runner.invoke(app, args)
    assert verified.exit_code == 0, verified.output
    assert "VERIFIED" in verified.output and "NOT VERIFIED" not in verified.output
    # without a checkpoint or a node nothing anchors the headers: exit 5
    unanchored = runner.invoke(app, ["passport", "verify", str(out)])
    assert unanchored.exit_code == 5 and "NOT VERIFIED" in unanchored.output
    # another part named, a corrupted file, a malformed checkpoint
    other = runner.invoke(app, [*args[:3], "--part", f"{design}:PL-OTHER", *args[5:]])
    assert other.exit_code == 5 and "bundle.part" in other.output
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x01
    out.write_bytes(bytes(data))
    assert runner.invoke(app, args).exit_code == 5
    bad = runner.invoke(app, ["passport", "verify", str(out), "--trusted-block", "12:zz"])
    assert bad.exit_code == 2 and "N:0xBLOCKHASH" in bad.output
    missing = runner.invoke(app, ["passport", "verify", str(passport_env / "nope.json")])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    # a part printed before the embedded chain restarted: its node keeps no state that old
    old = report["carbon"]["prints"][0]
    stale = runner.invoke(app, ["passport", "export", old["design_id"], old["serial"], "--as",
                                "auditor", "-o", str(passport_env / "old.json")])  # fmt: skip
    assert stale.exit_code == 4, stale.output
    assert "no state proof at block" in stale.output and "chain up" in stale.output


def test_qr_codes_and_label_of_a_part(passport_env: Path) -> None:
    import io

    import zxingcpp
    from PIL import Image

    demo = runner.invoke(app, ["--json", "demo"])
    assert demo.exit_code == 0, demo.output
    provenance = json.loads(demo.stdout)["provenance"]
    design, serial = provenance["design_id"], provenance["serial_number"]
    png = passport_env / "part.png"
    made = runner.invoke(app, ["--json", "passport", "qr", design, serial, "-o", str(png),
                               "--base-url", "https://parts.example.com"])  # fmt: skip
    assert made.exit_code == 0, made.output
    url = json.loads(made.stdout)["url"]
    assert url == f"https://parts.example.com/p/{design.lower()}/{serial}"
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.read_bytes())))
    assert code.text == url
    label = passport_env / "label.svg"
    assert (
        runner.invoke(
            app, ["passport", "qr", design, serial, "--label", "-o", str(label)]
        ).exit_code
        == 0
    )
    assert serial in label.read_text()
    fake = runner.invoke(app, ["passport", "qr", design, "NOPE", "-o", str(png)])
    assert fake.exit_code == 5 and "not on the ledger" in fake.output
