"""Every way of stopping a process releases the embedded servers it started; `ce-service embedded stop` ends those a
SIGKILL left behind, naming each. "After any stop, ps shows no server of ours left."

The tests wait on conditions (a health answer, a line in the log, a process gone), never on how fast this machine is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

from tests.test_embedded import free_port, run

EXIT_WAIT = 180   # seconds a stopping command may take to stop its servers on a loaded machine (a limit, not a timing)


def servers_of(data: Path) -> list[str]:
    """The PostgreSQL and Redis processes serving this data folder: PostgreSQL by its -D, Redis by its directory."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "cwd", "status"]):
        try:
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmdline = " ".join(process.info["cmdline"] or [])
            if "postgres" in (process.info["name"] or "") and str(data / "pg") in cmdline:
                found.append(f"postgres {process.pid}")
            elif "redis-server" in (process.info["name"] or "") + cmdline and process.info["cwd"] == str(data):
                found.append(f"redis {process.pid}")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


class Command:
    """`ce-service ARGS` in the background with only the data folder configured; its log read as it comes."""

    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
        environment.update({"CE_DATA_DIR": str(data), "CE_LOG_FORMAT": "text", **(env or {})})
        self.process = subprocess.Popen([sys.executable, "-m", "ce_service", *args], env=environment,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.seen = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()

    def wait_for(self, text: str, limit: float = 180) -> None:
        """Until the log says `text` (the limit only keeps a broken start from hanging the suite)."""
        with self.seen:
            assert self.seen.wait_for(lambda: any(text in line for line in self.lines) or self.process.poll() is not None,
                                      limit), f"no {text!r} in: {''.join(self.lines)[-2000:]}"
        assert self.process.poll() is None, "".join(self.lines)[-2000:]

    def stop(self, number: int) -> int:
        self.process.send_signal(number)
        return self.process.wait(EXIT_WAIT)


def serving(data: Path) -> tuple[Command, str]:
    port = free_port()
    command = Command(data, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    for _ in range(1800):
        assert command.process.poll() is None, "".join(command.lines)[-2000:]
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                return command, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the service did not answer /health")


def test_serve_and_worker_stopped_with_sigterm_or_sighup_leave_no_server(tmp_path: Path):
    data = tmp_path / "data"
    command, _ = serving(data)
    assert servers_of(data), "the service runs on embedded servers of its data folder"
    command.stop(signal.SIGTERM)
    assert servers_of(data) == []

    worker = Command(data, "worker")
    worker.wait_for("Starting worker")
    assert servers_of(data)
    worker.stop(signal.SIGTERM)
    assert servers_of(data) == []

    command, _ = serving(data)
    command.stop(signal.SIGHUP)
    assert servers_of(data) == []


def test_a_command_stopped_with_sigterm_while_its_servers_start_leaves_none(tmp_path: Path):
    data = tmp_path / "data"
    run(data, "migrate")
    command = Command(data, "clients", "list")
    # SIGTERM as soon as the embedded PostgreSQL is up for this command (it may already have finished: then its
    # normal exit must have stopped them too).
    pid_file = data / "pg" / "postmaster.pid"
    while command.process.poll() is None and not pid_file.exists():
        time.sleep(0.01)
    if command.process.poll() is None:
        command.stop(signal.SIGTERM)
    command.process.wait(EXIT_WAIT)
    assert servers_of(data) == []


def test_embedded_stop_ends_what_a_kill_9_left_and_names_it(tmp_path: Path):
    data = tmp_path / "data"
    command, _ = serving(data)
    command.stop(signal.SIGKILL)          # no exit handler runs: both servers are left behind
    left = servers_of(data)
    assert any(s.startswith("postgres") for s in left) and any(s.startswith("redis") for s in left)

    stopped = run(data, "embedded", "stop")
    assert "PostgreSQL (pid" in stopped.stdout and "Redis (pid" in stopped.stdout, stopped.stdout
    assert stopped.stdout.count(": stopped") + stopped.stdout.count(": killed") == 2, stopped.stdout
    assert servers_of(data) == []
    assert "none running" in run(data, "embedded", "stop").stdout

    # And the folder starts again afterwards, with what it held.
    command, base = serving(data)
    assert httpx.get(f"{base}/health", timeout=5).status_code == 200
    command.stop(signal.SIGTERM)
    assert servers_of(data) == []


def test_embedded_stop_leaves_servers_a_living_process_uses(tmp_path: Path):
    data = tmp_path / "data"
    command, _ = serving(data)
    try:
        answer = run(data, "embedded", "stop")
        assert "left running" in answer.stdout and servers_of(data)
    finally:
        command.stop(signal.SIGTERM)
    assert servers_of(data) == []
