"""A second process that renders and deflates the data rows of a large summary workbook.

Why: at 20,000 projects rendering the summary's rows to SpreadsheetML and deflating them is as
long as parsing, checking and auditing them (bench/README.md), and both run one after the
other on one core. :class:`~perfsheet.io.xlsx_splice.RowSpools` starts this process once an
output has proven large, and from the moment it is ready sends it every row instead of
rendering it: the analysis goes on here while the rows are rendered there.

The rows travel as they are (tuples of cell values; marshal, or pickle when a row holds a
link) through a pipe, in messages of at most :data:`_BATCH` rows; the pipe's buffer is the
only queue, so a slow render process slows the sender instead of filling memory. The process
writes each spool's next segments in the scratch folder and says, at the end, what it wrote
(:meth:`~perfsheet.io.xlsx_splice.RowSpool.result`). A process that cannot start leaves the
rows to this one; one that dies raises :class:`RenderProcessError` (the caller may run again
without it: :func:`~perfsheet.io.xlsx_splice.render_process`). ``spawn`` everywhere, as
the batch converter's workers, so Linux runs what Windows runs.
"""

from __future__ import annotations

import contextlib
import itertools
import marshal
import multiprocessing as mp
import pickle
import signal
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from perfsheet.errors import PerfsheetError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from perfsheet.io.xlsx_splice import RowRender, RowSpool

_BATCH = 2_000  # rows per message (≈ 150 KB)
_READY = b"ready"


class RenderProcessError(PerfsheetError):
    """The render process ended without writing its rows (it crashed or was killed)."""


def _dumps(message: object) -> bytes:
    try:
        return b"M" + marshal.dumps(message)
    except ValueError:  # a Link, a date: not marshal's
        return b"P" + pickle.dumps(message, pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes) -> Any:
    return marshal.loads(data[1:]) if data[:1] == b"M" else pickle.loads(data[1:])


class RenderProcess:
    """The parent's end: :meth:`write` sends rows, :meth:`finish` takes the spools back."""

    def __init__(self, proc: Any, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn
        self.is_ready = False
        self.spools: dict[int, RowSpool] = {}  # id(spool) -> spool handed over

    @classmethod
    def start(cls) -> RenderProcess | None:
        """A new render process, or None when this platform cannot start one."""
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        try:
            proc = ctx.Process(target=_main, args=(child,), name="perfsheet-render", daemon=True)
            proc.start()
        except (OSError, RuntimeError, ValueError, AttributeError, ImportError, AssertionError):
            # (a daemonic process may not have children; a frozen or embedded interpreter
            # may have no executable to spawn)
            parent.close()
            child.close()
            return None
        child.close()
        return cls(proc, parent)

    def ready(self) -> bool:
        """Whether the process has started and takes rows (never waits)."""
        if not self.is_ready:
            try:
                if self.conn.poll() and self.conn.recv_bytes() == _READY:
                    self.is_ready = True
            except (EOFError, OSError) as err:
                raise RenderProcessError("行渲染进程意外退出") from err
        return self.is_ready

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the process to take rows."""
        try:
            if not self.is_ready and self.conn.poll(timeout):
                return self.ready()
        except (EOFError, OSError) as err:
            raise RenderProcessError("行渲染进程意外退出") from err
        return self.is_ready

    def _send(self, message: tuple) -> None:
        try:
            self.conn.send_bytes(_dumps(message))
        except (BrokenPipeError, EOFError, OSError) as err:
            raise RenderProcessError("行渲染进程意外退出") from err

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
            reply = _loads(self.conn.recv_bytes())
        except (EOFError, OSError) as err:
            raise RenderProcessError("行渲染进程意外退出") from err
        finally:
            self.stop()
        if isinstance(reply, BaseException):
            raise reply
        for key, result in reply:
            self.spools[key].take(result)

    def stop(self, *, at_once: bool = False) -> None:
        """End the process: it exits when it sees the pipe closed (after its reply), or is
        killed ``at_once`` (a run that failed, or a process that was never used)."""
        with contextlib.suppress(OSError):
            self.conn.close()
        if not at_once:
            self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()


def _main(conn: Connection) -> None:
    """The render process: spools resumed from the parent's state, rows rendered into them,
    what was written sent back (or the first error, after the rest was read and dropped)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from perfsheet.io.xlsx_splice import RowRender, RowSpool, render_rows

    conn.send_bytes(_READY)
    spools: dict[int, tuple[RowSpool, RowRender]] = {}
    error: BaseException | None = None
    while True:
        try:
            message = _loads(conn.recv_bytes())
        except EOFError:  # the parent is gone
            for spool, _render in spools.values():
                spool.discard()
            return
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
    conn.send_bytes(_dumps(reply))
