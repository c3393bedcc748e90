"""`send-records serve --workers N`: N server processes on one port, each listening on a socket of its own.

uvicorn's own supervisor hands every process one shared socket, and whichever process wakes first accepts a
burst of connections: wrk's 16 connections split 2/14 or 12/4 between two processes, and the process with two
stood idle while the other queued. Here each process has its own socket on the port (SO_REUSEPORT), and the
kernel spreads connections across the sockets by a hash of their addresses.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")
spawn = multiprocessing.get_context("spawn")


def serve(config: uvicorn.Config, workers: int) -> bool:
    """Serves until SIGINT or SIGTERM, replacing a process that dies, and every process in turn on SIGHUP (as
    uvicorn's supervisor does; connections wait on the sockets meanwhile). False if a process could not start: the
    app, the store or the settings are wrong, and a replacement would fail the same way."""
    sockets = listening_sockets(config.host, config.port, workers, config.backlog)
    received: list[int] = []
    woken = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        woken.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    processes = [start(config, sock) for sock in sockets]
    host, port = sockets[0].getsockname()[:2]
    logger.info("Serving on http://%s:%d with %d processes (Press CTRL+C to quit)", host, port, workers)
    started = True
    while started and not {signal.SIGINT, signal.SIGTERM} & set(received):
        woken.wait(0.5)
        woken.clear()
        if signal.SIGHUP in received:
            received.remove(signal.SIGHUP)
            logger.info("Replacing the server processes (SIGHUP)")
            for index, process in enumerate(processes):
                stop([process])
                processes[index] = start(config, sockets[index])
        for index, process in enumerate(processes):
            if process.exitcode == STARTUP_FAILURE:
                logger.error("Server process [%d] could not start; stopping", process.pid)
                started = False
            elif process.exitcode is not None and started:
                logger.info("Server process [%d] exited with %d; starting another", process.pid, process.exitcode)
                processes[index] = start(config, sockets[index])
    stop(processes)
    return started


def stop(processes: list[multiprocessing.process.BaseProcess]) -> None:
    for process in processes:
        process.terminate()  # each server stops gracefully on SIGTERM
    for process in processes:
        process.join()


def listening_sockets(host: str, port: int, count: int, backlog: int) -> list[socket.socket]:
    """`count` sockets listening on one port. The port is first bound plainly, so that a port already in use
    (even by another server's SO_REUSEPORT sockets, which would otherwise take a share of the connections)
    fails as it does with one process, and port 0 picks one free port for all."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets = []
    for _ in range(count):
        sock = socket.socket(family)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)  # connections wait here while its process starts or is replaced
        sockets.append(sock)
    return sockets


def start(config: uvicorn.Config, sock: socket.socket) -> multiprocessing.process.BaseProcess:
    process = spawn.Process(target=run_process, args=(config, sock))
    process.start()
    return process


def run_process(config: uvicorn.Config, sock: socket.socket) -> None:
    """One server process (spawned)."""
    config.configure_logging()
    try:
        try:
            config.load()  # builds the app; uvicorn exits with 1 if that fails
        except SystemExit:
            sys.exit(STARTUP_FAILURE)
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # CTRL+C in the terminal reaches every process; the supervisor stops them all
        pass
