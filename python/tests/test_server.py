"""Server modes: a `nokv serve` process started by the test, reached by
address (TCP with a token, unix socket) and by its data directory (the
holder's socket), and a Python process that serves a directory to the CLI."""

import os

import pytest

import nokv
from conftest import run_cli

TOKEN = "test-token-0123456789abcdef"


def test_tcp_server_with_token(server_factory, data_dir, monkeypatch):
    env = dict(os.environ, NOKV_TOKEN=TOKEN)
    server = server_factory(data_dir, "--listen", "127.0.0.1:0", env=env)
    address = server.tcp_address()
    with nokv.Client(server=address, token=TOKEN) as c:
        assert c.role == "remote"
        c.write_bytes("/tcp/file", b"over tcp")
        assert c.read_bytes("/tcp/file") == b"over tcp"
        assert c.info("/tcp/file")["size"] == 8
    monkeypatch.setenv("NOKV_TOKEN", TOKEN)
    with nokv.Client(server=address) as c:  # the token from the environment
        assert c.ls("/tcp")[0]["name"] == "/tcp/file"


def test_wrong_token_is_permission_error(server_factory, data_dir, monkeypatch):
    env = dict(os.environ, NOKV_TOKEN=TOKEN)
    server = server_factory(data_dir, "--listen", "127.0.0.1:0", env=env)
    monkeypatch.delenv("NOKV_TOKEN", raising=False)
    with pytest.raises(PermissionError):
        nokv.Client(server=server.tcp_address(), token="wrong")


def test_unix_socket_address(server_factory, data_dir, tmp_path):
    sock = str(tmp_path / "srv.sock")
    server_factory(data_dir, "--unix", sock)
    with nokv.Client(server=f"unix:{sock}") as c:
        c.mkdir("/u")
        assert c.stat("/u")["type"] == "directory"


def test_server_by_environment(server_factory, data_dir, monkeypatch):
    server = server_factory(data_dir, "--listen", "127.0.0.1:0")
    monkeypatch.setenv("NOKV_SERVER", server.tcp_address())
    monkeypatch.delenv("NOKV_DATA_DIR", raising=False)
    import fsspec

    fs = fsspec.filesystem("nokv", skip_instance_cache=True)
    fs.pipe_file("/env-server", b"e")
    assert fs.client.role == "remote"
    assert fs.cat("/env-server") == b"e"


def test_data_dir_held_by_nokv_serve_goes_through_its_socket(server_factory, data_dir):
    server_factory(data_dir)
    with nokv.Client(data_dir) as c:
        assert c.role == "client"
        c.write_bytes("/via-holder", b"socket")
        # Everything through one holder: the CLI sees it too.
        assert run_cli(data_dir, "cat", "/via-holder").stdout == "socket"


def test_python_takes_over_when_the_server_stops(server_factory, data_dir):
    server = server_factory(data_dir)
    with nokv.Client(data_dir) as c:
        c.write_bytes("/before", b"1")
        server.stop()
        # The next call finds the socket dead and takes the directory over.
        assert c.read_bytes("/before") == b"1"
        assert c.role in ("serving", "embedded")
        c.write_bytes("/after", b"2")
    with nokv.Client(data_dir) as c:
        assert c.read_bytes("/after") == b"2"


def test_same_operations_in_embedded_and_server_modes(server_factory, data_dir, tmp_path):
    def exercise(c):
        c.mkdir("/m", parents=True, exist_ok=True)
        c.write_bytes("/m/a", b"abc")
        c.mv("/m/a", "/m/b")
        with c.open("/m/b") as f:
            assert f.read_at(1, 2) == b"bc"
        snap = c.create_snapshot("s-" + c.role)
        assert snap["seq"] > 0
        c.rm("/m", recursive=True)
        return [e["type"] for e in c.watch("/m", follow=False)]

    with nokv.Client(data_dir) as c:
        embedded = exercise(c)
    server = server_factory(data_dir, "--listen", "127.0.0.1:0")
    with nokv.Client(server=server.tcp_address()) as c:
        remote = exercise(c)
    assert embedded == ["mkdir", "publish", "rename", "remove"]
    assert remote == embedded * 2
