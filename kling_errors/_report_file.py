"""Writing a report to ``-o FILE``: atomically, and never over something it should not touch.

- A regular file (or a new one) is written to a temporary file in the same directory and
  renamed over it at the end: a crash or Ctrl-C never leaves half a report. On Linux the
  temporary file has no name until it is complete (``O_TMPFILE``, where the file system
  allows), so even ``kill -9`` leaves nothing behind; elsewhere SIGTERM, SIGHUP and SIGINT
  remove it, and the next run removes what a killed one left.
- A symlink is followed: the file it points to is replaced, the link stays.
- Anything that is not a regular file (``/dev/null``, a FIFO, a terminal) is written to
  directly: renaming over a device would replace the device.
- An existing report keeps its permissions (a 0600 report stays 0600).
- The output may not be one of the inputs, and its directory must exist: both are the
  user's mistakes, reported as such (exit 2), before anything is read.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO

from ._exceptions import OutputError


def check_output(path: str | None, inputs: Iterable[str] = ()) -> None:
    """Refuse an output that is an input or has no directory, before any work is done."""
    if path is None or path == "-":
        return
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise OutputError(
            f"{path}: directory {str(target.parent)!r} does not exist",
            "create the directory first, or write somewhere else",
        )
    if target.is_dir():
        raise OutputError(f"{path}: is a directory", "give a file name for the report")
    if target.exists():
        written = os.stat(target)
        for source in inputs:
            if source == "-" or not os.path.exists(source):
                continue
            read = os.stat(source)
            if (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino):
                raise OutputError(
                    f"{path}: is also an input; writing it would destroy what is being read",
                    "write the report to another file",
                )


@contextlib.contextmanager
def report_file(path: str | None) -> Iterator[TextIO]:
    """stdout, a device written directly, or a file replaced atomically (module docstring)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(os.path.realpath(path))
    if target.exists() and not stat.S_ISREG(os.stat(target).st_mode):
        with open(target, "w", encoding="utf-8", errors="replace", newline="") as device:
            yield device
        return
    mode = _mode_for(target)
    fd, name = _temporary(target.parent)
    with _removed_on_signals(name):
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as handle:
                yield handle
                handle.flush()
                if name is None:  # O_TMPFILE: give the finished file a name, then rename
                    name = _link(handle.fileno(), target.parent)
            os.replace(name, target)
        except BaseException:
            if name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(name)
            raise


def _mode_for(target: Path) -> int:
    if target.exists():
        return stat.S_IMODE(os.stat(target).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _temporary(directory: Path) -> tuple[int, str | None]:
    """An unnamed file in ``directory`` where the system can name it later, else a hidden
    named one."""
    if _unnamed_files_work(directory):
        with contextlib.suppress(OSError):
            return os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o600), None
    _remove_orphans(directory)
    import tempfile  # only where the system cannot make unnamed files: not on every start

    fd, name = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}.", dir=directory)
    return fd, name


_PREFIX = ".kling-errors-report."


def _remove_orphans(directory: Path) -> None:
    """Temporary files of runs that were killed (kill -9 gives no chance to clean up):
    their process is gone, so nobody will finish them."""
    for path in directory.glob(f"{_PREFIX}*"):
        pid = path.name.removeprefix(_PREFIX).split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                path.unlink()
        except OSError:
            continue  # alive, or not ours to ask about


def _unnamed_files_work(directory: Path) -> bool:
    """O_TMPFILE exists and a file made so can be linked in here (some file systems refuse)."""
    if not hasattr(os, "O_TMPFILE") or not Path("/proc/self/fd").is_dir():
        return False
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except OSError:
        return False
    try:
        os.unlink(_link(fd, directory))
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _link(fd: int, directory: Path) -> str:
    name = str(directory / f"{_PREFIX}{os.getpid()}.{fd}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name)
    os.link(f"/proc/self/fd/{fd}", name)
    return name


@contextlib.contextmanager
def _removed_on_signals(name: str | None) -> Iterator[None]:
    """SIGTERM (and SIGHUP) raise SystemExit while a named temporary file exists, so the
    cleanup above runs; SIGINT already raises KeyboardInterrupt."""
    if name is None or not _main_thread():
        yield
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s]
    previous = {s: signal.signal(s, stop) for s in wanted}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
