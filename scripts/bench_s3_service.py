#!/usr/bin/env python3
"""Benchmark a container's trip through the service on an S3 store vs plain boto3 transfers.

    .venv/bin/python scripts/bench_s3_service.py --mib 1024

Starts a moto S3 server (its own process, on a free 127.0.0.1 port) and the service
(``partledger serve`` with its own anvil, as ``bench_service.py`` does) with
``PARTLEDGER_BLOB_URL=s3://bench/svc?endpoint=...``. An OEM registers a random design of
``--mib`` MiB through the SDK (encrypted into a local store: its container and the
container's SHA-256 are then known), and per round:

- service-upload: the container POSTed to ``/v1/blobs?kind=container`` as a streamed
  octet-stream body with ``X-Content-SHA256`` (so the S3 store writes it in place);
- service-download: ``GET /v1/designs/{id}/container`` (the OEM's own container, the
  same streaming response as a hub's licensed download) to a file, hash checked;
- boto3-upload / boto3-download: ``upload_file`` / ``download_file`` (s3transfer defaults)
  of the same file to the same moto server;
- boto3-get: one streamed ``get_object`` to a file (1 MiB reads), the shape of the
  service's own read. ``download_file`` fetches 8 MiB ranges in parallel, and moto reads
  the whole object for every range, so against moto it is far slower than one stream:
  ``download_ratio_vs_get_object`` is the fairer download comparison and both are shown.

Rounds are interleaved (``--rounds``, medians); the stored objects are deleted between
rounds so each upload really uploads. Prints JSON: MB/s, service/boto3 throughput ratios
and the service process's RSS growth (peak ``VmHWM`` over its ``VmRSS`` after a warm-up).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from bench_s3 import _client, _free_port, _start_moto
from bench_service import Service, accounts, log

from partledger.chain.connect import connect
from partledger.chain.deployer import load_record
from partledger.crypto import HpkePrivateKey, Identity
from partledger.sdk import Admin, DesignMetadata, Ledger, Oem, Role

MiB = 1 << 20
BUCKET = "bench"
PREFIX = "svc"


def _status(pid: int, field: str) -> float:
    """A ``/proc/<pid>/status`` memory field in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu(pid: int) -> tuple[float, float]:
    """User and system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


class _CpuMeter:
    """CPU seconds (user, system) each named process spends in each phase."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.used: dict[str, dict[str, list[float]]] = {}

    def measure(self, phase: str, action: Any) -> Any:
        before = {name: _cpu(pid) for name, pid in self.pids.items()}
        result = action()
        totals = self.used.setdefault(phase, {name: [0.0, 0.0] for name in self.pids})
        for name, pid in self.pids.items():
            after = _cpu(pid)
            totals[name][0] += after[0] - before[name][0]
            totals[name][1] += after[1] - before[name][1]
        return result

    def report(self) -> dict[str, dict[str, dict[str, float]]]:
        return {
            phase: {n: {"user": round(u, 1), "sys": round(s, 1)} for n, (u, s) in used.items()}
            for phase, used in self.used.items()
        }


def _upload(service: Service, headers: dict[str, str], path: Path, sha256: str) -> float:
    def chunks() -> Any:
        with path.open("rb") as source:
            while chunk := source.read(MiB):
                yield chunk

    started = time.perf_counter()
    response = httpx.post(
        f"{service.url}/v1/blobs?kind=container",
        headers={
            **headers,
            "content-type": "application/octet-stream",
            "X-Content-SHA256": sha256,
        },
        content=chunks(),
        timeout=900,
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == sha256
    return elapsed


def _download(url: str, headers: dict[str, str], target: Path, sha256: str) -> float:
    digest = hashlib.sha256()
    started = time.perf_counter()
    with httpx.stream("GET", url, headers=headers, timeout=900) as stream, target.open("wb") as out:
        assert stream.status_code == 200, stream.read()
        for chunk in stream.iter_bytes(MiB):
            out.write(chunk)
            digest.update(chunk)
    elapsed = time.perf_counter() - started
    assert digest.hexdigest() == sha256
    target.unlink()
    return elapsed


def _get_object(client: Any, key: str, target: Path, sha256: str) -> None:
    """One streamed GET of ``key`` to ``target`` (hash checked), then the file removed."""
    digest = hashlib.sha256()
    body = client.get_object(Bucket=BUCKET, Key=key)["Body"]
    with target.open("wb") as out:
        for chunk in body.iter_chunks(MiB):
            out.write(chunk)
            digest.update(chunk)
    assert digest.hexdigest() == sha256
    target.unlink()


def _clear(client: Any) -> None:
    """Delete every stored object (and abort unfinished uploads) so the next round uploads."""
    listed = client.list_objects_v2(Bucket=BUCKET)
    for item in listed.get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    for upload in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []):
        client.abort_multipart_upload(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])


def run(args: argparse.Namespace) -> dict[str, Any]:
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    os.environ.setdefault("AWS_REGION", "us-east-1")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = _start_moto(port)
    try:
        client = _client(endpoint)
        client.create_bucket(Bucket=BUCKET)
        os.environ["PARTLEDGER_BLOB_URL"] = f"s3://{BUCKET}/{PREFIX}?endpoint={endpoint}"
        with tempfile.TemporaryDirectory(prefix="pl-bench-s3-service-") as tmp:
            work = Path(tmp)
            service = Service(work / "data")
            try:
                return _run(args, work, service, client, moto.pid)
            finally:
                service.stop()
    finally:
        moto.terminate()
        moto.wait(timeout=30)


