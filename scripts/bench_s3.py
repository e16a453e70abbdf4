"""Benchmark: S3BlobStore vs plain boto3 transfers of one large file, on a local moto server.

    .venv/bin/python scripts/bench_s3.py --mib 256

Starts a moto S3 server (its own process, on a free 127.0.0.1 port), writes a random
file of ``--mib`` MiB, then times, each in a fresh process so peak RSS is its own:
boto3 ``upload_file`` / ``download_file`` (s3transfer defaults: 8 MiB parts, 10 threads)
and ``S3BlobStore.put`` (SHA-256 while uploading, then the server-side publish copy) /
``S3BlobStore.open`` read in 1 MiB chunks to a file. Prints JSON: seconds, MiB/s, peak
RSS growth over the process's warmed-up baseline, and S3BlobStore / boto3 time ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MiB = 1024 * 1024
PHASES = (
    "boto3-upload",
    "store-upload",
    "store-upload-known",
    "boto3-download",
    "store-download",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _client(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def run_phase(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    from partledger.storage import S3BlobStore

    client = _client(args.endpoint)
    store = S3BlobStore(
        args.bucket,
        "bench",
        endpoint_url=args.endpoint,
        part_size=args.part_mib * MiB,
        concurrency=args.concurrency,
    )
    client.put_object(Bucket=args.bucket, Key="warmup", Body=b"x")  # imports, connection
    store.put([b"warm up"])
    base = _rss_mib()
    source, out = Path(args.file), Path(args.out)
    result: dict[str, Any] = {}
    started = time.perf_counter()
    if args.phase == "boto3-upload":
        client.upload_file(str(source), args.bucket, "plain/blob")
    elif args.phase == "boto3-download":
        client.download_file(args.bucket, "plain/blob", str(out))
    elif args.phase == "store-upload":
        with source.open("rb") as stream:
            info = store.put(stream)
        result["sha256"] = info.sha256
    elif args.phase == "store-upload-known":  # the hash known: straight to the final key
        with source.open("rb") as stream:
            info = store.put(stream, expected_sha256=args.sha256)
        assert info.sha256 == args.sha256
    elif args.phase == "store-download":
        with store.open(args.sha256) as blob, out.open("wb") as sink:
            while chunk := blob.read(MiB):
                sink.write(chunk)
    seconds = time.perf_counter() - started
    if "download" in args.phase:
        assert out.stat().st_size == source.stat().st_size
    result.update(seconds=round(seconds, 3), rss_growth_mib=round(_rss_mib() - base, 1))
    return result


def _start_moto(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("moto server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=1024, help="file size in MiB (default 1 GiB)")
    parser.add_argument("--part-mib", type=int, default=8, help="S3BlobStore part size (MiB)")
    parser.add_argument("--concurrency", type=int, default=4, help="S3BlobStore parts in flight")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    for internal in ("--endpoint", "--bucket", "--file", "--out", "--sha256"):
        parser.add_argument(internal, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    if args.phase:
        print(json.dumps(run_phase(args)))
        return

    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = _start_moto(port)
    try:
        with tempfile.TemporaryDirectory(prefix="pl-bench-s3-") as work:
            source, out = Path(work) / "container.bin", Path(work) / "out.bin"
            with source.open("wb") as sink:
                for _ in range(args.mib):
                    sink.write(os.urandom(MiB))
            _client(endpoint).create_bucket(Bucket="bench")
            common = [
                *("--endpoint", endpoint, "--bucket", "bench", "--file", str(source)),
                *("--out", str(out), "--part-mib", str(args.part_mib)),
                *("--concurrency", str(args.concurrency)),
            ]
            results: dict[str, dict[str, Any]] = {}
            sha256 = ""
            for phase in PHASES:
                command = [sys.executable, __file__, "--phase", phase, *common]
                if sha256:
                    command += ["--sha256", sha256]
                if phase == "store-upload-known":  # upload again, not "stored already"
                    client = _client(endpoint)
                    for item in client.list_objects_v2(Bucket="bench", Prefix="bench/")["Contents"]:
                        client.delete_object(Bucket="bench", Key=item["Key"])
                answer = subprocess.run(command, capture_output=True, text=True, check=True)
                results[phase] = json.loads(answer.stdout)
                results[phase]["mib_per_s"] = round(args.mib / results[phase]["seconds"], 1)
                sha256 = results[phase].pop("sha256", sha256)
                out.unlink(missing_ok=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = {
        "mib": args.mib,
        "part_mib": args.part_mib,
        "concurrency": args.concurrency,
        "server": "moto (own process, 127.0.0.1)",
        "results": results,
        "ratio_upload": round(
            results["store-upload"]["seconds"] / results["boto3-upload"]["seconds"], 2
        ),
        "ratio_upload_known_hash": round(
            results["store-upload-known"]["seconds"] / results["boto3-upload"]["seconds"], 2
        ),
        "ratio_download": round(
            results["store-download"]["seconds"] / results["boto3-download"]["seconds"], 2
        ),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
