"""Run the ASGI app in one or several processes, each with its own SO_REUSEPORT listening socket.

With one shared listening socket (what uvicorn's own --workers does), whichever process accepts
first takes a whole burst of keep-alive connections and the others sit idle: a review system with
a pool of 32 connections can end up served by one process. With a socket per process bound with
SO_REUSEPORT, the kernel spreads new connections evenly across the processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import tempfile
import time
from typing import Any

import uvicorn

from ce_service.logs import setup_logging
from ce_service.settings import DEFAULT_TRUSTED_PROXIES

log = logging.getLogger("ce_service.serving")

APP = "ce_service.app:app_from_environment"


def _listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(options: dict[str, Any]) -> uvicorn.Config:
    # log_config=None: uvicorn's loggers go through ours, which masks ID numbers in paths.
    # access_log=False: the app's own middleware logs requests (with the request ID) when CE_ACCESS_LOG is set.
    # forwarded_allow_ips: only these proxies' X-Forwarded-For is believed, so a client cannot pose as
    # another address (sign-in throttling counts per address) and nginx's own address is not everyone's.
    return uvicorn.Config(APP, factory=True, log_level=options["log_level"], access_log=False,
                          proxy_headers=True, forwarded_allow_ips=options["trusted_proxies"], backlog=2048,
                          log_config=None)


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    """One serving process with its own socket on the shared port."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop, with SIGTERM
    setup_logging(options["log_level"].upper(), options["log_format"])  # a spawned process starts with logging unset
    sock = _listening_socket(host, port, reuse_port=True)
    server = uvicorn.Server(_config(options))
    server.run(sockets=[sock])


def serve(host: str, port: int, workers: int, log_level: str, log_format: str,
          trusted_proxies: str = DEFAULT_TRUSTED_PROXIES) -> None:
    """Serve until SIGINT, SIGTERM or SIGHUP; with several workers, restart any that dies."""
    options = {"log_level": log_level, "log_format": log_format, "trusted_proxies": trusted_proxies}
    if workers == 1:
        uvicorn.Server(_config(options)).run(sockets=[_listening_socket(host, port, reuse_port=False)])
        return
    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover - not on Linux
        raise RuntimeError("several workers need SO_REUSEPORT, which this system lacks")
    # Bind once here first, so that a taken port fails now, in the foreground, with a clear error.
    _listening_socket(host, port, reuse_port=True).close()
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Request metrics of every process in one place, so that /metrics from any of them counts all.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ce-metrics-")
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start(index: int) -> multiprocessing.Process:
        process = context.Process(target=_worker, args=(host, port, options), name=f"ce-service-worker-{index}")
        process.start()
        return process

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, stop)
    processes = [start(i) for i in range(workers)]
    while not stopping:
        time.sleep(0.5)
        for i, process in enumerate(processes):
            if not process.is_alive() and not stopping:
                log.error("worker %d exited with %s; starting it again", i, process.exitcode)
                time.sleep(1)
                processes[i] = start(i)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=15)
        if process.is_alive():
            process.kill()
