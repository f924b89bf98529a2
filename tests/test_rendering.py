"""Work off the event loop: each purpose in its own process, time limits counted from the start of the work,
and a clear "busy" when the turn does not come.

The work here blocks in the worker until the test creates a file, so what is running and what is waiting
is decided by the test, not by how fast the machine is.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from ce_service import rendering
from ce_service.errors import Unavailable
from ce_service.rendering import Busy, off_loop


def wait_for_file(path: str) -> int:
    """In the worker: block until the file exists; its process id."""
    while not os.path.exists(path):
        time.sleep(0.01)
    return os.getpid()


def mark_then_wait_for_file(started: str, path: str) -> int:
    """In the worker: say the work has started, then block until the file exists; its process id."""
    Path(started).touch()
    return wait_for_file(path)


async def started(path: Path) -> None:
    """Until the worker has begun the work (a condition, not a time: the process may take long to start)."""
    while not path.exists():
        await asyncio.sleep(0.01)


def touch(path: str) -> None:
    Path(path).touch()


@pytest.fixture
def gate(tmp_path):
    """A file that work in a worker waits for; created at the end of the test whatever happens, so no worker is left waiting."""
    path = tmp_path / "gate"
    yield path
    path.touch()


async def test_work_queued_behind_slow_work_gets_its_whole_time(gate):
    """The time limit counts from the start of the work in the process, not from the call: waiting behind
    slow work of the same purpose does not use it up."""
    slow = asyncio.create_task(off_loop(wait_for_file, str(gate), timeout=120, pool="t-queued"))
    queued = asyncio.create_task(off_loop(abs, -7, timeout=2, pool="t-queued"))
    await asyncio.sleep(3)    # the queued work has now waited longer than its own time limit
    assert not queued.done() and not slow.done()
    gate.touch()
    assert await queued == 7
    assert await slow > 0     # and the slow work was not stopped either


async def test_work_that_waits_too_long_for_its_turn_is_refused_busy_and_never_done(gate, tmp_path):
    mark, begun = tmp_path / "mark", tmp_path / "begun"
    slow = asyncio.create_task(off_loop(mark_then_wait_for_file, str(begun), str(gate), timeout=120, pool="t-busy"))
    await started(begun)     # the slow work holds the process before the next work asks for its turn
    with pytest.raises(Busy) as refused:
        await off_loop(touch, str(mark), pool="t-busy", wait=0.5)
    assert refused.value.status == 503 and "busy" in refused.value.detail
    assert int(refused.value.headers["Retry-After"]) > 0
    gate.touch()
    worker = await slow                                           # the work in progress went on
    assert await off_loop(os.getpid, pool="t-busy") == worker     # in the same process: nothing was stopped
    assert not mark.exists()                                      # and the refused work was never done


async def test_work_given_up_by_its_caller_before_its_turn_is_not_done(gate, tmp_path):
    mark = tmp_path / "mark"
    slow = asyncio.create_task(off_loop(wait_for_file, str(gate), timeout=120, pool="t-cancel"))
    queued = asyncio.create_task(off_loop(touch, str(mark), pool="t-cancel"))
    await asyncio.sleep(0.2)
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    gate.touch()
    await slow
    await off_loop(abs, 1, pool="t-cancel")   # runs after the place the cancelled work had in the queue
    assert not mark.exists()


async def test_a_stuck_process_is_stopped_and_the_work_behind_it_runs_in_a_new_one(gate):
    stuck = asyncio.create_task(off_loop(wait_for_file, str(gate), timeout=1, pool="t-stuck"))
    behind = asyncio.create_task(off_loop(os.getpid, pool="t-stuck"))
    with pytest.raises(Unavailable, match="longer than 1 s"):
        await stuck
    assert await behind > 0     # not a 503: it had not started, so it went to the new process


async def test_each_purpose_has_its_own_process(gate):
    """A report that takes long holds up no upload check, import, form or photo (and none of them a report)."""
    assert set(rendering.PURPOSES) == {"render", "report", "upload", "import", "photo"}
    report = asyncio.create_task(off_loop(wait_for_file, str(gate), timeout=120, pool="report"))
    pids = {purpose: await off_loop(os.getpid, pool=purpose) for purpose in rendering.PURPOSES if purpose != "report"}
    assert not report.done()
    gate.touch()
    pids["report"] = await report
    assert len(set(pids.values())) == len(rendering.PURPOSES)
