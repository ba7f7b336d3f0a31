"""Faults while czcheck writes into users' files (issue 13): kill -9 at random points, a full disk,
two czcheck processes on one destination.

Each case asserts that the original is intact or recoverable from a valid, named backup, that no
temporary file survives the next run, and that nothing is reported written unless it is a valid,
marked workbook.  Real subprocesses of the real CLI; bounded loops (the whole file runs in ~30 s).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from validators import package, safewrite
from validators.engine import validate_file
from validators.marking import MarkingError
from validators.marking.apply import mark_data
from validators.marking.files import clear_file, mark_in_place

SAMPLE = Path(__file__).resolve().parent.parent / "workbooks" / "samples" / "yanbian-2024-budget.xlsx"
KILLS_PER_COMMAND = 3
SEED = int(os.environ.get("CZCHECK_FAULT_SEED", "1313"))


def czcheck(*args: str) -> list[str]:
    return [sys.executable, "-m", "validators", *args]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def is_marked(path: Path) -> bool:
    return any(n.startswith("customXml/") and b"urn:czcheck:marks" in d for n, d in parts(path).items())


def temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(safewrite.TEMP_SUFFIX)]


def assert_intact_or_recoverable(book: Path, original: bytes) -> None:
    """The workbook is a sound package: the original, or marked with a valid backup of the original."""
    data = book.read_bytes()
    assert package.is_valid_package(data) is None, f"{book} is broken after a kill"
    backups = sorted(book.parent.glob(f"{book.stem}.备份*{book.suffix}"), key=lambda p: (len(p.name), p.name))
    for b in backups:  # a backup name only ever appears complete
        assert package.is_valid_package(b.read_bytes()) is None, f"backup {b.name} is broken"
    if backups:
        assert backups[0].read_bytes() == original, "the first backup is the original"
    if data != original:
        assert is_marked(book) and backups, "changed without a named backup"
        assert parts(book)["xl/workbook.xml"]  # marked from the original


def run_and_kill(cmd: list[str], after: float) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(after)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture(scope="module")
def duration(tmp_path_factory) -> float:
    """How long one uninterrupted ``--in-place`` run takes here (kill points are drawn inside it)."""
    folder = tmp_path_factory.mktemp("timing")
    book = folder / "b.xlsx"
    shutil.copyfile(SAMPLE, book)
    start = time.monotonic()
    subprocess.run(czcheck("validate", str(book), "--in-place"), capture_output=True, check=False)
    return time.monotonic() - start


@pytest.mark.parametrize("command", ["in-place", "clear", "out"])
def test_kill_9_at_random_points_never_loses_the_original(command: str, tmp_path: Path, duration: float) -> None:
    rng = random.Random(f"{SEED}-{command}")
    original = SAMPLE.read_bytes()
    marked_original = mark_data(original, validate_file(SAMPLE).findings)
    for i in range(KILLS_PER_COMMAND):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        book = folder / "预算.xlsx"
        start = marked_original if command == "clear" else original
        book.write_bytes(start)
        out = folder / "out"
        cmd = {"in-place": czcheck("validate", str(book), "--in-place"),
               "clear": czcheck("clear", str(book)),
               "out": czcheck("validate", str(book), "--out", str(out))}[command]
        run_and_kill(cmd, rng.uniform(0.3, 1.1) * duration)
        if command == "clear":
            data = book.read_bytes()
            assert data in (marked_original, ) or (package.is_valid_package(data) is None and not is_marked(book))
        elif command == "in-place":
            assert_intact_or_recoverable(book, original)
        else:
            assert book.read_bytes() == original
            for copy in out.rglob("*.xlsx"):
                assert package.is_valid_package(copy.read_bytes()) is None and is_marked(copy)
        # the next run finishes the job and leaves no temporary or lock file behind
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert done.returncode in (0, 1), done.stderr
        assert not temps(folder)
        assert not [p for p in folder.rglob(f"*{safewrite.LOCK_SUFFIX}")]
        if command == "in-place":
            assert_intact_or_recoverable(book, original)
            assert is_marked(book)
        elif command == "clear":
            assert not is_marked(book)
            assert parts(book) == parts(SAMPLE)


# -- a full disk -------------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path):
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        pytest.skip("a small tmpfs needs root on Linux")
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill_to(folder: Path, free: int) -> None:
    """Leave about ``free`` bytes free on the file system of ``folder``."""
    st = os.statvfs(folder)
    avail = st.f_bavail * st.f_frsize
    filler = folder / "filler.bin"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, avail - free))


@pytest.mark.parametrize("room", ["no room for the backup", "no room for the marked file"])
def test_full_disk_leaves_the_original_and_no_temp(small_disk: Path, room: str) -> None:
    original = SAMPLE.read_bytes()
    findings = validate_file(SAMPLE).findings
    marked = mark_data(original, findings)
    book = small_disk / "预算.xlsx"
    book.write_bytes(original)
    free = len(original) // 2 if room.startswith("no room for the backup") else len(original) + 8192 + len(marked) // 3
    _fill_to(small_disk, free)
    with pytest.raises(MarkingError, match="磁盘空间不足"):
        mark_in_place(book, findings)
    assert book.read_bytes() == original
    assert not temps(small_disk)
    backups = list(small_disk.glob("预算.备份*.xlsx"))
    assert all(b.read_bytes() == original for b in backups)  # none, or a complete verified one
    (small_disk / "filler.bin").unlink()
    written = mark_in_place(book, findings)
    assert is_marked(book) and written.backup is not None and written.backup.read_bytes() == original


def test_full_disk_during_clear_and_the_cli_message(small_disk: Path) -> None:
    original = SAMPLE.read_bytes()
    marked = mark_data(original, validate_file(SAMPLE).findings)
    book = small_disk / "预算.xlsx"
    book.write_bytes(marked)
    _fill_to(small_disk, len(original) // 3)
    with pytest.raises(MarkingError, match="磁盘空间不足"):
        clear_file(book)
    assert book.read_bytes() == marked and not temps(small_disk)
    done = subprocess.run(czcheck("clear", str(book)), capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "磁盘空间不足" in done.stderr and "已清除" not in done.stdout
    done = subprocess.run(czcheck("validate", str(SAMPLE), "--out", str(small_disk / "out")), capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2 and "已标注" not in done.stderr and "磁盘空间不足" in done.stdout
    assert "错误 4 项" in done.stdout  # the findings are still there
    assert not list((small_disk / "out").rglob("*.xlsx")) and not temps(small_disk)


# -- two czcheck processes, one destination -----------------------------------------------------------------
def test_two_batches_into_one_out_folder(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        shutil.copyfile(SAMPLE, src / f"部门{i}.xlsx")
    out = tmp_path / "out"
    cmd = czcheck("validate", str(src), "--out", str(out), "--jobs", "1")
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errs = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [1, 1], errs
    copies = sorted(out.rglob("*.xlsx"))
    assert len(copies) == 6
    for copy in copies:
        assert package.is_valid_package(copy.read_bytes()) is None and is_marked(copy)
    for err in errs:
        reported = [line.split("：", 1)[1] for line in err.splitlines() if line.startswith("已标注")]
        assert len(reported) == 6 and all(Path(r).exists() and is_marked(Path(r)) for r in reported)
    assert not temps(tmp_path)


def test_clear_racing_in_place_is_serialised(tmp_path: Path) -> None:
    books = []
    for i in range(4):
        b = tmp_path / f"部门{i}.xlsx"
        shutil.copyfile(SAMPLE, b)
        books.append(b)
    names = [str(b) for b in books]
    for _round in range(2):
        procs = [subprocess.Popen(czcheck("validate", *names, "--in-place", "--jobs", "1"), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True),
                 subprocess.Popen(czcheck("clear", *names), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
        for p in procs:
            p.communicate()
        assert procs[0].returncode == 1 and procs[1].returncode == 0
    expected = parts(SAMPLE)
    for b in books:
        assert package.is_valid_package(b.read_bytes()) is None
        if is_marked(b):  # the marks of the last writer, complete; clearing gives the original back
            clear_file(b)
        assert parts(b) == expected
    assert not temps(tmp_path)


# -- kill -9 at each step of a write, deterministically ---------------------------------------------------------
_CRASH_CHILD = r"""
import os, signal, sys
from pathlib import Path
from validators.engine import validate_file
from validators.marking.files import clear_file, mark_copy, mark_in_place

