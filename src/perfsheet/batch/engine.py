"""Run the per-file function over many inputs: a local process pool or a Dask cluster.

Both runners execute the same :func:`perfsheet.batch.worker.convert_file` and report each result
through one callback, so progress, report and consolidation do not care where a file ran.

Local pool (``concurrent.futures.ProcessPoolExecutor``, ``spawn`` context everywhere):

- at most ``workers + 1`` jobs are in flight (every worker busy, one job queued);
- each worker announces ``(job index, pid)`` on a queue when it starts a job; the parent thus
  knows which process runs which file since when, and enforces ``timeout`` by killing exactly
  that process. A killed worker breaks the executor: the other in-flight jobs are resubmitted
  unchanged to a fresh pool (they did nothing wrong);
- a worker that dies on its own (a crash in a native library, the OOM killer) breaks the pool
  too; the jobs that were running are re-run one at a time, and the one that still kills its
  worker when alone fails with reason ``crashed`` — an innocent neighbour is never blamed;
- Ctrl-C: workers ignore SIGINT; the parent kills them, stops submitting and returns what
  finished, the rest marked as interrupted.

Dask (``--scheduler``): futures on an existing cluster, a bounded submission window, the start of
each task reported by the worker as a Dask event; a task over its deadline is reported as failed,
cancelled, and its worker restarted through its nanny when it has one.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from perfsheet.batch.models import FileJob, FileResult, ReasonCode
from perfsheet.batch.worker import convert_file
from perfsheet.errors import UsageError
from perfsheet.io.private_api import pool_processes

PerFileFunction = Callable[[FileJob], FileResult]
OnDone = Callable[[int, FileResult], None]

POLL_SECONDS = 0.2
STARTUP_GRACE = 120.0  # a spawned worker may take this long to import before its first job
MAX_ATTEMPTS = 3  # a job re-queued after unexplained pool failures this often fails


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(slots=True)
class Outcome:
    """What a runner did: ``unfinished`` lists job indexes never reported (Ctrl-C)."""

    interrupted: bool = False
    unfinished: list[int] = field(default_factory=list)


def failed(job: FileJob, code: ReasonCode, message: str, seconds: float = 0.0) -> FileResult:
    return FileResult(
        input=job.display, status="failed", error=message, reason_code=code, seconds=seconds
    )


def timeout_result(job: FileJob, timeout: float) -> FileResult:
    return failed(
        job, "timeout", f"处理 {job.display} 超时（超过 {timeout:g} 秒），已终止", timeout
    )


def crashed_result(job: FileJob) -> FileResult:
    return failed(
        job, "crashed", f"处理 {job.display} 时工作进程异常退出（可能是文件损坏或内存不足）"
    )


# ---------------------------------------------------------------- local pool, worker side

_START_QUEUE: Any = None


def _init_worker(queue: Any) -> None:
    global _START_QUEUE
    _START_QUEUE = queue
    # Ctrl-C is the parent's business: it decides what to stop and cleans up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_job(func: PerFileFunction, index: int, job: FileJob) -> FileResult:
    if _START_QUEUE is not None:
        _START_QUEUE.put((index, os.getpid()))
    return func(job)


# ---------------------------------------------------------------- local pool, parent side


@dataclass(slots=True)
class _Slot:
    index: int
    submitted: float
    started: float | None = None
    pid: int | None = None
    alone: bool = False  # re-run in isolation after an unexplained pool failure


class _LocalRunner:
    def __init__(
        self,
        jobs: Sequence[FileJob],
        workers: int,
        timeout: float,
        func: PerFileFunction,
        on_done: OnDone,
    ) -> None:
        self.jobs = jobs
        self.workers = max(1, workers)
        self.timeout = timeout
        self.func = func
        self.on_done = on_done
        self.ctx = mp.get_context("spawn")
        self.pool: ProcessPoolExecutor | None = None
        self.queue: Any = None
        self.pending: deque[int] = deque(range(len(jobs)))
        self.alone: deque[int] = deque()
        self.attempts = [0] * len(jobs)
        self.inflight: dict[Future[FileResult], _Slot] = {}
        self.by_index: dict[int, _Slot] = {}
        self.barren = 0  # pool failures in a row with no job started: the pool cannot work

    # -- pool lifecycle
    def _new_pool(self) -> None:
        self.queue = self.ctx.SimpleQueue()
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self.ctx,
            initializer=_init_worker,
            initargs=(self.queue,),
        )

    def _processes(self) -> list[Any]:
        procs = pool_processes(self.pool)
        return procs if procs is not None else list(mp.active_children())

    def _kill(self, pid: int | None) -> bool:
        for proc in self._processes():
            if pid is None or proc.pid == pid:
                with contextlib.suppress(OSError, ValueError):
                    proc.kill()
                if pid is not None:
                    return True
        return pid is None

    def _drop_pool(self, kill: bool = True) -> None:
        if self.pool is not None:
            if kill:
                self._kill(None)
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.queue is not None:
            self.queue.close()
        self.pool = None
        self.queue = None

    # -- bookkeeping
    def _submit(self, index: int, alone: bool = False) -> None:
        assert self.pool is not None
        fut = self.pool.submit(_run_job, self.func, index, self.jobs[index])
        slot = _Slot(index=index, submitted=time.monotonic(), alone=alone)
        self.inflight[fut] = slot
        self.by_index[index] = slot

    def _drain_starts(self) -> None:
        q = self.queue
        if q is None:
            return
        try:
            while not q.empty():
                index, pid = q.get()
                slot = self.by_index.get(index)
                if slot is not None and slot.started is None:
                    slot.started = time.monotonic()
                    slot.pid = pid
                self.barren = 0
        except (OSError, EOFError, ValueError):
            pass

    def _finish(self, slot: _Slot, result: FileResult) -> None:
        self.by_index.pop(slot.index, None)
        self.on_done(slot.index, result)

    def _collect(self, fut: Future[FileResult], slot: _Slot) -> bool:
        """Report a finished future; False when it died with the pool (a casualty)."""
        try:
            result = fut.result()
        except BrokenProcessPool:
            return False
        except Exception as err:  # e.g. a result that cannot be unpickled
            detail = " ".join(f"{type(err).__name__}: {err}".split())[:300]
            job = self.jobs[slot.index]
            result = failed(job, "internal-error", f"处理 {job.display} 时发生内部错误：{detail}")
        self._finish(slot, result)
        return True

    # -- main loop
    def run(self) -> Outcome:
        try:
            while self.pending or self.alone or self.inflight:
                if self.pool is None:
                    self._new_pool()
                self._fill()
                done, _ = wait(
                    list(self.inflight), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED
                )
                self._drain_starts()
                casualties: list[_Slot] = []
                for fut in done:
                    slot = self.inflight.pop(fut)
                    if not self._collect(fut, slot):
                        casualties.append(slot)
                killed = self._enforce_deadlines()
                if casualties or killed:
                    self._recover(casualties, killed)
        except KeyboardInterrupt:
            unfinished = sorted(
                {s.index for s in self.inflight.values()} | set(self.pending) | set(self.alone)
            )
            self.inflight.clear()
            self.pending.clear()
            self.alone.clear()
            self._drop_pool()
            return Outcome(interrupted=True, unfinished=unfinished)
        self._drop_pool(kill=False)
        return Outcome()

    def _fill(self) -> None:
        if self.alone or any(s.alone for s in self.inflight.values()):
            if not self.inflight and self.alone:
                self._submit(self.alone.popleft(), alone=True)
            return
        # One job more than workers: a worker that finishes finds its next job already queued
        # (no round trip through the parent). Deadlines count from a job's start, not its
        # submission, so the queued job is not timed for its wait.
        while self.pending and len(self.inflight) < self.workers + 1:
            self._submit(self.pending.popleft())

    def _enforce_deadlines(self) -> list[_Slot]:
        now = time.monotonic()
        killed: list[_Slot] = []
        for fut, slot in list(self.inflight.items()):
            if slot.started is not None and now - slot.started > self.timeout:
                if self._kill(slot.pid):
                    del self.inflight[fut]
                    killed.append(slot)
                    self._finish(slot, timeout_result(self.jobs[slot.index], self.timeout))
            elif slot.started is None and now - slot.submitted > self.timeout + STARTUP_GRACE:
                # Nobody picked the job up: the pool itself is stuck. Restart it; the in-flight
                # jobs run again (_recover), unless this keeps happening.
                self._kill(None)
                self.barren += 1
                if self.barren >= MAX_ATTEMPTS:
                    stuck = list(self.inflight.values())
                    self.inflight.clear()
                    self._drop_pool()
                    self._give_up(stuck)
                    return []
                killed.append(slot)
                break
        return killed

    def _requeue_or_fail(self, slot: _Slot) -> None:
        if self.attempts[slot.index] >= MAX_ATTEMPTS:
            self._finish(slot, crashed_result(self.jobs[slot.index]))
        else:
            self.by_index.pop(slot.index, None)
            self.pending.appendleft(slot.index)

    def _recover(self, casualties: list[_Slot], killed: list[_Slot]) -> None:
        """The pool is broken (we killed a worker, or one died): sort out the in-flight jobs."""
        if self.inflight:
            done, _ = wait(list(self.inflight), timeout=60)
            for fut in done:
                slot = self.inflight.pop(fut)
                if not self._collect(fut, slot):
                    casualties.append(slot)
            casualties.extend(self.inflight.values())  # stuck beyond reason: treat as casualties
            self.inflight.clear()
        self._drain_starts()
        self._drop_pool()
        casualties.sort(key=lambda s: s.index, reverse=True)
        if killed:
            # We caused the break: everyone else is innocent and simply runs again.
            for slot in casualties:
                self.by_index.pop(slot.index, None)
                self.pending.appendleft(slot.index)
            return
        # A worker died on its own. Suspects are the jobs that had started; each is re-run
        # alone, and only a job that kills its worker when alone is failed as "crashed". Jobs
        # that had not started are innocent, unless nothing had started at all (the pool itself
        # cannot run: count attempts so that this ends).
        any_started = any(s.started is not None for s in casualties)
        if not any_started:
            self.barren += 1
            if self.barren >= MAX_ATTEMPTS:
                self._give_up(casualties)
                return
        for slot in casualties:
            if slot.alone:
                self._finish(slot, crashed_result(self.jobs[slot.index]))
            elif slot.started is not None:
                self.by_index.pop(slot.index, None)
                self.alone.appendleft(slot.index)
            else:
                if not any_started:
                    self.attempts[slot.index] += 1
                self._requeue_or_fail(slot)

    def _give_up(self, casualties: list[_Slot]) -> None:
        """Worker processes die before running anything: fail every remaining job at once
        (retrying file by file would take hours and change nothing)."""
        reason = (
            f"工作进程无法启动（连续 {self.barren} 次在处理任何文件之前退出）；"
            '若在自己的脚本中调用 perfsheet，请把调用放在 if __name__ == "__main__": 之下'
        )
        rest = [s.index for s in casualties] + list(self.alone) + list(self.pending)
        self.alone.clear()
        self.pending.clear()
        for index in sorted(set(rest)):
            self.by_index.pop(index, None)
            job = self.jobs[index]
            self.on_done(index, failed(job, "crashed", f"无法处理 {job.display}：{reason}"))


def run_local(
    jobs: Sequence[FileJob],
    *,
    workers: int,
    timeout: float,
    on_done: OnDone,
    func: PerFileFunction = convert_file,
) -> Outcome:
    """Run ``func`` over ``jobs`` in a local process pool (see the module docstring)."""
    if not jobs:
        return Outcome()
    return _LocalRunner(jobs, workers, timeout, func, on_done).run()


# ---------------------------------------------------------------- Dask

START_TOPIC = "perfsheet-batch-start"


def _dask_task(func: PerFileFunction, index: int, job: FileJob) -> FileResult:
    try:
        from distributed import get_worker

        worker = get_worker()
        worker.log_event(START_TOPIC, {"index": index, "worker": worker.address})
    except Exception:  # not on a worker (or events unsupported): the parent falls back
        pass
    return func(job)


def connect_dask(address: str, *, timeout: float = 30.0) -> Any:
    """A ``distributed.Client`` for the scheduler at ``address`` (UsageError when impossible)."""
    try:
        from distributed import Client
    except ImportError as err:
        raise UsageError("使用 --scheduler 需要安装 Dask：pip install 'perfsheet[dask]'") from err
    try:
        return Client(address, timeout=timeout)
    except Exception as err:  # OSError, TimeoutError, ValueError for a malformed address…
        detail = " ".join(str(err).split())[:200] or type(err).__name__
        raise UsageError(f"无法连接 Dask 调度器 {address}：{detail}") from err


def run_dask(
    jobs: Sequence[FileJob],
    *,
    client: Any,
    timeout: float,
    on_done: OnDone,
    func: PerFileFunction = convert_file,
) -> Outcome:
    """Run ``func`` over ``jobs`` on the cluster of ``client`` (see :func:`connect_dask`);
    the client is closed at the end."""
    from distributed import wait as dask_wait

    if not jobs:
        client.close()
        return Outcome()

    lock = threading.Lock()
    started: dict[int, tuple[float, str | None]] = {}

    def on_event(event: Any) -> None:
        _, msg = event
        if isinstance(msg, dict) and "index" in msg:
            with lock:
                started.setdefault(int(msg["index"]), (time.monotonic(), msg.get("worker")))

    inflight: dict[Any, tuple[int, float]] = {}
    pending = deque(range(len(jobs)))
    try:
        client.subscribe_topic(START_TOPIC, on_event)
        window = max(1, sum(client.nthreads().values())) * 2
        while pending or inflight:
            while pending and len(inflight) < window:
                i = pending.popleft()
                fut = client.submit(_dask_task, func, i, jobs[i], pure=False, retries=0)
                inflight[fut] = (i, time.monotonic())
            try:
                done = dask_wait(
                    list(inflight), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED"
                ).done
            except TimeoutError:
                done = set()
            for fut in done:
                i, _ = inflight.pop(fut)
                with lock:
                    started.pop(i, None)
                on_done(i, _dask_result(fut, jobs[i]))
            now = time.monotonic()
            for fut, (i, _) in list(inflight.items()):
                with lock:
                    start = started.get(i)
                if start is not None and now - start[0] > timeout:
                    del inflight[fut]
                    fut.cancel()
                    on_done(i, timeout_result(jobs[i], timeout))
                    if start[1]:
                        # Free the stuck thread: restart that worker through its nanny.
                        with contextlib.suppress(Exception):
                            client.restart_workers([start[1]], raise_for_error=False)
    except KeyboardInterrupt:
        unfinished = sorted({i for i, _ in inflight.values()} | set(pending))
        with contextlib.suppress(Exception):
            client.cancel(list(inflight))
        client.close()
        return Outcome(interrupted=True, unfinished=unfinished)
    client.close()
    return Outcome()


def _dask_result(fut: Any, job: FileJob) -> FileResult:
    try:
        return fut.result()
    except Exception as err:
        name = type(err).__name__
        if name == "KilledWorker":
            return crashed_result(job)
        if name == "CancelledError":
            return failed(job, "interrupted", f"{job.display} 的任务已被 Dask 取消")
        detail = " ".join(f"{name}: {err}".split())[:300]
        return failed(job, "internal-error", f"处理 {job.display} 时发生内部错误：{detail}")
