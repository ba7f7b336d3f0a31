"""Writing into users' folders safely: the one place czcheck replaces or creates a file.

Every write (marked copies, ``--in-place``, ``clear``, backups, reports) goes:

1. checks first (``preflight``): a read-only file, a workbook an office application holds open (its
   lock file ``~$name.xlsx`` / ``.~lock.name.xlsx#``), a file another process has locked, a file with
   several hard links, or (for new outputs) a symlink planted at the output name are refused with a
   Chinese message unless ``force``;
2. an advisory lock per destination (``dest_lock``: a lock file beside it, fcntl on POSIX, msvcrt on
   Windows), so two czcheck processes writing one destination take turns (the later waits, then fails
   with a message);
3. a temporary file created exclusively (mkstemp: O_CREAT|O_EXCL, a random name, never through a
   symlink) in the destination's folder; written, fsynced, given the destination's mode (and owner
   where permitted), verified (``verify``), then renamed over the destination and the folder fsynced;
4. the temporary file removed on every failure path; temporaries an earlier killed run left behind
   are removed under the lock.

Symlinks: a workbook named through a symlink (``--in-place``, ``clear``) is written *through* the link:
the real file is replaced and the link stays a link.  An output name (a marked copy, a report) that
is a symlink is refused (someone may have planted it) unless ``force``, which replaces the link
itself and never writes through it.  Hard links: renaming gives the name a new file and the other
names would keep the old content, so a file with several links is refused unless ``force``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

TEMP_SUFFIX = ".czcheck-tmp"
LOCK_SUFFIX = ".czcheck-lock"
LOCK_WAIT_SECONDS = 60.0


class WriteRefused(Exception):
    """Nothing was written; ``str(exc)`` is a Chinese sentence saying why and what to do."""


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """Text for a terminal or a plain-text file: control characters (ESC, CR, BEL, bidi overrides …)
    shown as escapes such as ``\\x1b``, so a file name cannot move the cursor or recolour the screen.
    Newlines and tabs stay."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def shown(path: str | Path) -> str:
    """A path for a message: control characters escaped (also newlines and tabs)."""
    return terminal_text(str(path)).replace("\n", "\\n").replace("\t", "\\t")


# ---- checks -------------------------------------------------------------------------------------


def office_lock_files(path: Path) -> list[Path]:
    """Lock files an office application keeps while the workbook is open: Excel/WPS ``~$name`` (Excel
    drops the first two characters of long names) and LibreOffice ``.~lock.name#``."""
    folder, name = path.parent, path.name
    candidates = [folder / f"~${name}", folder / f".~lock.{name}#"]
    if len(name) > 2:
        candidates.append(folder / f"~${name[2:]}")
    return [c for c in candidates if c.exists() or c.is_symlink()]


def _locked_by_other_process(path: Path) -> bool:
    """True when another process holds a lock on the file itself (flock or fcntl record lock)."""
    if sys.platform == "win32":  # pragma: no cover - Windows: Excel/WPS open workbooks deny writing
        try:
            os.close(os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0)))
        except PermissionError:
            return True
        except OSError:
            pass
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_NBRLCK, 1)
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            except OSError:
                return True
            return False
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:
            return True
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.lockf(fd, fcntl.LOCK_UN)
        except OSError as exc:
            return exc.errno in (errno.EACCES, errno.EAGAIN)
        return False
    finally:
        os.close(fd)


def preflight(path: Path, *, force: bool = False, output: bool = False) -> None:
    """Refuse to replace ``path`` when that would be unsafe (see the module doc).  ``output``: the name
    is a new output of czcheck (a copy, a report), not the user's workbook."""
    if path.is_symlink():
        if output and not force:
            raise WriteRefused(f"输出位置 {shown(path)} 是一个符号链接（快捷方式），czcheck 不会通过它写入别的文件；"
                               "请删除它或换一个输出位置（加 --force 则用新文件替换该链接本身）")
        return
    if not path.exists():
        return
    if not path.is_file():
        raise WriteRefused(f"{shown(path)} 不是普通文件，无法写入")
    st = path.stat()
    if force:
        return
    locks = office_lock_files(path)
    if locks:
        raise WriteRefused(f"{shown(path)} 正被 Excel、WPS 或 LibreOffice 打开（发现锁文件 {shown(locks[0].name)}），"
                           "请先关闭该工作簿再运行（确认没有打开时可加 --force）")
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise WriteRefused(f"{shown(path)} 是只读文件，czcheck 不会修改它（确需写入可加 --force，文件仍保持只读属性）")
    if st.st_nlink > 1:
        raise WriteRefused(f"{shown(path)} 有 {st.st_nlink} 个硬链接；写入后只有这个名字指向新内容，其他链接仍是旧内容。"
                           "如确需写入请加 --force")
    if _locked_by_other_process(path):
        raise WriteRefused(f"{shown(path)} 正被另一个程序锁定（可能正在被编辑或写入），请稍后再试（加 --force 可忽略）")


