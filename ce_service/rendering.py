"""Documents rendered in a separate process, with a time and a memory limit, never on the event loop."""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ce_service.errors import Unavailable

T = TypeVar("T")
MEMORY_BYTES = 2 << 30   # address space of the rendering process
TIMEOUT_SECONDS = 30.0

_pool: ProcessPoolExecutor | None = None


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # spawn, not fork: a copy of a running event loop and its sockets is no place to render in.
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_limit_memory)
    return _pool


def _discard() -> None:
    """Stop the rendering process (stuck or dead); the next call starts a new one."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


async def off_loop(render: Callable[..., T], *args: Any, timeout: float = TIMEOUT_SECONDS) -> T:
    """render(*args) in the rendering process; 503 when it takes longer than `timeout` or runs out of memory."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(_executor(), render, *args), timeout)
    except (TimeoutError, asyncio.TimeoutError):
        _discard()
        raise Unavailable(f"The document took longer than {timeout:.0f} s to render; try again later.") from None
    except (BrokenProcessPool, MemoryError):
        _discard()
        raise Unavailable("The document could not be rendered within its memory limit; try again later.") from None
