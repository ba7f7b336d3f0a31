"""Batch validation: many workbooks in parallel, results in input order whatever the scheduling.

``validate_file`` stays the per-file unit; this module only distributes it:

- locally over a process pool (``jobs`` processes, default all usable cores), or in-process when
  there is one job or one file;
- on a Dask distributed cluster (``engine="dask"``, ``scheduler`` = its address).

A worker never raises for a bad file (``validate_file`` turns bad input into ``Report.error``); an
unexpected exception in the engine, or a worker process that dies, also becomes a clear per-file entry,
so a batch always returns exactly one Report per input file, in input order.

Reports come back *slim*: the Disclosure keeps department, year, kind, unit and profile but not its
tables, so the parent's memory does not grow with the size of the workbooks.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Callable, Sequence, TextIO

from .model import Disclosure, Finding, Report, Severity

# A hook run in the worker right after a file is validated (e.g. writing a marked copy).  It must be a
# module-level function (picklable).  It returns the path of what it wrote, or None.
AfterHook = Callable[[Report], "str | None"]


@dataclass
class BatchResult:
    """One Report per input file, in input order, plus what the hooks wrote (source -> path)."""

    reports: list[Report]
    outputs: dict[str, str] = field(default_factory=dict)  # e.g. source -> marked copy
    elapsed: float = 0.0
    messages: dict[str, str] = field(default_factory=dict)  # source -> Chinese line: what was written (and backup)
    notes: dict[str, list[str]] = field(default_factory=dict)  # source -> Chinese notes (e.g. a broken earlier backup)

    @property
    def has_errors(self) -> bool:
        return any(r.has_errors for r in self.reports)

    @property
    def unreadable(self) -> int:
        return sum(1 for r in self.reports if r.error)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def slim(report: Report) -> Report:
    """The report without the parsed tables (what crosses the process boundary)."""
    d = report.disclosure
    if d is not None:
        from .report.tables import CACHE_KEY, found_tables

        report.disclosure = Disclosure(
            source=d.source, kind=d.kind, year=d.year, department=d.department, unit=d.unit, format=d.format,
            cache={CACHE_KEY: found_tables(d)},
        )
    return report


def validate_one(source: str, read_path: str | None = None, after: AfterHook | None = None) -> tuple[Report, str | None]:
    """Worker unit: validate one file, never raise.  ``read_path`` is where to read it (Dask workers get an
    absolute path); the Report keeps ``source`` as the user gave it."""
    from .engine import validate_file

    try:
        report = validate_file(read_path or source)
    except Exception as exc:  # an engine bug must not stop the batch: it becomes this file's entry
        report = Report(source=source, error=f"校验程序内部错误（{type(exc).__name__}：{exc}），请把该文件报告给维护人员")
    report.source = source
    if report.disclosure is not None:
        report.disclosure.source = source
    written = None
    if after is not None and report.error is None:
        try:
            written = after(report)
        except Exception as exc:  # a failed mark/copy never hides the findings: it is added to them
            report.findings.append(write_failure(exc))
    return slim(report), written


WRITE_FAILURE_CODE = "WR001"


def write_failure(exc: BaseException) -> Finding:
    """The finding that says a requested write (marked copy, --in-place) failed; the file's other
    findings stay.  The CLI exits 2 when a report carries it."""
    from .marking import MarkingError

    from .safewrite import WriteRefused, os_error_text

    if isinstance(exc, (MarkingError, WriteRefused)):
        why = str(exc)
    elif isinstance(exc, OSError):
        why = os_error_text(exc)
    else:
        why = f"程序内部错误（{type(exc).__name__}），请把该文件报告给维护人员"
    return Finding(code=WRITE_FAILURE_CODE, severity=Severity.WARNING, rule_name="标注文件未能写入",
                   message=f"校验已完成（结果见本报告），但标注文件未能写入：{why}")


def write_failed(report: Report) -> bool:
    return any(f.code == WRITE_FAILURE_CODE for f in report.findings)


def _crashed(source: str) -> Report:
    return Report(source=source, error="校验进程异常退出（文件可能损坏或过大，耗尽内存），该文件未能校验")


# ---------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar with counts and ETA on a terminal; silent otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None, width: int = 28):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled and total > 0
        self.width = width
        self.done = 0
        self.errors = 0  # files with 错误
        self.unreadable = 0
        self.start = time.monotonic()
        self._last = 0.0

    def update(self, report: Report) -> None:
        self.done += 1
        if report.error:
            self.unreadable += 1
        elif report.has_errors:
            self.errors += 1
        now = time.monotonic()
        if self.enabled and (now - self._last >= 0.1 or self.done == self.total):
            self._last = now
            self.stream.write("\r" + self.line(now) + "\x1b[K")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        elapsed = now - self.start
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        bar = "█" * filled + "░" * (self.width - filled)
        if self.done and self.done < self.total:
            eta = _clock(elapsed / self.done * (self.total - self.done))
        elif self.done >= self.total:
            eta = "00:00"
        else:
            eta = "--:--"
        return (f"校验 {bar} {self.done}/{self.total} {frac:4.0%}  用时 {_clock(elapsed)}  剩余 {eta}  "
                f"有错误 {self.errors}  无法读取 {self.unreadable}")

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


# ---------------------------------------------------------------- engines


def validate_many(
    files: Sequence[str | Path],
    jobs: int | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    after: AfterHook | None = None,
    connect_timeout: str = "20s",
) -> BatchResult:
    """Validate ``files``; one Report per file, in the order given."""
    sources = [str(f) for f in files]
    started = time.monotonic()
    if engine == "dask":
        pairs = _run_dask(sources, scheduler, progress, after, connect_timeout)
    elif engine == "local":
        jobs = default_jobs() if not jobs or jobs < 1 else jobs
        if jobs == 1 or len(sources) <= 1:
            pairs = _run_inline(sources, progress, after)
        else:
            pairs = _run_pool(sources, jobs, progress, after)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    if progress is not None:
        progress.close()
    outputs = {r.source: str(getattr(w, "path", w)) for r, w in pairs if w}
    messages = {r.source: w.describe() if hasattr(w, "describe") else str(w) for r, w in pairs if w}
    notes = {r.source: list(getattr(w, "notes", [])) for r, w in pairs if w and getattr(w, "notes", None)}
    return BatchResult([r for r, _ in pairs], outputs, time.monotonic() - started, messages, notes)


def _run_inline(sources: list[str], progress: Progress | None, after: AfterHook | None) -> list[tuple[Report, str | None]]:
    out = []
    for s in sources:
        pair = validate_one(s, None, after)
        out.append(pair)
        if progress is not None:
            progress.update(pair[0])
    return out


def _warm() -> None:
    """Pool initializer: import the engine and load the rule catalogue once per worker."""
    from .rules import all_rules

    all_rules()


def _run_pool(sources: list[str], jobs: int, progress: Progress | None, after: AfterHook | None) -> list[tuple[Report, str | None]]:
    # imported here: a single-file run (in-process) never loads the process pool machinery
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    results: list[tuple[Report, str | None] | None] = [None] * len(sources)
    pending = list(range(len(sources)))
    suspects: list[int] = []
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(sources)), initializer=_warm)
    try:
        futures: dict[Future, int] = {pool.submit(validate_one, sources[i], None, after): i for i in pending}
        not_done = set(futures)
        while not_done:
            done, not_done = wait(not_done, return_when=FIRST_COMPLETED)
            for fut in done:
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except BrokenProcessPool:
                    suspects.append(i)  # rerun alone below to find which file kills a worker
                    continue
                if progress is not None:
                    progress.update(results[i][0])
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: do not wait for the queued files
        raise
    pool.shutdown(wait=True)
    # A dead worker breaks the whole pool: every unfinished file is retried, one at a time, in a fresh
    # single-worker pool, so only the file that really kills a worker is reported as crashed.
    for i in sorted(suspects):
        with ProcessPoolExecutor(max_workers=1, initializer=_warm) as pool:
            try:
                results[i] = pool.submit(validate_one, sources[i], None, after).result()
            except BrokenProcessPool:
                results[i] = (_crashed(sources[i]), None)
        if progress is not None:
            progress.update(results[i][0])
    return results  # type: ignore[return-value]


def _run_dask(sources: list[str], scheduler: str | None, progress: Progress | None, after: AfterHook | None,
              connect_timeout: str = "20s") -> list[tuple[Report, str | None]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise RuntimeError("未安装 Dask：请执行 pip install 'czcheck[dask]'") from exc
    if not scheduler:
        raise RuntimeError("使用 --engine dask 时必须用 --scheduler 指定调度器地址，例如 tcp://10.0.0.5:8786")
    results: list[tuple[Report, str | None] | None] = [None] * len(sources)
    # Workers read the files themselves: give them absolute paths (a shared file system is required).
    read_paths = [str(Path(s).resolve()) for s in sources]
    try:
        client = Client(scheduler, timeout=connect_timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RuntimeError(f"无法连接 Dask 调度器 {scheduler}（{type(exc).__name__}），请检查地址和网络") from exc
    with client:
        futures = client.map(validate_one, sources, read_paths, after=after, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except Exception as exc:  # a lost worker or a scheduler error is reported on the file
                results[i] = (Report(source=sources[i], error=f"集群执行失败（{type(exc).__name__}：{exc}），该文件未能校验"), None)
            if progress is not None:
                progress.update(results[i][0])
    return results  # type: ignore[return-value]


# ---------------------------------------------------------------- helpers for outputs


@dataclass(frozen=True)
class MarkCopies:
    """``after`` hook for ``--mark``: write a marked copy of each validated file, in the worker, right after
    validation: beside the source as ``<stem>.校验.xlsx``, or under ``out_dir`` (same relative folders,
    never outside it).  Picklable, so it runs in pool workers and on Dask workers alike.  Writes go through
    marking/files.py (validators/safewrite.py): locked, exclusive temp, verified, renamed."""

    out_dir: str | None = None
    suffix: str = ".校验"
    base: str | None = None  # sources are placed relative to this folder when given
    force: bool = False

    def __call__(self, report: Report):
        from .marking.files import mark_copy

        source = Path(report.source)
        if self.out_dir is None:
            dest = source.with_name(f"{source.stem}{self.suffix}{source.suffix}").absolute()
        else:
            dest = safe_output_path(self.out_dir, report.source, self.suffix, self.base)
        if dest.resolve() == source.resolve():
            raise UnsafeOutputPath("标注副本不能覆盖原文件")
        if _is_pdf(source):  # an annotated copy <stem>.校验.pdf
            from .marking.files import Written
            from .marking.pdf import mark_pdf

            return Written(mark_pdf(source, report.findings, dest, force=self.force), dest)
        return mark_copy(source, report.findings, dest, force=self.force)


@dataclass(frozen=True)
class MarkInPlace:
    """``after`` hook for ``--mark --in-place``: a verified backup ``<stem>.备份.xlsx`` (the next free
    name if that exists; earlier backups are never overwritten), then the source itself is marked."""

    force: bool = False

    def __call__(self, report: Report):
        from .marking.files import mark_in_place

        if _is_pdf(Path(report.source)):
            raise UnsafeOutputPath("PDF 不能直接标注原文件，请用 --mark 生成标注副本（文件名.校验.pdf）")
        return mark_in_place(Path(report.source), report.findings, force=self.force)


class UnsafeOutputPath(ValueError):
    pass


def _is_pdf(path: Path) -> bool:
    from .reading.grid import is_pdf

    return is_pdf(path)


def safe_output_path(out_dir: str | Path, source: str | Path, suffix: str = "", base: str | Path | None = None) -> Path:
    """Where to write a per-source output (e.g. a marked copy) inside ``out_dir``, never outside it.

    The source's path relative to ``base`` (or its own relative path) is kept so that equal file names in
    different folders do not collide; anchors, ``..`` and empty parts are dropped.  ``suffix`` is inserted
    before the extension: ``a/b.xlsx`` + ``_已标注`` -> ``out_dir/a/b_已标注.xlsx``.
    """
    out_dir = Path(out_dir).resolve()
    src = Path(source)
    rel: PurePath
    if base is not None:
        try:
            rel = src.resolve().relative_to(Path(base).resolve())
        except ValueError:
            rel = PurePath(src.name)
    else:
        rel = PurePath(src)
    parts = [p for p in rel.parts if p not in ("", ".", "..") and p != rel.anchor and "/" not in p and "\\" not in p]
    if not parts:
        raise UnsafeOutputPath(f"无法为 {source} 生成输出文件名")
    name = PurePath(parts[-1])
    parts[-1] = f"{name.stem}{suffix}{name.suffix}"
    dest = out_dir.joinpath(*parts)
    dest = dest.parent.resolve() / dest.name  # the name itself is never followed (a planted symlink)
    if dest != out_dir and out_dir not in dest.parents:
        raise UnsafeOutputPath(f"输出路径越出了输出文件夹：{dest}")
    return dest


