"""Fork safety: a forked child never touches the parent's sockets, threads or
lock; it reopens (through the parent's socket, since the parent serves the
data directory) on first use."""

import multiprocessing as mp
import os

import nokv


def _child_reads(client, reader, queue):
    try:
        queue.put(
            (
                client.read_bytes("/shared.bin"),
                reader.read_at(0, 5),
                client.role,
                client._native.reopens,
            )
        )
        client.write_bytes("/from-child", str(os.getpid()).encode())
        queue.put("ok")
    except BaseException as e:  # noqa: BLE001 - sent to the parent
        queue.put(repr(e))


def test_forked_child_reopens_and_reads(client):
    client.write_bytes("/shared.bin", b"hello from the parent")
    reader = client.open("/shared.bin")
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_reads, args=(client, reader, queue))
    child.start()
    data, head, role, reopens = queue.get(timeout=60)
    assert queue.get(timeout=60) == "ok"
    child.join(60)
    assert child.exitcode == 0
    assert data == b"hello from the parent"
    assert head == b"hello"
    assert role == "client"  # through the parent's socket
    assert reopens == 1
    assert client.read_bytes("/from-child") == str(child.pid).encode()
    # The parent's own objects still work.
    assert reader.read_at(6, 4) == b"from"
    assert client.role == "serving"
    reader.close()


def _child_reads_stale(reader, queue):
    try:
        queue.put(reader.read_at(0, 3))
    except BaseException as e:  # noqa: BLE001 - sent to the parent
        queue.put(e)


def test_reader_inherited_after_a_replace_refuses_other_bytes(client):
    client.write_bytes("/v", b"one")
    reader = client.open("/v")
    client.write_bytes("/v", b"two")
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_reads_stale, args=(reader, queue))
    child.start()
    result = queue.get(timeout=60)
    child.join(60)
    assert isinstance(result, nokv.ConflictError), result
    assert "forked" in str(result)
    assert reader.read_at(0, 3) == b"one"
    reader.close()


def test_many_forks_in_a_row(tmp_path):
    # A directory this client created: the children must not initialize it
    # again (the parent holds it), only join it.
    client = nokv.Client(tmp_path / "fresh", create=True)
    client.write_bytes("/shared.bin", b"x" * 100)
    ctx = mp.get_context("fork")
    for _ in range(3):
        queue = ctx.Queue()
        reader = client.open("/shared.bin")
        child = ctx.Process(target=_child_reads, args=(client, reader, queue))
        child.start()
        data, head, role, _ = queue.get(timeout=60)
        assert (data, head, role) == (b"x" * 100, b"xxxxx", "client")
        assert queue.get(timeout=60) == "ok"
        child.join(60)
        assert child.exitcode == 0
        reader.close()
    client.close()


def _child_pickled(client, queue):
    queue.put((client.read_bytes("/p"), client.role))


def test_spawned_worker_reopens_from_pickled_client(client):
    client.write_bytes("/p", b"pickled")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_pickled, args=(client, queue))
    child.start()
    data, role = queue.get(timeout=120)
    child.join(60)
    assert data == b"pickled" and role == "client"


def test_remote_client_reconnects_after_fork(server_factory, data_dir):
    server = server_factory(data_dir, "--listen", "127.0.0.1:0")
    with nokv.Client(server=server.tcp_address()) as c:
        c.write_bytes("/remote", b"over tcp")
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_child_reads, args=(c, c.open("/remote"), queue))
        c.write_bytes("/shared.bin", b"remote shared")
        child.start()
        data, head, role, _ = queue.get(timeout=60)
        assert queue.get(timeout=60) == "ok"
        child.join(60)
        assert (data, head, role) == (b"remote shared", b"over ", "remote")


def _child_role(client, queue):
    queue.put((client.role, client._native.reopens))


def test_role_in_a_child_is_its_own(client):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_role, args=(client, queue))
    child.start()
    assert queue.get(timeout=60) == ("client", 1)
    child.join(60)
    assert client.role == "serving"
