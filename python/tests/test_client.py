"""nokv.Client: every method against a real data directory (embedded,
serving it from this process)."""

import hashlib
import os
import threading
import time

import pytest

import nokv
from conftest import run_cli


def test_opens_embedded_and_serves_the_directory(client, data_dir):
    assert client.role == "serving"
    assert os.path.exists(os.path.join(data_dir, "nokv.sock"))


def test_stat_reports_attributes(client):
    client.write_bytes("/a/b.txt", b"hello")
    st = client.stat("/a/b.txt")
    assert st["name"] == "/a/b.txt"
    assert st["type"] == "file"
    assert st["size"] == 5
    assert st["mode"] == 0o644
    assert st["generation"] > 0
    assert st["mtime_ns"] > 0 and abs(st["mtime"] - st["mtime_ns"] / 1e9) < 1e-3
    d = client.stat("nokv://a")
    assert d["type"] == "directory" and d["child_count"] == 1


def test_info_carries_the_body_digest(client):
    # Two blocks of the default 4 MiB: the block-list digest
    # (docs/object-store.md, "Body digests"), as stat reports it.
    block = 4 << 20
    body = os.urandom(5 << 20)
    client.write_bytes("/x.bin", body)
    info = client.info("/x.bin")
    blocks = [body[i:i + block] for i in range(0, len(body), block)]
    listing = b"nokv-blocks-v1\n" + len(body).to_bytes(8, "big") + len(blocks).to_bytes(8, "big")
    for b in blocks:
        listing += hashlib.sha256(b).digest() + len(b).to_bytes(8, "big")
    assert info["digest"] == "sha256-blocks:" + hashlib.sha256(listing).hexdigest()
    client.write_bytes("/small", b"one block")
    assert client.info("/small")["digest"] == "sha256:" + hashlib.sha256(b"one block").hexdigest()
    client.write_bytes("/empty", b"")
    assert client.info("/empty")["digest"] == "sha256:" + hashlib.sha256(b"").hexdigest()
    assert client.info("/")["digest"] is None


def test_ls_pages_through_a_large_directory(client, tmp_path):
    local = tmp_path / "many"
    local.mkdir()
    for i in range(2500):
        (local / f"f{i:05d}").write_bytes(b"x")
    client.put(local, "/many")
    entries, more = client.list_page("/many", limit=100)
    assert len(entries) == 100 and more
    assert entries[0]["name"] == "/many/f00000"
    entries2, _ = client.list_page("/many", start_after="f00099", limit=1)
    assert entries2[0]["name"] == "/many/f00100"
    names = [e["name"] for e in client.iterdir("/many", page_size=300)]
    assert names == [f"/many/f{i:05d}" for i in range(2500)]
    assert len(client.ls("/many")) == 2500


def test_mkdir_parents_and_exist_ok(client):
    client.mkdir("/p/q/r", parents=True)
    assert client.stat("/p/q/r")["type"] == "directory"
    with pytest.raises(FileExistsError):
        client.mkdir("/p/q/r")
    assert client.mkdir("/p/q/r", exist_ok=True)["type"] == "directory"
    with pytest.raises(FileNotFoundError):
        client.mkdir("/nope/child")


def test_rm_file_dir_and_tree(client):
    client.write_bytes("/t/a/1", b"1")
    client.write_bytes("/t/a/2", b"2")
    client.rm("/t/a/1")
    assert not client.exists("/t/a/1")
    with pytest.raises(OSError) as e:
        client.rm("/t")
    assert e.value.errno == 39  # ENOTEMPTY
    client.rm("/t", recursive=True)
    assert not client.exists("/t")


def test_mv_modes(client):
    client.write_bytes("/m/a", b"A")
    client.write_bytes("/m/b", b"B")
    with pytest.raises(FileExistsError):
        client.mv("/m/a", "/m/b", overwrite=False)
    client.mv("/m/a", "/m/b", exchange=True)
    assert client.read_bytes("/m/a") == b"B" and client.read_bytes("/m/b") == b"A"
    client.mv("/m/a", "/m/b")
    assert client.read_bytes("/m/b") == b"B" and not client.exists("/m/a")
    client.mv("/m", "/moved")
    assert client.read_bytes("/moved/b") == b"B"