def real_target(path: Path) -> Path:
    """The file a write to ``path`` lands on: a symlink is followed to its (final) target."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


# ---- the lock -----------------------------------------------------------------------------------


def _lock_path(dest: Path) -> Path:
    return dest.parent / f".{dest.name}{LOCK_SUFFIX}"


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def dest_lock(dest: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the advisory lock of ``dest`` (a lock file beside it, removed afterwards).  Another czcheck
    process writing the same destination waits up to ``wait`` seconds, then gets WriteRefused."""
    lock = _lock_path(dest)
    deadline = time.monotonic() + wait
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    while True:
        try:
            fd = os.open(lock, flags, 0o600)
        except OSError as exc:
            raise WriteRefused(f"无法在 {shown(dest.parent)} 中建立写入锁（{exc.strerror or exc}），未写入 {shown(dest.name)}") from exc
        if _try_lock(fd):
            try:  # the file we locked must still be the lock file (a finishing holder unlinks it)
                same = os.path.samestat(os.fstat(fd), os.stat(lock, follow_symlinks=False))
            except OSError:
                same = False
            if same:
                break
        os.close(fd)
        if time.monotonic() > deadline:
            raise WriteRefused(f"另一个 czcheck 正在写入 {shown(dest)}，等待 {wait:g} 秒后仍未结束，本次未写入；请稍后再运行")
        time.sleep(0.05)
    try:
        _remove_stale_temps(dest)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def _remove_stale_temps(dest: Path) -> None:
    """Temporaries of ``dest`` (and of its backups) left by a killed run (we hold its lock, so none
    is in use)."""
    prefix = (f".{dest.name}.", f".{dest.stem}.备份")
    try:
        names = os.listdir(dest.parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(TEMP_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(dest.parent / name)


# ---- writing ------------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - no directory handles on Windows
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(dest: Path, data: bytes, *, like: Path | None = None,
                 verify: Callable[[bytes], str | None] | None = None) -> Path:
    """Replace (or create) ``dest`` with ``data``: exclusive temp in the same folder, fsync, mode and
    owner of ``like`` (default: ``dest`` when it exists), verify what is on disk, rename, fsync folder.
    ``verify`` returns None when the bytes are good, else a Chinese reason (then nothing is replaced).
    The temporary file never survives a failure."""
    folder = dest.parent
    try:
        import tempfile  # here: printing a report (terminal_text) needs none of it

        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise WriteRefused(f"无法在 {shown(folder)} 中创建临时文件（{exc.strerror or exc}），未写入 {shown(dest.name)}") from exc
    tmp = Path(tmp_name)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            try:
                st = os.stat(like) if like is not None else os.stat(dest, follow_symlinks=False)
            except OSError:
                st = None
            if st is not None and stat.S_ISLNK(st.st_mode):
                st = None  # a link replaced by --force: never take the mode or owner of what it points to
            if st is not None:
                os.chmod(tmp, stat.S_IMODE(st.st_mode))
                if hasattr(os, "chown"):
                    with contextlib.suppress(OSError):
                        os.chown(tmp, st.st_uid, st.st_gid)
                    os.chmod(tmp, stat.S_IMODE(st.st_mode))  # chown may clear set-id bits
            else:
                os.chmod(tmp, _default_mode())
        finally:
            os.close(fd)
        if verify is not None:
            with open(tmp, "rb") as fh:
                problem = verify(fh.read())
            if problem:
                raise WriteRefused(f"写出的文件校验不通过（{problem}），未替换 {shown(dest)}")
        os.replace(tmp, dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if exc.errno == errno.ENOSPC:
            raise WriteRefused(f"磁盘空间不足，未能写入 {shown(dest)}（原文件未改动）") from exc
        raise WriteRefused(f"无法写入 {shown(dest)}（{exc.strerror or exc}），原文件未改动") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)
    return dest


_OS_ERRORS = {
    errno.EEXIST: "路径中有同名的文件，无法建立文件夹", errno.ENOTDIR: "路径中的某一部分不是文件夹",
    errno.ENOENT: "找不到路径", errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限",
    errno.ENOSPC: "磁盘空间不足", errno.EROFS: "只读的磁盘或文件系统", errno.EISDIR: "这是一个文件夹",
}


def os_error_text(exc: OSError) -> str:
    """A Chinese reason for an operating-system error (the system's own text is English here)."""
    return _OS_ERRORS.get(exc.errno, f"系统错误 {exc.errno}" if exc.errno else "系统错误")


def write_output(dest: Path, data: bytes, *, force: bool = False,
                 verify: Callable[[bytes], str | None] | None = None) -> Path:
    """Create or replace a czcheck output (a report, a text file): checks as for an output name (a
    planted symlink is refused unless ``force``), the destination lock, then ``write_atomic``."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    preflight(dest, force=force, output=True)
    with dest_lock(dest):
        preflight(dest, force=force, output=True)
        return write_atomic(dest, data, verify=verify)


def _create_exclusive(dest: Path, data: bytes, like: Path, verify: Callable[[bytes], str | None] | None) -> bool:
    """Like write_atomic, but only when ``dest`` does not exist (a hard link makes the final step
    no-clobber).  False when the name is taken."""
    folder = dest.parent
    import tempfile

    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=TEMP_SUFFIX, dir=folder)
    tmp = Path(tmp_name)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            st = os.stat(like)
            os.chmod(tmp, stat.S_IMODE(st.st_mode) | stat.S_IRUSR)
            if hasattr(os, "chown"):
                with contextlib.suppress(OSError):
                    os.chown(tmp, st.st_uid, st.st_gid)
        finally:
            os.close(fd)
        if verify is not None:
            with open(tmp, "rb") as fh:
                problem = verify(fh.read())
            if problem:
                raise WriteRefused(f"备份文件写出后校验不通过（{problem}），原文件未改动")
        try:
            os.link(tmp, dest)
        except FileExistsError:
            return False
        except OSError:  # no hard links on this file system: check then rename (we hold the lock)
            if dest.exists() or dest.is_symlink():
                return False
            os.replace(tmp, dest)
        _fsync_dir(folder)
        return True
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise WriteRefused("磁盘空间不足，无法写入备份，原文件未改动") from exc
        raise WriteRefused(f"无法写入备份（{exc.strerror or exc}），原文件未改动") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


# ---- backups ------------------------------------------------------------------------------------


@dataclass
class Backup:
    """The backup made before a file was replaced, and notes on earlier backups."""

    path: Path
    notes: list[str]  # Chinese: earlier backups that were found empty or broken


def backup_name(source: Path, n: int) -> Path:
    tag = ".备份" if n == 1 else f".备份{n}"
    return source.with_name(f"{source.stem}{tag}{source.suffix}")


def write_backup(source: Path, data: bytes, verify: Callable[[bytes], str | None], like: Path | None = None) -> Backup:
    """Keep ``data`` (the bytes of ``source`` about to be replaced) as the first free
    ``<stem>.备份[n].<ext>``, verified on disk before returning; mode and owner of ``like`` (default
    ``source``).  Earlier backups are never overwritten; an empty or broken one is reported in ``notes``."""
    problem = verify(data)
    if problem:
        raise WriteRefused(f"原文件本身无法作为有效工作簿打开（{problem}），不做备份也不修改")
    notes: list[str] = []
    for n in range(1, 1000):
        candidate = backup_name(source, n)
        if candidate.exists() or candidate.is_symlink():
            if candidate.is_symlink() or not candidate.is_file():
                notes.append(f"已有的备份位置 {shown(candidate.name)} 不是普通文件，已跳过")
                continue
            try:
                earlier = candidate.read_bytes()
            except OSError as exc:
                notes.append(f"已有备份 {shown(candidate.name)} 无法读取（{exc.strerror or exc}），已保留不动")
                continue
            bad = verify(earlier)
            if bad:
                notes.append(f"已有备份 {shown(candidate.name)} 是空的或已损坏（{bad}），不能当作原文件，已保留不动")
            continue
        if _create_exclusive(candidate, data, like or source, verify):
            return Backup(candidate, notes)
    raise WriteRefused(f"{shown(source.name)} 旁已有太多备份文件，请清理后再运行")
