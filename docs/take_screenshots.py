"""Take screenshots of every page on the demo study with headless Chromium.

    .venv/bin/python docs/take_screenshots.py [--study data/demo] [--out docs/screenshots]

Starts the dashboard on a free loopback port, loads each page at 1280x800 (and the patient page at
1920x1080, the tumour-board screen) and writes one PNG per page.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (file name, path, window size, milliseconds to let the page render)
PAGES = [
    ("overview.png", "/", (1280, 800), 6000),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"dashboard did not answer at {url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--study", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", help="take only this file name")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        print("chromium not found: apt-get install chromium", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cache = tempfile.mkdtemp(prefix="screenshots-cache-")
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--study", str(args.study), "--port", str(port),
                               "--cache-dir", cache], cwd=ROOT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        for name, path, (width, height), budget in PAGES:
            if args.only and name != args.only:
                continue
            profile = tempfile.mkdtemp(prefix="chromium-profile-")
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},{height}",
                            f"--virtual-time-budget={budget}", f"--screenshot={args.out / name}",
                            f"http://127.0.0.1:{port}{path}"], check=True, capture_output=True, timeout=120)
            shutil.rmtree(profile, ignore_errors=True)
            print(f"wrote {args.out / name}")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
