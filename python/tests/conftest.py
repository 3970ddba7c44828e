"""Fixtures for the binding's tests: fresh data directories, clients on
them, and real `nokv serve` processes (the CLI built beside the module;
NOKV_BIN names it when ctest runs the tests)."""

import os
import re
import subprocess
import time

import pytest

import nokv

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def nokv_bin():
    path = os.environ.get("NOKV_BIN") or os.path.join(_REPO, "build", "src", "cli", "nokv")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"the nokv CLI is not at {path}: build it or set NOKV_BIN")
    return path


def run_cli(data_dir, *args, check=True, env=None):
    """Runs `nokv --data-dir DATA_DIR ARGS...`; returns the CompletedProcess."""
    cmd = [nokv_bin(), "--data-dir", str(data_dir), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} exited {result.returncode}: {result.stderr}")
    return result


class Server:
    """A `nokv serve` process on a data directory, stopped with SIGTERM."""

    def __init__(self, data_dir, *extra, env=None):
        self.data_dir = str(data_dir)
        self.proc = subprocess.Popen(
            [nokv_bin(), "--data-dir", self.data_dir, "serve", "--no-maintenance", *extra],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.addresses = []
        want = 1 + sum(1 for a in extra if a == "--listen")
        deadline = time.monotonic() + 30
        # The server prints one "serving DIR on ADDRESS" line per listener
        # once it answers; read until all are there.
        while len(self.addresses) < want:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError(f"nokv serve exited early ({self.proc.wait()})")
            match = re.search(r"serving .* on (\S+)$", line.strip())
            if match:
                self.addresses.append(match.group(1))
            if time.monotonic() > deadline:
                raise RuntimeError("nokv serve did not start")

    def tcp_address(self):
        return next(a for a in self.addresses if not a.startswith("unix:"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc.stderr.close()


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    run_cli(path, "init")
    return path


@pytest.fixture
def client(data_dir):
    c = nokv.Client(data_dir)
    yield c
    c.close()


@pytest.fixture
def server_factory():
    servers = []

    def start(data_dir, *extra, env=None):
        server = Server(data_dir, *extra, env=env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
