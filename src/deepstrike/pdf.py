"""Print the briefing to PDF with headless Chromium (charts are drawn by plotly.js first)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# No network, no first-run chores; the page itself needs nothing from outside.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
    "--run-all-compositor-stages-before-draw",
    # Time for plotly.js to draw every chart before the page is printed.
    "--virtual-time-budget=15000",
    # About the width of an A4 page, so charts are laid out at print width.
    "--window-size=1000,1400",
]


class PdfError(RuntimeError):
    """The PDF could not be written; the HTML briefing is unaffected."""


def chromium() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError(
        "--pdf needs Chromium, which was not found (on Debian/Ubuntu: apt-get install chromium)"
    )


def write_pdf(html_path: Path, pdf_path: Path, timeout: float = 120.0) -> Path:
    """Render `html_path` to `pdf_path` atomically; raise PdfError with Chromium's words.

    The build prints into its staging folder, so the PDF is part of the output set: replaced
    with the briefing, or absent when this build printed none (never an older one)."""
    exe = chromium()
    tmp = pdf_path.with_name(f".{pdf_path.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="deepstrike-chromium-") as profile:
        cmd = [
            exe,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp}",
            html_path.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            tmp.unlink(missing_ok=True)
            raise PdfError(f"Chromium did not finish printing within {timeout:.0f} s") from None
    if done.returncode != 0 or not _is_pdf(tmp):
        tmp.unlink(missing_ok=True)
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise PdfError("Chromium could not print the briefing: " + " / ".join(tail))
    try:
        # Chromium wrote it without fsync; a PDF cut short by a crash must not replace a whole one.
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, pdf_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PdfError(f"cannot write {pdf_path} ({exc.strerror})") from None
    return pdf_path


def _is_pdf(path: Path) -> bool:
    """A whole PDF file: the header at the start and the end-of-file marker near the end."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(5)
            handle.seek(max(0, path.stat().st_size - 1024))
            tail = handle.read()
    except OSError:
        return False
    return head == b"%PDF-" and b"%%EOF" in tail
