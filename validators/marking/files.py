"""Marking and clearing files on disk, safely: the CLI's write paths (``--mark``, ``--out``,
``--in-place``, ``clear``).

The package work is in apply.py (bytes in, bytes out); every file operation goes through
validators/safewrite.py (checks, a per-destination lock, exclusive temp, verify, rename) and every
package read through validators/package.py (the same limits as validate).  A file is reported
written only after what is on disk was verified as a sound package.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .. import package, safewrite
from ..model import Finding
from .apply import ClearStats, clear_data, mark_data
from .errors import MarkingError


@dataclass
class Written:
    path: Path  # the file written, as the user named it
    target: Path  # the file actually replaced (differs when ``path`` is a symlink)
    backup: Path | None = None
    notes: list[str] = field(default_factory=list)  # Chinese, for the user

    def describe(self) -> str:
        """Chinese, one line: what was written and where the backup is."""
        text = safewrite.shown(self.path)
        if self.target != self.path:
            text += f"（符号链接，已写入其指向的文件 {safewrite.shown(self.target)}）"
        if self.backup is not None:
            text += f"（原文件备份：{safewrite.shown(self.backup)}）"
        return text


def verify_workbook(data: bytes) -> str | None:
    """None when ``data`` is a sound workbook package, else why not (Chinese)."""
    return package.is_valid_package(data)


def _read(path: Path) -> bytes:
    try:
        return package.read_file(path)
    except package.UnsafeWorkbook as exc:
        raise MarkingError(str(exc)) from exc
    except OSError as exc:
        raise MarkingError(f"无法读取 {safewrite.shown(path)}：{exc.strerror or exc}") from exc


@contextmanager
def _writing(path: Path):
    """Every write here fails the same way: safewrite's refusal or an operating-system error, in Chinese."""
    try:
        yield
    except safewrite.WriteRefused as exc:
        raise MarkingError(str(exc)) from exc
    except OSError as exc:
        raise MarkingError(f"无法写入 {safewrite.shown(path)}：{safewrite.os_error_text(exc)}") from exc


def mark_copy(source: Path, findings: Iterable[Finding], dest: Path, *, force: bool = False) -> Written:
    """Write a marked copy of ``source`` at ``dest`` (created or replaced; never through a symlink)."""
    source, dest = Path(source), Path(dest)
    findings = list(findings)
    with _writing(dest):
        dest.parent.mkdir(parents=True, exist_ok=True)
        safewrite.preflight(dest, force=force, output=True)
        with safewrite.dest_lock(dest):
            safewrite.preflight(dest, force=force, output=True)
            data = _read(source)
            marked = mark_data(data, findings, source.suffix.lower())
            like = dest if dest.exists() and not dest.is_symlink() else source
            safewrite.write_atomic(dest, marked, like=like, verify=verify_workbook)
    return Written(dest, dest)


def mark_in_place(source: Path, findings: Iterable[Finding], *, force: bool = False, backup: bool = True) -> Written:
    """Mark ``source`` itself: verified backup first (``<stem>.备份.xlsx`` or the next free name),
    then the marked package replaces the file (through a symlink, keeping mode and owner).
    ``backup=False`` re-marks a file this run has already backed up (its marks are replaced)."""
    source = Path(source)
    findings = list(findings)
    target = safewrite.real_target(source)
    with _writing(source):
        safewrite.preflight(target, force=force)
        with safewrite.dest_lock(target):
            safewrite.preflight(target, force=force)
            data = _read(target)
            marked = mark_data(data, findings, target.suffix.lower())
            saved = safewrite.write_backup(source, data, verify_workbook, like=target) if backup else None
            safewrite.write_atomic(target, marked, verify=verify_workbook)
    return Written(source, target, saved.path if saved else None, saved.notes if saved else [])


def clear_file(source: Path, dest: Path | None = None, *, force: bool = False) -> tuple[Written | None, ClearStats]:
    """Take czcheck's marks off ``source`` (in place, through a symlink) or write the cleared copy at
    ``dest``.  (None, stats) when the workbook carries no marks: nothing is written."""
    source = Path(source)
    in_place = dest is None or Path(dest).resolve() == source.resolve()
    target = safewrite.real_target(source) if in_place else Path(dest)  # type: ignore[arg-type]
    with _writing(target):
        if in_place:
            safewrite.preflight(target, force=force)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            safewrite.preflight(target, force=force, output=True)
        with safewrite.dest_lock(target):
            data = _read(target if in_place else source)
            cleared, stats = clear_data(data, source.suffix.lower())
            if cleared is None:
                return None, stats
            like = target if target.exists() and not target.is_symlink() else source
            safewrite.write_atomic(target, cleared, like=like, verify=verify_workbook)
    return Written(source if in_place else target, target), stats
