"""Replicas started together on a fresh PostgreSQL database migrate it one at a time: every
process comes up, and the schema is built exactly once (index and service tables)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from replicas.support import postgres_available, scratch_database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL on 127.0.0.1:5432"),
]

MIGRATE = """
import sys
from partledger.api.services.db import open_service_database
from partledger.index.db import open_database
url = sys.argv[1]
open_database(url).dispose()
open_service_database(url).dispose()
print("migrated")
"""


def test_four_processes_migrating_one_fresh_database_at_once_all_succeed() -> None:
    with scratch_database() as url:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE, url],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(4)
        ]
        results = [p.communicate(timeout=120) for p in processes]
        for process, (out, err) in zip(processes, results, strict=True):
            assert process.returncode == 0, err.decode()[-2000:]
            assert out.strip() == b"migrated"