def test_put_and_get_a_file(client, tmp_path):
    src = tmp_path / "src.bin"
    body = os.urandom(9 << 20)
    src.write_bytes(body)
    attr = client.put(src, "/up/src.bin")
    assert attr["size"] == len(body)
    with pytest.raises(FileExistsError):
        client.put(src, "/up/src.bin")
    again = client.put(src, "/up/src.bin", overwrite=True)
    assert again["generation"] > attr["generation"]
    out = tmp_path / "out.bin"
    client.get("/up/src.bin", out)
    assert out.read_bytes() == body


def test_put_tree_is_one_commit_and_get_tree_restores_it(client, tmp_path):
    src = tmp_path / "tree"
    (src / "sub" / "deeper").mkdir(parents=True)
    files = {"a.txt": b"a", "sub/b.txt": b"bb", "sub/deeper/c.bin": os.urandom(70000)}
    for rel, data in files.items():
        (src / rel).write_bytes(data)
    attrs = client.put(src, "/tree")
    assert sorted(a["name"] for a in attrs) == sorted("/tree/" + r for r in files)
    # One commit: every file carries the same commit sequence.
    assert len({a["generation"] for a in attrs}) == 1
    dst = tmp_path / "back"
    client.get("/tree", dst)
    for rel, data in files.items():
        assert (dst / rel).read_bytes() == data


def test_read_and_write_bytes_ranges(client):
    client.write_bytes("/r", b"0123456789")
    assert client.read_bytes("/r", 2, 5) == b"234"
    assert client.read_bytes("/r", -3) == b"789"
    assert client.read_bytes("/r", 8, 100) == b"89"
    assert client.read_bytes("/r", 20) == b""


def test_snapshots_create_list_read_and_retire(client):
    client.write_bytes("/s/f", b"old")
    snap = client.create_snapshot("before", "/s")
    assert snap["name"] == "before" and snap["root"] == "/s"
    client.write_bytes("/s/f", b"new")
    assert [s["name"] for s in client.snapshots()] == ["before"]
    assert client.read_bytes("/s/f") == b"new"
    assert client.read_bytes("/s/f", snapshot="before") == b"old"
    with client.open("/s/f", snapshot="before") as f:
        assert f.read() == b"old"
    assert client.stat("/s/f", snapshot="before")["size"] == 3
    client.retire_snapshot("before")
    assert client.snapshots() == []
    with pytest.raises(FileNotFoundError):
        client.read_bytes("/s/f", snapshot="before")


def test_watch_iterates_from_a_cursor(client):
    start = client.latest_cursor()
    client.write_bytes("/w/one", b"1")
    client.mkdir("/w/dir")
    client.rm("/w/one")
    events = list(client.watch("/w", start, follow=False))
    assert [(e["type"], e["path"]) for e in events] == [
        ("publish", "/w/one"),
        ("mkdir", "/w/dir"),
        ("remove", "/w/one"),
    ]
    # Resume after the second event: only the third.
    rest = list(client.watch("/w", events[1]["cursor"], follow=False))
    assert [e["type"] for e in rest] == ["remove"]


def test_watch_follow_sees_a_change_made_meanwhile(client):
    cursor = client.latest_cursor()
    seen = []

    def watcher():
        for event in client.watch("/live", cursor, wait=0.5, timeout=20):
            seen.append(event)
            return

    t = threading.Thread(target=watcher)
    t.start()
    client.write_bytes("/live/x", b"x")
    t.join(30)
    assert [e["path"] for e in seen] == ["/live/x"]


def test_watch_waits_without_holding_the_gil(client):
    # A watch blocked in native code for up to 5 s must not stop this thread:
    # the publish below runs while it waits, and the watch returns early.
    cursor = client.latest_cursor()
    result = {}

    def watcher():
        t0 = time.monotonic()
        result["events"], _ = client._native.watch("/g", cursor, 10, 5.0)
        result["elapsed"] = time.monotonic() - t0

    t = threading.Thread(target=watcher)
    t.start()
    spins = 0
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        spins += 1
    client.write_bytes("/g/x", b"x")
    t.join(30)
    assert spins > 1000
    assert [e["path"] for e in result["events"]] == ["/g/x"]
    assert result["elapsed"] < 4.5


