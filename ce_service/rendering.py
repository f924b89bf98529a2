"""Documents rendered and files parsed in separate processes, with a time and a memory limit, never on the event loop.

Each purpose has its own process ("render" for forms, "upload" for checking a file as it arrives,
"import" for reading a whole file in a job, "photo" for scaling certificates), so that a slow one
stopped at its timeout takes nothing else down with it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ce_service.errors import Unavailable

T = TypeVar("T")
MEMORY_BYTES = 2 << 30   # address space of the rendering process
TIMEOUT_SECONDS = 30.0
PARENT_CHECK_SECONDS = 0.5

_pools: dict[str, ProcessPoolExecutor] = {}


def _prepare(parent: int) -> None:
    """In the new process: cap its memory, and make it end when the process that started it is gone."""
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


def _executor(name: str) -> ProcessPoolExecutor:
    if name not in _pools:
        # spawn, not fork: a copy of a running event loop and its sockets is no place to render in.
        _pools[name] = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_prepare, initargs=(os.getpid(),))
    return _pools[name]


def _discard(name: str) -> None:
    """Stop a purpose's process (stuck or dead); its next call starts a new one."""
    pool = _pools.pop(name, None)
    if pool is not None:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        # Not cancel_futures: work queued behind the stuck one then ends as BrokenProcessPool, a clean
        # 503 for its own request, instead of a cancelled await that answers nothing.
        pool.shutdown(wait=False)


async def off_loop(work: Callable[..., T], *args: Any, timeout: float = TIMEOUT_SECONDS, pool: str = "render") -> T:
    """work(*args) in the process of `pool`; 503 when it takes longer than `timeout` or runs out of memory.

    `work` and its arguments cross to the other process by pickling: a module-level function and plain data.
    """
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(_executor(pool), work, *args), timeout)
    except (TimeoutError, asyncio.TimeoutError):
        _discard(pool)
        raise Unavailable(f"The work took longer than {timeout:.0f} s; try again later.") from None
    except (BrokenProcessPool, MemoryError):
        _discard(pool)
        raise Unavailable("The work could not be done within its memory limit; try again later.") from None
