"""Documents rendered and files parsed in separate processes, with a time and a memory limit, never on the event loop.

Each purpose has its own process, so that a slow one stopped at its timeout takes nothing else down
with it, and work of one kind never waits behind work of another:

- "render": the registration form (PDF, XLSX);
- "report": import reports (reading the uploaded file again for the rejected rows);
- "upload": checking a file as it arrives;
- "import": reading a whole file in an import job;
- "photo": scaling certificates for display.

A purpose's process does one piece of work at a time; the rest wait their turn. The time limit of a
piece of work counts from the moment the process starts on it (the process says so), not from when it
was asked for: a slow piece of work does not make the ones queued behind it time out. Waiting for a
turn has its own limit: past it the caller gets a 503 "busy, try again" (`Busy`) and the work is
dropped from the queue without touching the process or the work it is doing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ce_service.errors import Unavailable

T = TypeVar("T")
MEMORY_BYTES = 2 << 30   # address space of the rendering process
TIMEOUT_SECONDS = 30.0   # of work, from its start in the process
WAIT_SECONDS = 30.0      # waiting for a turn (behind other work of the same purpose), then 503 busy
PARENT_CHECK_SECONDS = 0.5
PURPOSES = ("render", "report", "upload", "import", "photo")
BUSY_RETRY_AFTER = 30
MAX_FRESH_PROCESSES = 3   # a call whose process broke under other work tries again in a new one, this many times at most

_pools: dict[str, _Pool] = {}
_pools_lock = threading.Lock()
_jobs = itertools.count(1)

# In the worker process: its end of the link to the parent, over which it says what it starts.
_link: Any = None


class Busy(Unavailable):
    """Work of this kind waited too long for its turn; nothing was done, try again later (503)."""


def _prepare(parent: int, link: Any) -> None:
    """In the new process: cap its memory, and make it end when the process that started it is gone."""
    global _link
    _link = link
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    # A pool's worker holds both ends of its own task queue, so it never notices a parent that was
    # killed (SIGTERM, SIGKILL) and would wait for ever. Linux's PR_SET_PDEATHSIG would fire when the
    # parent *thread* ends, which is too soon (the pool outlives the thread that first used it), so
    # a watcher thread looks at the parent process instead.
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _call(job: int, work: Callable[..., T], *args: Any) -> T | None:
    """In the worker: ask the parent whether the caller still waits for this work, then do it (or not)."""
    _link.send(job)
    if not _link.recv():
        return None   # the caller gave up waiting for its turn: nobody wants the result
    return work(*args)


@dataclass(eq=False)
class _Job:
    """One piece of work as the caller sees it: `start` is settled when the worker starts it (or it ends unstarted)."""

    id: int
    start: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)
    began: bool = False   # the worker started it (as opposed to: it ended without starting)


class _Pool:
    """One purpose's process, and a thread that answers the process when it is about to start a piece of work."""

    def __init__(self, name: str) -> None:
        context = multiprocessing.get_context("spawn")   # not fork: a copy of a running event loop is no place to work in
        self.name = name
        self.here, self.there = context.Pipe(duplex=True)
        self.executor = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_prepare,
                                            initargs=(os.getpid(), self.there))
        self.waiting: dict[int, _Job] = {}
        self.lock = threading.Lock()
        threading.Thread(target=self._answer, name=f"off-loop-{name}", daemon=True).start()

    def _answer(self) -> None:
        """Tell the worker whether to start each piece of work, and its caller that it started."""
        try:
            while True:
                job_id = self.here.recv()
                if job_id is None:   # close(): the pool is done
                    return
                with self.lock:
                    job = self.waiting.pop(job_id, None)
                    # A caller that gave up cancelled `start`; otherwise it is now running, atomically.
                    go = job is not None and not job.start.done() and job.start.set_running_or_notify_cancel()
                    if go:
                        job.began = True
                self.here.send(go)
                if go:
                    job.start.set_result(None)
        except (EOFError, OSError):
            return
        finally:
            self.here.close()

    def submit(self, work: Callable[..., Any], args: tuple) -> tuple[_Job, concurrent.futures.Future]:
        job = _Job(next(_jobs))
        with self.lock:
            self.waiting[job.id] = job
        result = self.executor.submit(_call, job.id, work, *args)
        result.add_done_callback(lambda _: self._ended(job))
        return job, result

    def _ended(self, job: _Job) -> None:
        """The work's result is in (or the pool broke): a caller still waiting for its start stops waiting."""
        with self.lock:
            self.waiting.pop(job.id, None)
            settle = job.start.set_running_or_notify_cancel() if not job.start.done() and not job.began else False
        if settle:
            job.start.set_result(None)

    def give_up(self, job: _Job, result: concurrent.futures.Future) -> bool:
        """Take a piece of work that has not started out of the queue; False if it has started (or ended)."""
        with self.lock:
            if not job.start.cancel():
                return False
            self.waiting.pop(job.id, None)
        result.cancel()   # still in the executor's own queue: dropped there; otherwise the worker skips it
        return True

    def close(self) -> None:
        """Stop the process (stuck or dead) and the thread that talks to it."""
        for process in list(getattr(self.executor, "_processes", {}).values()):
            process.kill()
        # Not cancel_futures: work queued behind the stuck one ends as BrokenProcessPool, and its callers,
        # which were still waiting for their turn, take it to a new process.
        self.executor.shutdown(wait=False)
        try:
            self.there.send(None)   # the parent's copy of the worker's end: wakes _answer, which then ends
        except OSError:
            pass
        self.there.close()


