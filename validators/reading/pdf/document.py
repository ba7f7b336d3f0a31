"""Opening a PDF: header, encryption, damage and scans become a Chinese ReadError, never a traceback."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ..grid import ReadError

MAX_BYTES = 200 * 1024 * 1024
MAX_PAGES = 2000


@contextmanager
def open_pdf(path: str | Path) -> Iterator[Any]:
    path = Path(path)
    if not path.exists():
        raise ReadError(f"文件不存在：{path}")
    if not path.is_file():
        raise ReadError(f"这不是普通文件，不能作为 PDF 读取：{path}")
    size = path.stat().st_size
    if size == 0:
        raise ReadError("PDF 文件为空（0 字节），请重新下载或导出")
    if size > MAX_BYTES:
        raise ReadError(f"PDF 文件过大（{size / 1024 / 1024:,.0f} MB），超过 czcheck 的读取上限 {MAX_BYTES // 1024 // 1024} MB")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise ReadError("文件不是 PDF：内容格式不符，可能是改了扩展名的其他文件")
    try:
        import pdfplumber
    except ImportError as exc:  # pragma: no cover - a broken installation
        raise ReadError("读取 PDF 需要 pdfplumber，请重新安装 czcheck（pip install czcheck）") from exc
    try:
        from pdfminer.pdfdocument import PDFPasswordIncorrect
    except ImportError:  # pdfplumber-rs has no pdfminer
        PDFPasswordIncorrect = _NeverRaised
    try:
        pdf = pdfplumber.open(path)
    except PDFPasswordIncorrect as exc:
        raise ReadError(ENCRYPTED) from exc
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many undocumented types for damaged files
        if _encrypted(path) or isinstance(exc.__cause__ or exc.__context__, PDFPasswordIncorrect):
            raise ReadError(ENCRYPTED) from exc
        raise ReadError(_broken(exc)) from exc
    try:
        try:
            n = len(pdf.pages)
        except Exception as exc:  # noqa: BLE001 - as above
            raise ReadError(_broken(exc)) from exc
        if n == 0:
            raise ReadError("PDF 中没有页面，文件可能已损坏，请重新下载或导出")
        if n > MAX_PAGES:
            raise ReadError(f"PDF 页数过多（{n} 页），超过 czcheck 的读取上限 {MAX_PAGES} 页")
        yield _Guarded(pdf)
    finally:
        try:
            pdf.close()
        except Exception:  # noqa: BLE001 - closing a damaged file must not hide the real message
            pass


ENCRYPTED = "PDF 设置了打开密码（已加密），czcheck 无法读取。请取得不加密的版本（或在阅读器中输入密码后另存为不加密的 PDF）再校验"


class _NeverRaised(Exception):
    pass


def _encrypted(path: Path) -> bool:
    """An /Encrypt entry in the file's trailer (read only when opening failed)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - 64 * 1024))
            tail = fh.read()
            fh.seek(0)
            head = fh.read(64 * 1024)
    except OSError:
        return False
    return b"/Encrypt" in tail or b"/Encrypt" in head


def broken_message(exc: BaseException) -> str:
    return _broken(exc)


def _broken(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Password" in name or "Encrypt" in name or "crypt" in str(exc).lower():
        return "PDF 设置了打开密码或权限加密，czcheck 无法读取。请取得不加密的版本后再校验"
    return f"PDF 文件已损坏或不完整，无法读取（{name}）。请重新下载或从原文件重新导出 PDF"


class _Guarded:
    """pdfplumber's PDF whose page access turns parser failures into ReadError."""

    def __init__(self, pdf: Any):
        self._pdf = pdf

    @property
    def pages(self) -> list[Any]:
        try:
            return self._pdf.pages
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - damaged page tree
            raise ReadError(_broken(exc)) from exc
