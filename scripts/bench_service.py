#!/usr/bin/env python3
"""Benchmark the HTTP service (``partledger serve``) on a fresh local chain.

Starts the service as ``partledger serve`` on a temporary data directory (its own
anvil, SQLite, filesystem store), onboards an OEM and a hub through the SDK, then:

- part pages: GET /p/{designId}/{serial} (the HTML page behind a part's QR code), same client;
- provenance: GET /v1/audit/provenance/{serial}?design_id=... from a keep-alive asyncio
  HTTP/1.1 client (this script, ``--concurrency`` connections), requests/s and p50/p99;
- relayed prints: N hub-signed EIP-712 attestations POSTed in requests of 500, timed
  until the licence's on-chain print count reaches N; then every receipt is checked
  (all final; every serial attested exactly once on-chain: none lost, none duplicated;
  and how many attestBatchBySig transactions carried them);
- 1 GiB container: upload (POST /v1/blobs, octet-stream) and licensed download
  (GET /v1/hub/licences/{id}/container), each against a plain file copy through the
  same HTTP stack (``plain_http_server.py``: uvicorn + Starlette, body to file with
  fsync, ``FileResponse``; same client, same disk), interleaved 3 times, medians;
  the ratios against a plain disk copy (read, write, fsync) are printed as well;
  plus the server's peak RSS. ``--seconds 0`` / ``--prints 0`` skip those parts.

``--json`` prints one JSON object. Stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from partledger.chain.connect import connect
from partledger.chain.deployer import load_record
from partledger.chain.eip712 import attest_print_digest
from partledger.chain.local import dev_account, free_port
from partledger.crypto import HpkePrivateKey, Identity
from partledger.sdk import Admin, DesignMetadata, Hub, Ledger, Oem, PrintInput, Role
from partledger.sdk.ledger import PRINT_LEDGER
from partledger.sdk.types import hex32
from partledger.siwe import SiweMessage, format_time

DAY = 86_400
MiB = 1 << 20


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def accounts(n: int) -> list[LocalAccount]:
    return [dev_account(i) for i in range(n)]


class Service:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.chain_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PARTLEDGER_DATA_DIR": str(data_dir),
            "PARTLEDGER_CHAIN_PORT": str(self.chain_port),
            "PARTLEDGER_API_RATE_PER_SECOND": "1000000",
            "PARTLEDGER_API_RATE_BURST": "1000000",
            "PARTLEDGER_API_MAX_UPLOAD_BYTES": str(4 << 30),
        }
        cli = Path(sys.executable).with_name("partledger")
        self.log = (data_dir.parent / "service.log").open("wb")
        self.process = subprocess.Popen(
            [str(cli), "serve", "--port", str(self.port)], env=env, stderr=self.log,
            stdout=self.log,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                self.log.flush()
                tail = (data_dir.parent / "service.log").read_text()[-2000:]
                raise RuntimeError(f"the service exited ({self.process.returncode}):\n{tail}")
            time.sleep(0.2)
        raise RuntimeError("the service did not become ready")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by the service and by its anvil."""
        anvil = json.loads((self.data_dir / "chain" / "anvil.pid.json").read_text())["pid"]
        out = {}
        for name, pid in (("service", self.process.pid), ("anvil", anvil)):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out

    def token(self, account: LocalAccount) -> dict[str, str]:
        nonce = httpx.get(self.url + "/v1/auth/nonce").json()["nonce"]
        text = SiweMessage(
            domain=f"127.0.0.1:{self.port}", address=account.address, uri=self.url,
            chain_id=31337, nonce=nonce, issued_at=format_time(datetime.now(UTC)),
            statement="PartLedger benchmark",
        ).to_text()  # fmt: skip
        signature = account.sign_message(encode_defunct(text=text)).signature
        body = httpx.post(
            self.url + "/v1/auth/token",
            json={"message": text, "signature": "0x" + bytes(signature).hex()},
        ).json()
        return {"Authorization": f"Bearer {body['access_token']}"}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