def _pool(name: str) -> _Pool:
    with _pools_lock:
        if name not in _pools:
            _pools[name] = _Pool(name)
        return _pools[name]


def _discard(name: str, pool: _Pool | None = None) -> None:
    """Stop a purpose's process (stuck or dead); its next call starts a new one."""
    with _pools_lock:
        current = _pools.get(name)
        if current is None or (pool is not None and current is not pool):
            return   # already replaced
        del _pools[name]
    current.close()


async def off_loop(work: Callable[..., T], *args: Any, timeout: float = TIMEOUT_SECONDS, pool: str = "render",
                   wait: float | None = WAIT_SECONDS) -> T:
    """work(*args) in the process of `pool`.

    `timeout` counts from the moment the process starts on the work: past it, or when the work runs out of
    memory, the process is stopped and the caller gets 503. Waiting for the turn (other work of the same
    purpose ahead) is limited by `wait` (None: no limit): past it, `Busy` (503) and the work is not done.
    `work` and its arguments cross to the other process by pickling: a module-level function and plain data.
    """
    loop = asyncio.get_running_loop()
    turn_ends = None if wait is None else loop.time() + wait
    for _ in range(MAX_FRESH_PROCESSES):
        current = _pool(pool)
        try:
            job, result = current.submit(work, args)
        except (BrokenProcessPool, RuntimeError):   # broken, or shut down by another caller just now
            _discard(pool, current)
            continue
        # The turn: until the worker starts the work (or the work ends without starting: a broken pool).
        left = None if turn_ends is None else max(0.0, turn_ends - loop.time())
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job.start)), left)
        except (TimeoutError, asyncio.TimeoutError):
            if current.give_up(job, result):
                raise Busy(f"The server is busy with other work of this kind ({pool}); try again in a minute.",
                           headers={"Retry-After": str(BUSY_RETRY_AFTER)}) from None
        except asyncio.CancelledError:
            current.give_up(job, result)
            raise
        if not job.began:
            # Ended without starting: the process broke under work ahead of this one. Start again in a new one.
            exception = result.exception() if result.done() and not result.cancelled() else None
            if isinstance(exception, BrokenProcessPool) or result.cancelled():
                _discard(pool, current)
                if turn_ends is not None and loop.time() >= turn_ends:
                    raise Busy(f"The server is busy with other work of this kind ({pool}); try again in a minute.",
                               headers={"Retry-After": str(BUSY_RETRY_AFTER)})
                continue
            return result.result()   # e.g. the work could not be pickled: its own error
        # Started: now the work's own time limit.
        try:
            return await asyncio.wait_for(asyncio.wrap_future(result), timeout)
        except (TimeoutError, asyncio.TimeoutError):
            _discard(pool, current)
            raise Unavailable(f"The work took longer than {timeout:g} s; try again later.") from None
        except (BrokenProcessPool, MemoryError):
            _discard(pool, current)
            raise Unavailable("The work could not be done within its memory limit; try again later.") from None
    raise Unavailable(f"No process for this work ({pool}) could be started; try again later.")
