"""A second process that renders and deflates the data rows of a large summary workbook.

Why: at 20,000 projects rendering the summary's rows to SpreadsheetML and deflating them is as
long as parsing, checking and auditing them (bench/README.md), and both run one after the
other on one core. :class:`~perfsheet.io.xlsx_splice.RowSpools` starts this process once an
output has proven large, and from the moment it is ready sends it every row instead of
rendering it: the analysis goes on here while the rows are rendered there.

The process is ``python -m perfsheet.io.render_process`` (the same interpreter), not a
``multiprocessing`` child: a spawned child re-runs the caller's main script, and a library
user's script without a ``__main__`` guard would then summarize twice. The rows travel as they
are (tuples of cell values; marshal, or pickle when a row holds a link) through its stdin, in
length-prefixed messages of at most :data:`_BATCH` rows; the pipe's buffer is the only queue,
so a slow render process slows the sender instead of filling memory. Its stdout carries two
messages back (ready; at the end, what it wrote, see
:meth:`~perfsheet.io.xlsx_splice.RowSpool.result`, or the first error), read by a thread so
that asking whether it is ready never waits.
A process that cannot start leaves the rows to this one; one that dies raises
:class:`RenderProcessError` (:func:`perfsheet.summary.summarize` then runs again without it).
"""

from __future__ import annotations

import contextlib
import itertools
import marshal
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from perfsheet.errors import PerfsheetError

if TYPE_CHECKING:
    from perfsheet.io.xlsx_splice import RowRender, RowSpool

_BATCH = 2_000  # rows per message (≈ 150 KB)
_READY = b"ready"
_LENGTH = struct.Struct("<I")


class RenderProcessError(PerfsheetError):
    """The render process ended without writing its rows (it crashed or was killed)."""


def _dumps(message: object) -> bytes:
    try:
        return b"M" + marshal.dumps(message)
    except ValueError:  # a Link, a date: not marshal's
        return b"P" + pickle.dumps(message, pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes) -> Any:
    return marshal.loads(data[1:]) if data[:1] == b"M" else pickle.loads(data[1:])


def _write_frame(fh: IO[bytes], data: bytes) -> None:
    fh.write(_LENGTH.pack(len(data)))
    fh.write(data)
    fh.flush()


def _read_frame(fh: IO[bytes]) -> bytes | None:
    """One message, or None at the end of the stream."""
    head = fh.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (n,) = _LENGTH.unpack(head)
    data = fh.read(n)
    return data if len(data) == n else None


def _died() -> RenderProcessError:
    return RenderProcessError("行渲染进程意外退出")


class RenderProcess:
    """The parent's end: :meth:`write` sends rows, :meth:`finish` takes the spools back."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.is_ready = False
        self.spools: dict[int, RowSpool] = {}  # id(spool) -> spool handed over
        self.replies: queue.Queue[bytes | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, name="perfsheet-render", daemon=True)
        self.reader.start()

    @classmethod
    def start(cls) -> RenderProcess | None:
        """A new render process, or None when this interpreter cannot start one."""
        if getattr(sys, "frozen", False) or not sys.executable:
            return None  # (a frozen application has no ``python -m``)
        package_root = str(Path(__file__).resolve().parents[2])  # where perfsheet is imported from
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # Windows: no console window
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "perfsheet.io.render_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                creationflags=flags,
            )
        except (OSError, ValueError):
            return None
        return cls(proc)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with contextlib.suppress(OSError, ValueError):
            while (data := _read_frame(self.proc.stdout)) is not None:
                self.replies.put(data)
        self.replies.put(None)

    def _reply(self, timeout: float | None) -> bytes | None:
        """The next message of the process; raises when it ended without one."""
        data = self.replies.get(timeout=timeout) if timeout else self.replies.get_nowait()
        if data is None:
            self.replies.put(None)  # (it stays ended)
            raise _died()
        return data

    def ready(self) -> bool:
        """Whether the process has started and takes rows (never waits)."""
        if not self.is_ready:
            with contextlib.suppress(queue.Empty):
                self.is_ready = self._reply(None) == _READY
        return self.is_ready

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the process to take rows."""
        if not self.is_ready:
            with contextlib.suppress(queue.Empty):
                self.is_ready = self._reply(timeout) == _READY
        return self.is_ready

    def _send(self, message: tuple) -> None:
        try:
            assert self.proc.stdin is not None
            _write_frame(self.proc.stdin, _dumps(message))
        except (OSError, ValueError) as err:
            raise _died() from err

    def write(self, spool: RowSpool, render: RowRender, start: int, rows: Iterable[tuple]) -> int:
        """Send ``rows`` of ``spool`` from 0-based row ``start``; returns their number."""
        key = id(spool)
        if key not in self.spools:
            self.spools[key] = spool
            self._send(("spool", key, spool.state(), tuple(render)))
        n = 0
        it = iter(rows)  # a table's audit rows come as a generator: never all in memory
        while batch := list(itertools.islice(it, _BATCH)):
            self._send(("rows", key, start + n, batch))
            n += len(batch)
        return n

    def finish(self) -> None:
        """Wait for the process to write every row; each spool it was sent takes what was
        written."""
        self._send(("end",))
        try:
            while True:  # short waits: a time limit (a watchdog on Windows) can stop this
                with contextlib.suppress(queue.Empty):
                    reply = _loads(self._reply(0.5) or b"")
                    break
        finally:
            self.stop()
        if isinstance(reply, BaseException):
            raise reply
        for key, result in reply:
            self.spools[key].take(result)

    def stop(self, *, at_once: bool = False) -> None:
        """End the process: it exits when its input ends (after its reply), or is killed
        ``at_once`` (a run that failed, or a process that was never used)."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self.proc.stdin.close()
        if not at_once:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(timeout=5)
        if self.proc.stdout is not None:
            with contextlib.suppress(OSError, ValueError):
                self.proc.stdout.close()


def _main(inbox: IO[bytes], outbox: IO[bytes]) -> None:
    """The render process: spools resumed from the parent's state, rows rendered into them,
    what was written sent back (or the first error, after the rest was read and dropped)."""
    from perfsheet.io.xlsx_splice import RowRender, RowSpool, render_rows

    _write_frame(outbox, _READY)
    spools: dict[int, tuple[RowSpool, RowRender]] = {}
    error: BaseException | None = None
    while True:
        data = _read_frame(inbox)
        if data is None:  # the parent is gone
            for spool, _render in spools.values():
                spool.discard()
            return
        message = _loads(data)
        kind = message[0]
        if kind == "end":
            break
        if error is not None:
            continue
        try:
            if kind == "spool":
                _kind, key, state, render = message
                cols, max_col, wrapped = render
                spool = RowSpool.resume(state, f"{state[2]}p")
                spools[key] = (
                    spool,
                    RowRender([tuple(c) for c in cols], max_col, [tuple(w) for w in wrapped]),
                )
            else:
                _kind, key, start, rows = message
                spool, render = spools[key]
                render_rows(spool, render, start, rows)
        except Exception as err:  # sent back at the end, raised there
            error = err
    if error is None:
        reply: Any = [(key, spool.result()) for key, (spool, _r) in spools.items()]
    else:
        reply = error
    _write_frame(outbox, _dumps(reply))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # the protocol owns the real stdout; anything printed by mistake goes to stderr
    _protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _main(sys.stdin.buffer, _protocol)
    _protocol.close()
