"""A marked sample, printed to PDF by headless LibreOffice, shows the fills.

Skipped when LibreOffice (soffice) or poppler (pdftoppm) is not installed: CI machines may lack
them.  Install with ``apt-get install -y libreoffice-calc-nogui poppler-utils``.
Set CZCHECK_UPDATE_ARTIFACTS=1 to rewrite the kept pages under tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from validators.engine import validate_file
from validators.marking import mark_workbook

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftoppm")),
                                reason="LibreOffice (soffice) or pdftoppm not installed")


def to_pdf(xlsx: Path, out: Path, profile: Path) -> Path:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), str(xlsx)], check=True, capture_output=True, timeout=240)
    pdf = out / (xlsx.stem + ".pdf")
    assert pdf.exists()
    return pdf


def pages(pdf: Path, dpi: int = 20) -> list[tuple[int, int, bytes]]:
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), str(pdf), str(prefix)], check=True, timeout=240)
    out = []
    for ppm in sorted(pdf.parent.glob(prefix.name + "-*.ppm"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        magic, size, _maxval, pixels = ppm.read_bytes().split(b"\n", 3)
        assert magic == b"P6"
        w, h = map(int, size.split())
        out.append((w, h, pixels))
    return out


def fill_pixels(before: bytes, after: bytes) -> int:
    """Pixels that changed to a purple-ish tone (the 无法校验 fill of the samples' findings)."""
    count = 0
    for i in range(0, min(len(before), len(after)) - 2, 3):
        if before[i:i + 3] != after[i:i + 3]:
            r, g, b = after[i], after[i + 1], after[i + 2]
            if r > g + 15 and b > g + 15:
                count += 1
    return count


def test_marked_sample_pdf_shows_fills(zibo: Path, tmp_path: Path) -> None:
    marked = mark_workbook(zibo, validate_file(zibo).findings, tmp_path / "zibo-marked.xlsx")
    plain = tmp_path / "zibo-plain.xlsx"
    plain.write_bytes(zibo.read_bytes())
    profile = tmp_path / "lo-profile"
    original_pages = pages(to_pdf(plain, tmp_path, profile))
    marked_pdf = to_pdf(marked, tmp_path, profile)
    marked_pages = pages(marked_pdf)
    assert len(marked_pages) > len(original_pages), "the 校验结果 sheet adds pages"
    filled = [fill_pixels(a[2], b[2]) if a[:2] == b[:2] else 0 for a, b in zip(original_pages, marked_pages)]
    assert sum(1 for n in filled if n > 10) >= 3, f"fills not visible: {filled}"
    if os.environ.get("CZCHECK_UPDATE_ARTIFACTS"):
        best = filled.index(max(filled)) + 1
        ARTIFACTS.mkdir(exist_ok=True)
        for page, name in ((best, "zibo-marked-page"), (len(original_pages) + 1, "zibo-result-sheet-page")):
            subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                            str(marked_pdf), str(ARTIFACTS / name)], check=True, timeout=120)
