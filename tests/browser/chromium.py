"""Debian's chromium driven by Playwright (no browser download) for the browser tests.

A test module sets ``pytestmark = needs_chromium`` (skipped where there is no chromium) and
launches ``pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)``.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("PARTLEDGER_CHROMIUM", "/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")
needs_chromium = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason=f"no chromium at {CHROMIUM} (apt-get install chromium)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