def _run(
    args: argparse.Namespace, work: Path, service: Service, client: Any, moto_pid: int
) -> dict[str, Any]:
    deployment = load_record(work / "data" / "deployments" / "local.json")
    assert deployment is not None
    w3 = connect(f"http://127.0.0.1:{service.chain_port}")
    ledger = Ledger.open(w3, deployment, work / "oem")  # the OEM's own local store
    acct = accounts(2)
    Admin(ledger, acct[0]).grant(Role.OEM, acct[1].address)
    oem = Oem(ledger, Identity("oem", bytes(acct[1].key), HpkePrivateKey.generate()))
    log(f"{args.mib} MiB design: encrypting and registering")
    plain = work / "design.bin"
    with plain.open("wb") as out:
        block = os.urandom(16 * MiB)
        for _ in range(args.mib // 16):
            out.write(block)
        out.write(os.urandom(args.mib % 16 * MiB + 12345))  # not a multiple of a part
    registered = oem.register_design(plain, DesignMetadata("PN-S3", "A", "PA12", "SLS"))
    plain.unlink()
    sha256 = registered.container_sha256
    container = ledger.store.path_of(sha256)  # type: ignore[attr-defined]
    size = container.stat().st_size
    headers = service.token(oem.account)
    download_url = f"{service.url}/v1/designs/{registered.design_id}/container"
    out = work / "download.bin"

    log("warm-up (small container through the service)")
    small = work / "small.bin"
    small.write_bytes(os.urandom(100_000))
    warm = oem.register_design(small, DesignMetadata("PN-W", "A", "PA12", "SLS"))
    warm_path = ledger.store.path_of(warm.container_sha256)  # type: ignore[attr-defined]
    _upload(service, headers, warm_path, warm.container_sha256)
    warm_url = f"{service.url}/v1/designs/{warm.design_id}/container"
    _download(warm_url, headers, out, warm.container_sha256)
    pid = service.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to VmRSS
    rss_before = _status(pid, "VmRSS")

    timings: dict[str, list[float]] = {
        k: [] for k in ("boto3_up", "service_up", "boto3_down", "boto3_get", "service_down")
    }
    hwm_up = hwm_down = 0.0
    meter = _CpuMeter({"client": os.getpid(), "service": pid, "moto": moto_pid})

    def timed(phase: str, action: Any) -> None:
        started = time.perf_counter()
        meter.measure(phase, action)
        timings[phase].append(time.perf_counter() - started)

    for round_no in range(args.rounds):
        log(f"round {round_no + 1}/{args.rounds}")
        _clear(client)
        timed("boto3_up", lambda: client.upload_file(str(container), BUCKET, "plain/container"))
        timed("boto3_down", lambda: client.download_file(BUCKET, "plain/container", str(out)))
        assert out.stat().st_size == size
        out.unlink()
        timed("boto3_get", lambda: _get_object(client, "plain/container", out, sha256))
        client.delete_object(Bucket=BUCKET, Key="plain/container")
        timed("service_up", lambda: _upload(service, headers, container, sha256))
        hwm_up = max(hwm_up, _status(pid, "VmHWM"))
        timed("service_down", lambda: _download(download_url, headers, out, sha256))
        hwm_down = max(hwm_down, _status(pid, "VmHWM"))
    ledger.journal.close()
    median = {k: statistics.median(v) for k, v in timings.items()}
    mb = size / 1e6
    return {
        "container_bytes": size,
        "rounds": args.rounds,
        "server": "moto (own process, 127.0.0.1)",
        "store": f"s3://{BUCKET}/{PREFIX} (S3BlobStore defaults)",
        "download_route": "GET /v1/designs/{id}/container",
        "boto3_upload_mb_s": round(mb / median["boto3_up"], 1),
        "service_upload_mb_s": round(mb / median["service_up"], 1),
        "boto3_download_mb_s": round(mb / median["boto3_down"], 1),
        "service_download_mb_s": round(mb / median["service_down"], 1),
        "upload_ratio": round(median["boto3_up"] / median["service_up"], 3),
        "boto3_get_object_mb_s": round(mb / median["boto3_get"], 1),
        "download_ratio": round(median["boto3_down"] / median["service_down"], 3),
        "download_ratio_vs_get_object": round(median["boto3_get"] / median["service_down"], 3),
        "seconds": {k: [round(x, 2) for x in v] for k, v in timings.items()},
        "service_rss_before_mib": round(rss_before, 1),
        "service_rss_growth_upload_mib": round(hwm_up - rss_before, 1),
        "service_rss_growth_mib": round(max(hwm_up, hwm_down) - rss_before, 1),
        "cpu_seconds": meter.report(),
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=1024, help="design size in MiB (1 GiB)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (medians)")
    args = parser.parse_args()
    print(json.dumps(run(args), indent=1))


if __name__ == "__main__":
    main()
