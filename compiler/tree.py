"""Installs generated/ in one step, one compile at a time, and repairs what a killed run left.

Standard library only and cheap to import: every command (`evaluate` too) calls recover().

Beside the tree `<root>/generated` live, only ever for a moment:
- `<root>/.policyc.lock`: the compile that may write holds an exclusive flock on it and
  writes its pid into it, so a second compile can say whom it waits for.
- `generated.tmp-*`: a new tree being written. It is complete once it holds COMPLETE, the
  file written last; COMPLETE is removed just before the tree is swapped in.
- `generated.old-*`: the previous tree, set aside by the two-rename swap (below).
- `generated.del-*`: anything being deleted. A tree is renamed to this first, so a tree half
  deleted by a killed run never keeps a name recovery could install.

The swap is one atomic step where the platform has one: Linux renameat2(RENAME_EXCHANGE)
exchanges the new tree and generated/. Where it has not (another OS, or a file system that
answers EINVAL), it is two renames, generated -> generated.old-*, then tmp -> generated; a
run killed between them leaves no generated/, and the next command of any kind finishes the
swap (a complete tmp) or rolls it back (the old tree), under the lock. That only handles a
killed process: files are not fsynced, so a power cut may still lose the new tree's data.

Readers: import_evaluator() imports while holding a shared flock on the project directory
and the swap takes it exclusively, so one import sees the old tree or the new, never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

LOCK_NAME = ".policyc.lock"
COMPLETE = ".policyc-complete"
LOCK_TIMEOUT = 300.0  # seconds a compile waits for another one by default
_KINDS = ("tmp", "old", "del")
_READ_ONLY_FS = (errno.EROFS, errno.EACCES, errno.EPERM)


class FileError(OSError):
    """A file operation failed because of the environment (permission, disk full, ...).

    str() is one line naming the operation and the path relative to the project.
    """

    def __init__(self, op: str, shown: str, err: OSError | None = None, reason: str | None = None,
                 note: str | None = None):
        code = err.errno if err is not None and err.errno else errno.EIO
        super().__init__(code, reason or (err.strerror if err is not None and err.strerror else str(err)), shown)
        self.op, self.shown, self.note = op, shown, note

    def __str__(self) -> str:
        text = f"cannot {self.op} {self.shown}: {self.strerror}"
        return f"{text} ({self.note})" if self.note else text


class LockTimeout(Exception):
    def __init__(self, shown: str, holder: str | None, waited: float):
        who = f"process {holder}" if holder else "another process"
        super().__init__(f"gave up after {waited:g} s waiting for {shown}: {who} holds it (another compile running?)")


def shown(path: Path | str, root: Path | str) -> str:
    """path relative to root for messages, falling back to the path itself."""
    rel = os.path.relpath(path, root)
    return Path(path).as_posix() if rel.startswith("..") else Path(rel).as_posix()


# ---------------------------------------------------------------- the compile lock

_thread_lock = threading.RLock()
_held: dict[str, int] = {}  # lock file path -> depth of project_lock() in this process


def holder(root: Path) -> str | None:
    """The pid written in root's lock file by the process holding it, if any."""
    try:
        with open(os.path.join(root, LOCK_NAME), "rb") as fh:
            text = fh.read(32).decode("ascii", "replace").strip()
    except OSError:
        return None
    return text if text.isdigit() else None


