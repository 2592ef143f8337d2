"""Chromium for the gallery's browser tests, bench and screenshot: the OS package, headless.

Playwright's own browser download cannot run here, so it drives the Chromium of the OS
(``apt-get install chromium``); the flags keep it from reaching for the network on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None; in CI they must, so None there."""
    if CHROMIUM.exists() or os.environ.get("CI"):
        return None
    return f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it, see .ci/run)"


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
