"""A time limit the analysis checks for itself, between projects.

Where nothing can interrupt running Python code — no ``SIGALRM`` timer and no threads, as in
Pyodide, the runtime of xlwings Lite — :func:`perfsheet.io.safety.time_limit` cannot stop the
body from outside. It sets a deadline here instead, and the analysis calls :func:`check` before
each project (:meth:`perfsheet.core.pipeline.TableAnalysis.batches`): a project that takes long
still runs to its end, the next one does not start. Elsewhere no deadline is set and
:func:`check` costs one context-variable read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["DeadlinePassed", "check", "deadline"]

_DEADLINE: ContextVar[float | None] = ContextVar("perfsheet_deadline", default=None)


class DeadlinePassed(BaseException):
    """Raised by :func:`check`; a BaseException so that no ``except Exception`` swallows it."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """:func:`check` raises :class:`DeadlinePassed` once ``seconds`` have passed (an outer
    deadline that comes sooner stays in force)."""
    at = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(at if outer is None else min(at, outer))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check() -> None:
    """Raise :class:`DeadlinePassed` if a deadline is set and has passed."""
    at = _DEADLINE.get()
    if at is not None and time.monotonic() > at:
        raise DeadlinePassed