@contextlib.contextmanager
def project_lock(root: Path, timeout: float = LOCK_TIMEOUT, on_wait: Callable[[str | None], None] | None = None,
                 required: bool = True) -> Iterator[bool]:
    """Hold root/.policyc.lock: one writer of generated/ at a time. Reentrant in a process.

    Yields True once held. With required=False, a project directory where the lock file
    cannot be created (read-only) yields False instead of failing: nothing can be written there.
    on_wait(pid) is called once if another process holds the lock; after `timeout` seconds
    LockTimeout is raised.
    """
    key = os.path.join(root, LOCK_NAME)
    with _thread_lock:
        if key in _held:
            _held[key] += 1
            try:
                yield True
            finally:
                _held[key] -= 1
            return
        try:
            fd = os.open(key, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as err:
            if not required and err.errno in _READ_ONLY_FS:
                yield False
                return
            raise FileError("create the lock file", LOCK_NAME, err) from None
        try:
            _acquire(fd, root, timeout, on_wait)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            _held[key] = 1
            try:
                yield True
            finally:
                del _held[key]
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # releases the flock


def _acquire(fd: int, root: Path, timeout: float, on_wait) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    if on_wait is not None:
        on_wait(holder(root))
    start = time.monotonic()
    pause = 0.01
    while True:
        time.sleep(pause)
        pause = min(pause * 2, 0.2)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() - start >= timeout:
                raise LockTimeout(LOCK_NAME, holder(root), timeout) from None


@contextlib.contextmanager
def gate(root: Path, exclusive: bool) -> Iterator[None]:
    """Shared (readers) or exclusive (the swap) flock on the project directory itself.

    The directory always exists and can be opened read-only, so readers need no write access.
    """
    try:
        fd = os.open(root, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield  # cannot open it: nothing can swap generated/ here either
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


# ---------------------------------------------------------------- leftovers


def _parse(name: str, base: str) -> tuple[str, int] | None:
    """('tmp'|'old'|'del', stamp) for a leftover name of tree `base`, else None."""
    for kind in _KINDS:
        prefix = f"{base}.{kind}-"
        if name.startswith(prefix):
            digits = name[len(prefix):].split("-")[0]
            return kind, int(digits) if digits.isdigit() else 0
    return None


def _aside(out_dir: Path, kind: str) -> Path:
    """A fresh name beside out_dir; names sort by creation time."""
    return out_dir.with_name(f"{out_dir.name}.{kind}-{time.time_ns()}-{os.getpid()}")


def leftovers(out_dir: Path) -> list[Path]:
    base = out_dir.name
    try:
        names = os.listdir(out_dir.parent)
    except OSError:
        return []
    return sorted(out_dir.parent / n for n in names if _parse(n, base) is not None)


def _discard(path: Path, out_dir: Path) -> None:
    """Delete a tree: renamed to generated.del-* first, so no half-deleted tree keeps its name."""
    import shutil

    kind = _parse(path.name, out_dir.name)
    if kind is None or kind[0] != "del":
        trash = _aside(out_dir, "del")
        os.rename(path, trash)
        path = trash

    def retry_writable(func, failed, _exc):
        # A read-only directory inside the tree: make it writable and try once more.
        with contextlib.suppress(OSError):
            parent = os.path.dirname(failed)
            os.chmod(parent, stat.S_IMODE(os.lstat(parent).st_mode) | stat.S_IRWXU)
            func(failed)

    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)  # a generated/ that was a symlink or a file: not its target
        return
    shutil.rmtree(path, onerror=retry_writable)
    if os.path.lexists(path):
        raise OSError(errno.ENOTEMPTY, os.strerror(errno.ENOTEMPTY), str(path))


def repair(out_dir: Path) -> str | None:
    """Finish or roll back a swap a killed run left half done (the caller holds the lock).

    Returns what was done, for a note to the user, or None when there was nothing to do.
    """
    if os.path.lexists(out_dir):
        return None
    base = out_dir.name
    staged, old = [], []
    for path in leftovers(out_dir):
        kind, stamp = _parse(path.name, base)
        if kind == "tmp" and os.path.isfile(path / COMPLETE):
            staged.append((stamp, path))
        elif kind == "old" and os.path.isdir(path):
            old.append((stamp, path))
    if staged:
        path = max(staged)[1]
        os.unlink(path / COMPLETE)
        os.rename(path, out_dir)
        return f"finished installing the {base}/ an interrupted compile wrote ({path.name})"
    if old:
        path = max(old)[1]
        os.rename(path, out_dir)
        return f"put back the {base}/ an interrupted compile had set aside ({path.name})"
    return None


def clean(out_dir: Path) -> list[str]:
    """Delete what dead runs left beside out_dir (the caller holds the lock); return their names.

    Leftovers that cannot be deleted are left for the next run.
    """
    done = []
    for path in leftovers(out_dir):
        try:
            _discard(path, out_dir)
            done.append(path.name)
        except OSError:
            continue
    return done


def recover(out_dir: Path) -> None:
    """Every command's first step: repair a half-done swap of out_dir. One stat when all is well."""
    if os.path.isdir(out_dir):
        return
    if not leftovers(out_dir):
        return
    root = out_dir.parent
    try:
        with project_lock(root, timeout=60, required=False) as held:
            if held:
                done = repair(out_dir)
                if done:
                    print(f"policyc: {done}", file=sys.stderr)
    except (OSError, LockTimeout) as err:
        print(f"policyc: could not repair {out_dir.name}/ after an interrupted compile: {err}", file=sys.stderr)


# ---------------------------------------------------------------- writing


def refuse_read_only(out_dir: Path) -> None:
    """A generated/ without any write permission was made read-only on purpose: never replace it."""
    try:
        mode = stat.S_IMODE(os.stat(out_dir).st_mode)
    except FileNotFoundError:
        return
    except OSError as err:
        raise FileError("read", f"{out_dir.name}/", err) from None
    if os.path.isdir(out_dir) and not mode & 0o222:
        raise FileError("replace", f"{out_dir.name}/", reason=f"it is read-only (mode {mode:04o})",
                        note=f"make it writable to compile into it: chmod u+w {out_dir.name}") from None


def install(files: dict[str, str], out_dir: Path) -> None:
    """Replace out_dir with exactly `files`: written aside, then swapped in as one step.

    If anything fails or the process is killed, out_dir holds the old tree or (after the
    next command's recover()) the new one; OS failures raise FileError.
    """
    root = out_dir.parent
    with project_lock(root):
        repair(out_dir)
        clean(out_dir)
        refuse_read_only(out_dir)
        tmp = _aside(out_dir, "tmp")
        try:
            os.mkdir(tmp, 0o777)  # the umask applies, as for any directory the user makes
        except OSError as err:
            raise FileError("create directory", shown(tmp, root), err,
                            note=f"{out_dir.name}/ is unchanged") from None
        installed = False
        try:
            _write_all(files, tmp, out_dir)
            _swap(tmp, out_dir)
            installed = True
        finally:
            if not installed and os.path.lexists(tmp):
                with contextlib.suppress(OSError):
                    _discard(tmp, out_dir)
    import importlib

    importlib.invalidate_caches()


def _write_all(files: dict[str, str], tmp: Path, out_dir: Path) -> None:
    root = out_dir.parent
    made: set[Path] = set()
    for rel, text in sorted(files.items()):
        target = tmp / rel
        try:
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            with open(target, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as err:
            raise FileError("write", f"{out_dir.name}/{rel}", err,
                            note=f"while writing the new tree in {shown(tmp, root)}; {out_dir.name}/ is unchanged") from None
    try:
        with open(tmp / COMPLETE, "w", encoding="ascii") as fh:
            fh.write(f"{len(files)} files\n")
    except OSError as err:
        raise FileError("write", shown(tmp / COMPLETE, root), err, note=f"{out_dir.name}/ is unchanged") from None


def _swap(tmp: Path, out_dir: Path) -> None:
    """Put the complete tree tmp in out_dir's place and delete the old one."""
    root = out_dir.parent
    old = None
    with gate(root, exclusive=True):
        try:
            if not os.path.lexists(out_dir):
                os.unlink(tmp / COMPLETE)
                os.rename(tmp, out_dir)
            else:
                os.unlink(tmp / COMPLETE)
                if _exchange(tmp, out_dir):
                    old = tmp  # now holding the old tree
                else:
                    # Two renames. Killed after the first, generated/ is missing and tmp is
                    # complete: recover() finishes; killed after the marker went, it rolls back.
                    old = _aside(out_dir, "old")
                    with open(tmp / COMPLETE, "w", encoding="ascii") as fh:
                        fh.write("swapping\n")
                    os.rename(out_dir, old)
                    os.unlink(tmp / COMPLETE)
                    try:
                        os.rename(tmp, out_dir)
                    except BaseException:
                        os.rename(old, out_dir)
                        old = None
                        raise
        except OSError as err:
            raise FileError("replace", f"{out_dir.name}/", err, note=f"{out_dir.name}/ is unchanged") from None
    if old is not None:
        with contextlib.suppress(OSError):
            _discard(old, out_dir)  # what stays is debris the next compile removes


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_exchange_missing = sys.platform != "linux"


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two directories (Linux renameat2); False where unsupported."""
    global _exchange_missing
    if _exchange_missing:
        return False
    import ctypes

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        _exchange_missing = True
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # this file system (or kernel) cannot: use two renames
    raise OSError(code, os.strerror(code), os.fspath(b))