# -- provenance ------------------------------------------------------------------------
async def _worker(
    port: int, paths: list[bytes], stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(int(head[9:12]))
    finally:
        writer.close()


async def _hammer(port: int, paths: list[bytes], seconds: float, concurrency: int) -> Any:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(_worker(port, paths, stop_at, latencies, errors) for _ in range(concurrency))
    )
    return latencies, errors, time.perf_counter() - started


def _load(
    service: Service, paths: list[bytes], seconds: float, concurrency: int, name: str
) -> dict[str, Any]:
    """Hammer ``paths`` (already warmed) for ``seconds``; throughput and latency as ``name_*``."""
    latencies, errors, elapsed = asyncio.run(_hammer(service.port, paths, seconds, concurrency))
    latencies.sort()
    return {
        f"{name}_rps": round(len(latencies) / elapsed, 1),
        f"{name}_p50_ms": round(statistics.median(latencies) * 1000, 2),
        f"{name}_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        f"{name}_requests": len(latencies),
        f"{name}_errors": len(errors),
        f"{name}_client": f"asyncio keep-alive HTTP/1.1, {concurrency} connections",
    }


def bench_provenance(
    service: Service, design_id: str, serials: list[str], seconds: float, concurrency: int
) -> dict[str, Any]:
    paths = [f"/v1/audit/provenance/{s}?design_id={design_id}".encode() for s in serials]
    for path in paths:  # warm the per-head cache
        response = httpx.get(service.url + path.decode(), timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["verified"] is True
    return _load(service, paths, seconds, concurrency, "provenance")


def bench_pages(
    service: Service, design_id: str, serials: list[str], seconds: float, concurrency: int
) -> dict[str, Any]:
    """The part's public page (HTML), as phones scanning QR codes would load it."""
    paths = [f"/p/{design_id}/{s}".encode() for s in serials]
    for path in paths:  # warm the per-head cache
        response = httpx.get(service.url + path.decode(), timeout=30)
        assert response.status_code == 200, response.text
        assert "VERIFIED — genuine" in response.text
    return _load(service, paths, seconds, concurrency, "page")


# -- relayed prints ----------------------------------------------------------------------
def bench_relay(
    service: Service, ledger: Ledger, hub: Hub, licence_id: str, machine: str, n: int
) -> dict[str, Any]:
    chain_id = ledger.w3.eth.chain_id
    contract = ledger.deployment.address(PRINT_LEDGER)
    nonce = ledger.view(PRINT_LEDGER, "nonces", hub.address)
    deadline = ledger.now() + DAY
    items = []
    for i in range(n):
        record = PrintInput(licence_id, f"SN-R{i:06d}", machine, "LOT-1").record(b"\0" * 32)
        digest = attest_print_digest(record, nonce, deadline, chain_id, contract)
        signature = Account.unsafe_sign_hash(digest, hub.account.key).signature
        items.append(
            {
                "licence_id": hex32(record.licence_id), "serial": hex32(record.serial),
                "machine_id": hex32(record.machine_id),
                "material_lot_hash": hex32(record.material_lot_hash),
                "quality_report_hash": hex32(record.quality_report_hash),
                "deadline": deadline, "signature": "0x" + bytes(signature).hex(),
            }
        )  # fmt: skip
    headers = service.token(hub.account)
    chunks = [items[i : i + 500] for i in range(0, n, 500)]
    receipts: list[str] = []

    def post(chunk: list[dict[str, Any]]) -> list[str]:
        response = httpx.post(
            service.url + "/v1/prints", headers=headers, json={"attestations": chunk}, timeout=120
        )
        assert response.status_code == 202, response.text
        return [r["receipt_id"] for r in response.json()["receipts"]]

    printed_before = hub.licence(licence_id).printed
    cpu_before = service.cpu_seconds()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for ids in pool.map(post, chunks):
            receipts += ids
    accepted = time.perf_counter() - started
    while hub.licence(licence_id).printed < printed_before + n:
        if time.perf_counter() - started > 600:
            raise RuntimeError("relayed prints did not all land within 600 s")
        time.sleep(0.05)
    final = time.perf_counter() - started
    cpu_after = service.cpu_seconds()
    statuses: dict[str, int] = {}
    tx_hashes = set()
    with httpx.Client(headers=headers) as client:
        for rid in receipts:
            body = client.get(f"{service.url}/v1/prints/receipts/{rid}").json()
            statuses[body["status"]] = statuses.get(body["status"], 0) + 1
            tx_hashes.add(body["tx_hash"])
    printed = hub.licence(licence_id).printed - printed_before
    logs = hub.ledger.prints.events.PrintAttested().get_logs(
        from_block=hub.ledger.deployment.start_block,
        argument_filters={"licenceId": bytes.fromhex(licence_id[2:])},
    )
    per_serial = collections.Counter(bytes(log["args"]["serial"]) for log in logs)
    return {
        "relayed_prints": n,
        "relayed_accept_per_s": round(n / accepted, 1),
        "relayed_prints_per_s": round(n / final, 1),
        "relayed_receipts": statuses,
        "relayed_on_chain": printed,
        "relayed_lost": n - printed,
        "relayed_duplicated": sum(c - 1 for c in per_serial.values()),
        "relayed_transactions": len(tx_hashes),
        "relay_cpu_share": {k: round((cpu_after[k] - cpu_before[k]) / final, 2) for k in cpu_after},
    }


# -- 1 GiB transfers -----------------------------------------------------------------------
TRANSFER_ROUNDS = 3


def plain_copy(src: Path, dst: Path) -> float:
    started = time.perf_counter()
    with src.open("rb") as inp, dst.open("wb") as out:
        while chunk := inp.read(MiB):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    dst.unlink()
    return elapsed


def upload(url: str, headers: dict[str, str], path: Path) -> float:
    """POST ``path`` as a streamed octet-stream body; return seconds."""

    def chunks() -> Any:
        with path.open("rb") as f:
            while chunk := f.read(MiB):
                yield chunk

    started = time.perf_counter()
    response = httpx.post(
        url, headers={**headers, "content-type": "application/octet-stream"}, content=chunks(),
        timeout=600,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.text
    return elapsed


def download(url: str, headers: dict[str, str], target: Path, size: int) -> float:
    """GET ``url`` into ``target`` (written, fsynced, checked, removed); return seconds."""
    started = time.perf_counter()
    with httpx.stream("GET", url, headers=headers, timeout=600) as stream, target.open("wb") as out:
        assert stream.status_code == 200, stream.read()
        for chunk in stream.iter_bytes(MiB):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    assert target.stat().st_size == size
    target.unlink()
    return elapsed


class PlainHttpServer:
    """``scripts/plain_http_server.py``: a plain file copy through the same HTTP stack."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        script = Path(__file__).with_name("plain_http_server.py")
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(directory), str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the plain HTTP server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def bench_transfers(
    service: Service, work: Path, container: Path, headers_oem: dict[str, str],
    headers_hub: dict[str, str], licence_id: str,
) -> dict[str, Any]:  # fmt: skip
    """Upload and download through the service and through the plain HTTP copy, interleaved
    ``ROUNDS`` times (medians), plus a plain disk copy."""
    size = container.stat().st_size
    plain = PlainHttpServer(work / "plain")
    timings: dict[str, list[float]] = collections.defaultdict(list)
    try:
        for _ in range(TRANSFER_ROUNDS):
            timings["disk_copy"].append(plain_copy(container, work / "copy.bin"))
            timings["plain_up"].append(upload(plain.url + "/upload", {}, container))
            timings["up"].append(
                upload(service.url + "/v1/blobs?kind=container", headers_oem, container)
            )
            timings["plain_down"].append(
                download(plain.url + "/download", {}, work / "download.bin", size)
            )
            url = f"{service.url}/v1/hub/licences/{licence_id}/container"
            timings["down"].append(download(url, headers_hub, work / "download.bin", size))
    finally:
        plain.stop()
    median = {key: statistics.median(values) for key, values in timings.items()}
    mb = size / 1e6
    return {
        "transfer_bytes": size,
        "transfer_rounds": TRANSFER_ROUNDS,
        "plain_copy_mb_s": round(mb / median["disk_copy"], 1),
        "plain_http_upload_mb_s": round(mb / median["plain_up"], 1),
        "plain_http_download_mb_s": round(mb / median["plain_down"], 1),
        "upload_mb_s": round(mb / median["up"], 1),
        "download_mb_s": round(mb / median["down"], 1),
        "upload_ratio": round(median["plain_up"] / median["up"], 3),
        "download_ratio": round(median["plain_down"] / median["down"], 3),
        "upload_ratio_vs_disk_copy": round(median["disk_copy"] / median["up"], 3),
        "download_ratio_vs_disk_copy": round(median["disk_copy"] / median["down"], 3),
        "server_peak_rss_mb": round(service.peak_rss_mb(), 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pl-bench-service-") as tmp:
        work = Path(tmp)
        service = Service(work / "data")
        try:
            return _run(args, work, service)
        finally:
            service.stop()


def _run(args: argparse.Namespace, work: Path, service: Service) -> dict[str, Any]:
    deployment = load_record(work / "data" / "deployments" / "local.json")
    assert deployment is not None
    w3 = connect(f"http://127.0.0.1:{service.chain_port}")
    ledger = Ledger.open(w3, deployment, work / "data")
    acct = accounts(4)
    admin = Admin(ledger, acct[0])
    oem = Oem(ledger, Identity("oem", bytes(acct[1].key), HpkePrivateKey.generate()))
    hub = Hub(ledger, Identity("hub", bytes(acct[2].key), HpkePrivateKey.generate()))
    admin.grant(Role.OEM, oem.address)
    admin.grant(Role.HUB, hub.address)
    hub.register("Bench hub", "ITMIL")
    machine = hub.register_machine("EOS", "M 290", "SN-1")
    meta = DesignMetadata("PN", "A", "PA12", "SLS")
    small = work / "small.stl"
    small.write_bytes(os.urandom(50_000))
    design = oem.register_design(small, meta)
    licence = oem.issue_licence(
        design.design_id, hub.address, max_prints=args.prints + 1000,
        valid_until=ledger.now() + DAY,
    )  # fmt: skip
    result: dict[str, Any] = {}
    log("provenance")
    serials = [f"SN-P{i:03d}" for i in range(20)]
    hub.attest_prints([PrintInput(licence.licence_id, s, machine, "LOT") for s in serials])
    time.sleep(1.0)  # let the head watcher see the block
    if args.seconds > 0:
        result |= bench_provenance(
            service, design.design_id, serials, args.seconds, args.concurrency
        )
        log("part pages")
        result |= bench_pages(service, design.design_id, serials, args.seconds, args.concurrency)
    if args.prints > 0:
        log(f"relayed prints ({args.prints})")
        result |= bench_relay(service, ledger, hub, licence.licence_id, machine, args.prints)
    if args.gib > 0:
        log(f"{args.gib} GiB container: encrypting and registering")
        big = work / "big.bin"
        with big.open("wb") as out:
            block = os.urandom(16 * MiB)
            for _ in range(int(args.gib * 64)):
                out.write(block)
        registered = oem.register_design(big, DesignMetadata("PN-BIG", "A", "PA12", "SLS"))
        big.unlink()
        big_licence = oem.issue_licence(
            registered.design_id, hub.address, max_prints=10, valid_until=ledger.now() + DAY
        )
        container = ledger.store.path_of(registered.container_sha256)  # type: ignore[attr-defined]
        log("upload and download")
        result |= bench_transfers(
            service, work, container, service.token(oem.account), service.token(hub.account),
            big_licence.licence_id,
        )  # fmt: skip
    ledger.journal.close()
    result["cpu_count"] = os.cpu_count()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seconds", type=float, default=10.0, help="provenance load duration")
    parser.add_argument("--concurrency", type=int, default=32, help="provenance connections")
    parser.add_argument("--prints", type=int, default=5000, help="relayed attestations")
    parser.add_argument("--gib", type=float, default=1.0, help="container size (0: skip)")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
