#!/usr/bin/env python
"""Benchmark the encrypted storage hot path against a plain fsynced copy on the same disk.

Prints a table, or one JSON object with ``--json``. Temp files live under
``<repo>/.partledger/bench`` (same disk as the store) and are removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from partledger.crypto import DataKey, HpkePrivateKey, HpkeSuiteId, allocator, unwrap_dek, wrap_dek
from partledger.storage import FilesystemBlobStore, retrieve_decrypted, store_encrypted

MIB = 1024 * 1024
REPO = Path(__file__).resolve().parent.parent


def make_input(path: Path, size: int) -> None:
    """Write ``size`` pseudo-random bytes (a random 1 MiB block varied per block), fsynced."""
    block = bytearray(os.urandom(MIB))
    with open(path, "wb") as out:
        written = 0
        while written < size:
            block[:8] = written.to_bytes(8, "big")
            n = min(MIB, size - written)
            out.write(block[:n])
            written += n
        out.flush()
        os.fsync(out.fileno())


def plain_copy(source: Path, destination: Path) -> float:
    """Buffered copy with 1 MiB reads/writes and a final fsync; return seconds."""
    start = time.perf_counter()
    with open(source, "rb") as src, open(destination, "wb") as dst:
        while chunk := src.read(MIB):
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return time.perf_counter() - start


def vm_hwm_kib() -> int:
    """Peak resident set size of this process (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("VmHWM not found")


def rss_child(input_path: Path, store_root: Path) -> None:
    """Child mode: encrypt ``input_path`` into a store and print the VmHWM growth (KiB)."""
    store = FilesystemBlobStore(store_root)
    before = vm_hwm_kib()
    result = store_encrypted(store, input_path)
    after = vm_hwm_kib()
    store.delete(result.container_sha256)
    print(json.dumps({"hwm_before_kib": before, "hwm_after_kib": after}))


def measure_rss(work: Path, size: int) -> float:
    """Encrypt a ``size``-byte file in a child process; return its peak RSS growth in MiB."""
    input_path = work / "rss-input.bin"
    make_input(input_path, size)
    try:
        output = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(input_path), str(work / "rss-store")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        input_path.unlink()
    report = json.loads(output.strip().splitlines()[-1])
    return float(report["hwm_after_kib"] - report["hwm_before_kib"]) / 1024


def hpke_rates(suite: HpkeSuiteId, rounds: int) -> tuple[float, float]:
    """Wraps and unwraps per second for one HPKE suite."""
    key = HpkePrivateKey.generate(suite)
    public = key.public_key()
    dek = DataKey.generate()
    design, licence = os.urandom(32), os.urandom(32)
    start = time.perf_counter()
    wrapped = [wrap_dek(dek, public, design_id=design, licence_id=licence) for _ in range(rounds)]
    wrap_s = time.perf_counter() - start
    start = time.perf_counter()
    for item in wrapped:
        unwrap_dek(item, key, design_id=design, licence_id=licence)
    unwrap_s = time.perf_counter() - start
    return rounds / wrap_s, rounds / unwrap_s


def drop_from_page_cache(path: Path) -> None:
    """Evict ``path``'s clean pages, so the next reader of it goes to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def measure_round(work: Path, source: Path, store: FilesystemBlobStore) -> tuple[float, ...]:
    """Seconds for: copy of the input, encrypt into the store, copy of the stored
    container, decrypt of it to a file. Both readers of the container find it
    evicted from the page cache (as a stored blob usually is)."""
    copy_s = plain_copy(source, work / "copy.bin")
    (work / "copy.bin").unlink()
    start = time.perf_counter()
    stored = store_encrypted(store, source)
    encrypt_s = time.perf_counter() - start
    container = store.path_of(stored.container_sha256)
    drop_from_page_cache(container)
    container_copy_s = plain_copy(container, work / "copy.bin")
    (work / "copy.bin").unlink()
    drop_from_page_cache(container)
    start = time.perf_counter()
    retrieve_decrypted(
        store,
        stored.container_sha256,
        stored.dek,
        work / "decrypted.bin",
        expected_plaintext_sha256=stored.plaintext_sha256,
    )
    decrypt_s = time.perf_counter() - start
    (work / "decrypted.bin").unlink()
    store.delete(stored.container_sha256)
    return copy_s, encrypt_s, container_copy_s, decrypt_s


def run(size_mib: int, rss_size_mib: int, hpke_rounds: int, rounds: int) -> dict[str, object]:
    """Run every measurement and return the figures.

    Copy, encrypt and decrypt are interleaved ``rounds`` times on the same disk and
    the medians compared, so a passing burst of host-side caching favours none.
    """
    size = size_mib * MIB
    base = REPO / ".partledger" / "bench"
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=base))
    try:
        source = work / "input.bin"
        make_input(source, size)
        store = FilesystemBlobStore(work / "store")
        timings = [measure_round(work, source, store) for _ in range(rounds)]
        source.unlink()
        rss_growth = measure_rss(work, rss_size_mib * MIB)
        wrap_x, unwrap_x = hpke_rates(HpkeSuiteId.X25519, hpke_rounds)
        wrap_pq, unwrap_pq = hpke_rates(HpkeSuiteId.MLKEM768_X25519, hpke_rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    copy_s, encrypt_s, container_copy_s, decrypt_s = (
        statistics.median(column) for column in zip(*timings, strict=True)
    )
    mb = size / 1e6
    return {
        "size_mib": size_mib,
        "rounds": rounds,
        "copy_mb_s": round(mb / copy_s, 1),
        "container_copy_mb_s": round(mb / container_copy_s, 1),
        "encrypt_mb_s": round(mb / encrypt_s, 1),
        "decrypt_mb_s": round(mb / decrypt_s, 1),
        "encrypt_ratio": round(copy_s / encrypt_s, 3),
        "decrypt_ratio": round(container_copy_s / decrypt_s, 3),
        "decrypt_ratio_vs_input_copy": round(copy_s / decrypt_s, 3),
        "rss_size_mib": rss_size_mib,
        "rss_growth_mib": round(rss_growth, 1),
        "hpke_x25519_wrap_per_s": round(wrap_x),
        "hpke_x25519_unwrap_per_s": round(unwrap_x),
        "hpke_mlkem768_x25519_wrap_per_s": round(wrap_pq),
        "hpke_mlkem768_x25519_unwrap_per_s": round(unwrap_pq),
        "per_round_mb_s": [
            {
                "copy": round(mb / c, 1),
                "encrypt": round(mb / e, 1),
                "container_copy": round(mb / cc, 1),
                "decrypt": round(mb / d, 1),
            }
            for c, e, cc, d in timings
        ],
    }


def print_table(figures: dict[str, Any]) -> None:
    """Human-readable report with the targets."""
    rows = [
        ("file size", f"{figures['size_mib']} MiB", f"median of {figures['rounds']} rounds"),
        ("plain copy + fsync of the input", f"{figures['copy_mb_s']} MB/s", "encrypt baseline"),
        (
            "plain copy + fsync of the container",
            f"{figures['container_copy_mb_s']} MB/s",
            "decrypt baseline",
        ),
        ("encrypt + hash -> store", f"{figures['encrypt_mb_s']} MB/s", ""),
        ("decrypt + verify -> file", f"{figures['decrypt_mb_s']} MB/s", ""),
        ("encrypt ratio", f"{figures['encrypt_ratio']:.2f}", "target >= 0.80"),
        ("decrypt ratio", f"{figures['decrypt_ratio']:.2f}", "target >= 0.80"),
        (
            "decrypt vs input copy",
            f"{figures['decrypt_ratio_vs_input_copy']:.2f}",
            "stricter: warm source",
        ),
        (
            f"peak RSS growth ({figures['rss_size_mib']} MiB)",
            f"{figures['rss_growth_mib']} MiB",
            "target < 64 MiB",
        ),
        ("HPKE x25519 wrap", f"{figures['hpke_x25519_wrap_per_s']}/s", ""),
        ("HPKE x25519 unwrap", f"{figures['hpke_x25519_unwrap_per_s']}/s", ""),
        ("HPKE mlkem768-x25519 wrap", f"{figures['hpke_mlkem768_x25519_wrap_per_s']}/s", ""),
        ("HPKE mlkem768-x25519 unwrap", f"{figures['hpke_mlkem768_x25519_unwrap_per_s']}/s", ""),
    ]
    for name, value, note in rows:
        print(f"{name:<36} {value:>14}  {note}")
    for number, row in enumerate(figures["per_round_mb_s"], 1):
        detail = (
            f"copy {row['copy']}  encrypt {row['encrypt']}  "
            f"container copy {row['container_copy']}  decrypt {row['decrypt']} MB/s"
        )
        print(f"  round {number}: {detail}")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024, help="throughput file size")
    parser.add_argument(
        "--rss-size-mib", type=int, default=None, help="RSS test file size (default 2x size)"
    )
    parser.add_argument("--hpke-rounds", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved throughput rounds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rss-child", nargs=2, metavar=("INPUT", "STORE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    allocator.tune_for_streaming()  # an entry point: measure the tuned pipeline, as the CLI runs it
    if args.rss_child:
        rss_child(Path(args.rss_child[0]), Path(args.rss_child[1]))
        return
    rss_size = args.rss_size_mib if args.rss_size_mib is not None else 2 * args.size_mib
    figures = run(args.size_mib, rss_size, args.hpke_rounds, args.rounds)
    if args.json:
        print(json.dumps(figures))
    else:
        print_table(figures)


if __name__ == "__main__":
    main()
