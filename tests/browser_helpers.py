"""Headless Chromium for the browser tests (the book's and Datasette's): Debian's chromium and chromium-driver.

A test that needs the browser calls :func:`require_chromium` (skips when it is missing and ``CI``
is unset; fails in CI), opens a driver with :func:`chromium_driver` and loads pages with
:func:`open_page`, which returns the console's SEVERE messages.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
IN_CI = bool(os.environ.get("CI"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--window-size=1280,1000"]


def require_chromium() -> None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if IN_CI:
            pytest.fail("CI: chromium and chromium-driver must be installed (.ci/run installs them with apt-get)")
        pytest.skip("chromium/chromium-driver not installed (apt-get install chromium chromium-driver)")


@contextlib.contextmanager
def chromium_driver(workdir: Path, font: Path | None = None):
    """A headless Chromium driver with its own profile in ``workdir``; ``font``: a CJK font it may use."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    env = dict(os.environ)
    if font is not None:
        # Chromium finds Chinese glyphs in this font (no system CJK font needed).
        fonts = workdir / "fonts"
        fonts.mkdir(parents=True, exist_ok=True)
        (fonts / font.name).unlink(missing_ok=True)
        (fonts / font.name).symlink_to(font)
        conf = workdir / "fonts.conf"
        conf.write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
            f'  <dir>{fonts}</dir>\n  <cachedir>{workdir / "font-cache"}</cachedir>\n</fontconfig>\n',
            encoding="utf-8")
        env["FONTCONFIG_FILE"] = str(conf)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={workdir / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER), env=env), options=options)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def open_page(driver, url: str) -> list[dict]:
    """Load ``url``, wait for it, and return the console messages of level SEVERE."""
    driver.get_log("browser")  # drop what earlier pages left
    driver.get(url)
    deadline = time.time() + 30
    while driver.execute_script("return document.readyState") != "complete" and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
