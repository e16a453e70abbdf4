"""Encrypting a large stream into the store keeps peak memory at a few segments."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from partledger.storage import FilesystemBlobStore, retrieve_decrypted, store_encrypted

    def hwm():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    block = os.urandom(1024 * 1024)
    store = FilesystemBlobStore(Path(sys.argv[1]))
    before = hwm()
    stored = store_encrypted(store, (block for _ in range(int(sys.argv[2]))))
    after_encrypt = hwm()
    out = Path(sys.argv[1]) / "out.bin"
    retrieve_decrypted(store, stored.container_sha256, stored.dek, out,
                       expected_plaintext_sha256=stored.plaintext_sha256)
    print(json.dumps({"before": before, "encrypt": after_encrypt, "decrypt": hwm()}))
    """
)


@pytest.mark.slow
def test_peak_rss_growth_stays_far_below_the_file_size(tmp_path: Path) -> None:
    mib = 256
    output = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "blobs"), str(mib)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kib = json.loads(output)
    assert (kib["encrypt"] - kib["before"]) / 1024 < 48
    assert (kib["decrypt"] - kib["before"]) / 1024 < 48
