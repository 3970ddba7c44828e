"""Hostile paths and names through the binding (issue #19): '..', NUL,
overlong names, deep trees, symbolic link loops, and links that lead out of
a snapshot or out of an agent's root. Each is a clear error and nothing
outside the allowed scope is read or written."""

import errno

import pytest

import nokv
from conftest import run_cli


@pytest.mark.parametrize(
    "path",
    ["/a/../b", "/../etc/passwd", "/x\0y", "/" + "n" * 256],
)
def test_hostile_paths_are_invalid_argument_and_create_nothing(client, path):
    for attempt in (
        lambda: client.write_bytes(path, b"x"),
        lambda: client.mkdir(path, parents=True),
        lambda: client.stat(path),
        lambda: client.read_bytes(path),
    ):
        with pytest.raises(ValueError) as e:
            attempt()
        assert e.value.errno == errno.EINVAL
        assert len(str(e.value)) < 2048
    assert client.ls("/") == []


def test_a_tree_past_the_depth_limit_is_refused_before_anything_is_made(client):
    with pytest.raises(ValueError, match="4096"):
        client.mkdir("/d" * 10000, parents=True)
    assert client.ls("/") == []
    client.mkdir("/d" * 4096, parents=True)  # the limit itself is allowed
    assert client.stat("/d" * 4096)["type"] == "directory"


def test_symlink_loops_and_escapes_are_refused(client, data_dir):
    client.write_bytes("/outside/secret", b"secret")
    client.write_bytes("/outside/sub/f", b"f")
    client.write_bytes("/s/in", b"in")
    client.mkdir("/loop")
    for target, link in [("b", "/loop/a"), ("a", "/loop/b"), ("/outside", "/s/out")]:
        run_cli(data_dir, "ln", "-s", target, link)
    # ELOOP, as the kernel says it.
    with pytest.raises(OSError, match="too many levels of symbolic links") as loop:
        client.read_bytes("/loop/a/x")
    assert loop.value.errno == errno.ELOOP
    assert not isinstance(loop.value, nokv.ConflictError)
    client.create_snapshot("snap", root="/s")
    assert client.read_bytes("/s/in", snapshot="snap") == b"in"
    with pytest.raises(FileNotFoundError, match="outside snapshot"):
        client.read_bytes("/s/out/secret", snapshot="snap")
    # An agent confined to /s reads nothing through the link out of it.
    agent = client.agent_at(root="/s")
    assert agent.read(path="/s/in")["lines"][0]["text"] == "in"
    for verb, args in [
        ("read", {"path": "/s/out/secret"}),
        ("grep", {"paths": ["/s/out/secret"], "pattern": "secret"}),
        ("ls", {"path": "/s/out/sub"}),
    ]:
        with pytest.raises(PermissionError, match="outside the served root /s"):
            agent.call(verb, args)
    with pytest.raises(FileNotFoundError, match="outside the served root /s"):
        agent.read(path="/outside/secret")
    # Unconfined, the same link is followed.
    assert client.agent_at().read(path="/s/out/secret")["lines"][0]["text"] == "secret"