op, step, book = sys.argv[1], sys.argv[2], Path(sys.argv[3])
findings = validate_file(book).findings if op != "clear" else []
real = {"fsync": os.fsync, "link": os.link, "replace": os.replace, "write": os.write}
calls = {"n": 0}
nth = int(sys.argv[4])

def crash(name):
    def wrapped(*a, **k):
        calls["n"] += 1
        if calls["n"] == nth:
            if name == "write":  # half the bytes reach the disk, then the process dies
                fd, data = a
                real["write"](fd, bytes(data[: len(data) // 2]))
            os.kill(os.getpid(), signal.SIGKILL)
        return real[name](*a, **k)
    return wrapped

setattr(os, step, crash(step))
if op == "in-place":
    mark_in_place(book, findings)
elif op == "clear":
    clear_file(book)
else:
    mark_copy(book, findings, book.parent / "out" / "copy.xlsx")
print("finished")
"""


STEPS = [  # (operation, os function, which calls): in-place writes the backup first, then the workbook
    ("in-place", "write", (1, 2)), ("in-place", "fsync", (1, 3)), ("in-place", "link", (1,)),
    ("in-place", "replace", (1,)), ("clear", "write", (1,)), ("clear", "replace", (1,)),
    ("out", "write", (1,)), ("out", "replace", (1,)),
]


@pytest.mark.parametrize("op, step, calls", STEPS)
def test_kill_at_each_step_of_a_write(op: str, step: str, calls: tuple[int, ...], tmp_path: Path) -> None:
    """The process kills itself at the given call of ``step`` (os.write half done, os.fsync, os.link,
    os.replace); then the original is intact or recoverable, and the next run cleans up."""
    original = SAMPLE.read_bytes()
    marked_original = mark_data(original, validate_file(SAMPLE).findings)
    for nth in calls:
        folder = tmp_path / f"n{nth}"
        folder.mkdir()
        book = folder / "预算.xlsx"
        book.write_bytes(marked_original if op == "clear" else original)
        child = subprocess.run([sys.executable, "-c", _CRASH_CHILD, op, step, str(book), str(nth)],
                               capture_output=True, text=True, check=False)
        assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr  # it died at that step
        if op == "in-place":
            assert_intact_or_recoverable(book, original)
        elif op == "clear":
            assert book.read_bytes() == marked_original or (
                package.is_valid_package(book.read_bytes()) is None and not is_marked(book))
        else:
            assert book.read_bytes() == original
            copy = folder / "out" / "copy.xlsx"
            assert not copy.exists() or (package.is_valid_package(copy.read_bytes()) is None and is_marked(copy))
        after = subprocess.run([sys.executable, "-c", _CRASH_CHILD, op, step, str(book), "0"],  # no crash
                               capture_output=True, text=True, check=False)
        assert "finished" in after.stdout, after.stderr
        assert not temps(folder) and not list(folder.rglob(f"*{safewrite.LOCK_SUFFIX}"))
