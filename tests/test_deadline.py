"""The time limit where neither timer signals nor threads exist (Pyodide, the runtime of
xlwings Lite; issue 13 §3): a deadline checked between projects, never a crash.

CPython is made to look like Pyodide here (no ``signal.setitimer``, ``Thread.start`` raising
``RuntimeError``); tests/test_lite_pyodide.py runs the real thing.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Any

import pytest

from live_payload import (
    SEED_SHEET,
    alerts,
    payload,
    run,
    seed_payload,
    seed_values,
    sheet_json,
)
from perfsheet import deadline, limits
from perfsheet.errors import InputError
from perfsheet.io.safety import time_limit

pytestmark = pytest.mark.usefixtures("live_engine")


@pytest.fixture()
def no_signals_no_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """CPython made to look like Pyodide to the time limit: no ``signal.setitimer``, and
    starting a thread fails as it does there."""

    def cannot_start(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.delattr(signal, "setitimer")
    monkeypatch.setattr(threading.Thread, "start", cannot_start)


def test_a_deadline_checked_between_projects_stops_the_body(no_signals_no_threads: None) -> None:
    with pytest.raises(InputError, match=r"处理时间超过上限 0\.05 秒"), time_limit("表.xlsx", 0.05):
        for _project in range(1_000):
            deadline.check()
            time.sleep(0.001)


def test_a_limit_that_cannot_be_enforced_is_not_an_error(no_signals_no_threads: None) -> None:
    """Code that never checks runs to its end: the limit is not enforced, nothing fails."""
    with time_limit("表.xlsx", 0.01):
        time.sleep(0.05)
    deadline.check()  # no deadline is left behind


def test_without_ctypes_the_deadline_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread that cannot reach the caller (no ctypes) is not started at all."""
    started: list[threading.Thread] = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    monkeypatch.delattr(signal, "setitimer")
    monkeypatch.setitem(sys.modules, "ctypes", None)
    with pytest.raises(InputError, match="处理时间超过上限"), time_limit("表.xlsx", 0.01):
        time.sleep(0.02)
        deadline.check()
    assert started == []


def test_deadlines_nest_and_the_sooner_one_wins() -> None:
    with deadline.deadline(0.01), deadline.deadline(60):
        time.sleep(0.02)
        with pytest.raises(deadline.DeadlinePassed):
            deadline.check()
    deadline.check()


def big_payload() -> dict[str, Any]:
    values = seed_values()
    head = next(i for i, row in enumerate(values) if str(row[0]).startswith("项目名称")) + 1
    return payload([sheet_json(SEED_SHEET, values[:head] + values[head:] * 40)])


@pytest.mark.parametrize("action", ["parse", "check", "summary"])
def test_actions_stop_at_the_limit_without_signals_or_threads(
    action: str, no_signals_no_threads: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "TIME_LIMIT_SECONDS", 0.01)
    result, queued, _ = run(action, big_payload())
    assert result is None
    assert [a["func"] for a in queued] == ["alert"]
    assert "处理时间超过上限 0.01 秒" in alerts(queued)[0]


def test_actions_run_to_the_end_without_signals_or_threads(no_signals_no_threads: None) -> None:
    for action in ("parse", "check", "summary"):
        result, queued, _ = run(action, seed_payload())
        assert result is not None and result.counts.projects == 23, action
        assert "处理时间" not in alerts(queued)[0]


def test_a_swallowed_alarm_is_backed_up_by_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """An alarm raised inside a callback Python runs for itself (a gc callback) is printed and
    swallowed there, and SIGALRM fires only once: the deadline still stops the analysis."""
    from contextlib import nullcontext

    from perfsheet.io import safety

    monkeypatch.setattr(safety, "_alarm_signal", lambda limit: nullcontext())  # swallowed
    monkeypatch.setattr(safety, "_alarm_watchdog", lambda limit: nullcontext())
    with pytest.raises(InputError, match="处理时间超过上限"), time_limit("表.xlsx", seconds=0.01):
        time.sleep(0.02)
        deadline.check()  # what the analysis does before each project