def test_agent_verbs_return_dicts(client):
    client.write_bytes("/ws/notes.txt", b"alpha\nneedle here\nomega\n")
    client.write_bytes("/ws/data.csv", b"id,score\n1,0.5\n2,0.75\n")
    client.write_bytes("/ws/big.bin", b"\0" * 1000)
    ls = client.agent.ls(path="/ws")
    assert sorted(e["name"] for e in ls["entries"]) == ["big.bin", "data.csv", "notes.txt"]
    st = client.agent.stat(path="/ws/data.csv")
    assert st["kind"] == "file" and st["size_bytes"] == 22 and st["record_count"] == 2
    cat = client.agent.catalog(path="/ws")
    assert "size_bytes" in {f["id"] for f in cat["fields"]}
    found = client.agent.find(
        path="/ws", predicates=[{"field": "size_bytes", "op": "gte", "value": 100}]
    )
    assert [m["path"] for m in found["matches"]] == ["/ws/big.bin"]
    agg = client.agent.aggregate(
        path="/ws", measures=[{"op": "count"}, {"op": "sum", "field": "size_bytes"}]
    )
    assert agg["input_count"] == 3
    read = client.agent.read(path="/ws/notes.txt")
    assert "needle here" in str(read)
    grep = client.agent.grep(path="/ws", pattern="needle")
    assert [(m["path"], m["line"]) for m in grep["matches"]] == [("/ws/notes.txt", 2)]
    assert client.agent.call("grep", {"path": "/ws", "pattern": "zzz"})["matches"] == []


def test_agent_verb_errors_raise(client):
    with pytest.raises(FileNotFoundError) as e:
        client.agent.grep(path="/missing", pattern="x")
    assert e.value.hint is not None
    with pytest.raises(nokv.InvalidArgumentError):
        client.agent.ls()
    with pytest.raises(nokv.InvalidArgumentError) as e:
        client.agent.call("no_such_verb", {})
    assert "grep" in e.value.hint


def test_agent_at_a_snapshot(client):
    client.write_bytes("/snap/f.txt", b"before\n")
    client.create_snapshot("s1", "/")
    client.write_bytes("/snap/f.txt", b"after\n")
    assert client.agent_at("s1").grep(path="/snap", pattern="before")["matches"]
    assert not client.agent.grep(path="/snap", pattern="before")["matches"]


def test_the_cli_sees_what_python_wrote_through_its_socket(client, data_dir):
    client.write_bytes("/from-python", b"hi")
    out = run_cli(data_dir, "cat", "/from-python").stdout
    assert out == "hi"
    run_cli(data_dir, "mkdir", "/from-cli")
    assert client.stat("/from-cli")["type"] == "directory"


def test_non_utf8_names_round_trip(client):
    name = os.fsdecode(b"/bytes-\xff.bin")
    client.write_bytes(name, b"z")
    assert [e["name"] for e in client.ls("/")] == [name]
    assert client.read_bytes(name) == b"z"


def test_closed_client_refuses_calls(data_dir):
    c = nokv.Client(data_dir)
    c.close()
    with pytest.raises(ValueError):
        c.stat("/")


def test_walk_is_top_down_like_os_walk(client):
    for path in ("/wk/a", "/wk/d1/b", "/wk/d1/d2/c", "/wk/d3/e"):
        client.write_bytes(path, b"x")
    assert list(client.walk("/wk")) == [
        ("/wk", ["d1", "d3"], ["a"]),
        ("/wk/d1", ["d2"], ["b"]),
        ("/wk/d1/d2", [], ["c"]),
        ("/wk/d3", [], ["e"]),
    ]


def test_snapshot_with_expiry(client):
    before = time.time_ns()
    snap = client.create_snapshot("short", expires=3600)
    assert before + 3500 * 10**9 < snap["expires_ns"] < time.time_ns() + 3700 * 10**9
    assert client.snapshots()[0]["expires_ns"] == snap["expires_ns"]
    with pytest.raises(FileExistsError):
        client.create_snapshot("short")
