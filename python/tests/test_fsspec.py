"""The fsspec filesystem for nokv://: registration, naming the filesystem,
and fsspec's behaviour expectations for every method implemented (the
Debian fsspec has no fsspec.tests.abstract suite; these follow what its
AbstractFileSystem documents and what its local/memory filesystems do)."""

import hashlib
import importlib.metadata
import os

import fsspec
import pytest

import nokv
from nokv._fsspec import NokvFileSystem


@pytest.fixture
def fs(data_dir):
    fs = fsspec.filesystem("nokv", data_dir=str(data_dir), skip_instance_cache=True)
    yield fs
    fs.client.close()


@pytest.fixture
def tree(fs):
    fs.pipe_file("/top/a.txt", b"aaa")
    fs.pipe_file("/top/b.csv", b"b,b\n1,2\n")
    fs.pipe_file("/top/sub/c.txt", b"c" * 10)
    fs.pipe_file("/top/sub/deep/d.bin", b"d" * 100)
    return fs


def test_entry_point_names_the_class():
    eps = importlib.metadata.entry_points(group="fsspec.specs")
    assert [ep.value for ep in eps if ep.name == "nokv"] == ["nokv._fsspec:NokvFileSystem"]
    assert fsspec.get_filesystem_class("nokv") is NokvFileSystem


def test_filesystem_named_by_environment(data_dir, monkeypatch):
    monkeypatch.delenv("NOKV_SERVER", raising=False)
    monkeypatch.setenv("NOKV_DATA_DIR", str(data_dir))
    with fsspec.open("nokv://env/x.txt", "wb") as f:
        f.write(b"from env")
    with nokv.Client(data_dir) as c:
        assert c.read_bytes("/env/x.txt") == b"from env"
    with fsspec.open("nokv://env/x.txt", "rb") as f:
        assert f.read() == b"from env"


def test_filesystem_named_by_storage_options(data_dir):
    with fsspec.open("nokv://so/y", "wb", data_dir=str(data_dir)) as f:
        f.write(b"y")
    with fsspec.open("nokv://so/y", "rt", data_dir=str(data_dir)) as f:
        assert f.read() == "y"


def test_strip_protocol_and_unstrip(fs):
    assert NokvFileSystem._strip_protocol("nokv://runs/1/") == "/runs/1"
    assert NokvFileSystem._strip_protocol("nokv://") == "/"
    assert NokvFileSystem._strip_protocol("/a/b") == "/a/b"
    assert fs.unstrip_protocol("/a/b") == "nokv://a/b"


def test_info_fields(tree):
    info = tree.info("nokv://top/sub/deep/d.bin")
    assert info["name"] == "/top/sub/deep/d.bin"
    assert info["type"] == "file"
    assert info["size"] == 100
    assert info["generation"] > 0
    assert info["mtime"] > 0
    assert info["digest"] == "sha256:" + hashlib.sha256(b"d" * 100).hexdigest()
    d = tree.info("/top/sub")
    assert d["type"] == "directory" and d["digest"] is None
    with pytest.raises(FileNotFoundError):
        tree.info("/top/none")


def test_ls_detail_and_names(tree):
    assert tree.ls("/top", detail=False) == ["/top/a.txt", "/top/b.csv", "/top/sub"]
    detail = tree.ls("nokv://top")
    assert [(e["name"], e["type"]) for e in detail] == [
        ("/top/a.txt", "file"),
        ("/top/b.csv", "file"),
        ("/top/sub", "directory"),
    ]
    assert tree.ls("/top/a.txt", detail=False) == ["/top/a.txt"]
    with pytest.raises(FileNotFoundError):
        tree.ls("/nothing")


def test_find_glob_walk_du(tree):
    assert tree.find("/top") == [
        "/top/a.txt",
        "/top/b.csv",
        "/top/sub/c.txt",
        "/top/sub/deep/d.bin",
    ]
    assert tree.find("/top", withdirs=True, maxdepth=1) == ["/top/a.txt", "/top/b.csv", "/top/sub"]
    assert sorted(tree.glob("/top/*.txt")) == ["/top/a.txt"]
    assert tree.du("/top") == 3 + 8 + 10 + 100
    assert tree.du("/top", total=False)["/top/sub/c.txt"] == 10
    walked = list(tree.walk("/top"))
    assert walked[0] == ("/top", ["sub"], ["a.txt", "b.csv"])


def test_derived_methods_agree_with_fsspecs_memory_filesystem(tree):
    # The same tree in fsspec's reference in-memory filesystem: everything
    # fsspec derives from ls/info (find, glob, walk, du, expand_path) must
    # come out the same on nokv://.
    mem = fsspec.filesystem("memory", skip_instance_cache=True)
    mem.store.clear()
    mem.pseudo_dirs.clear()
    mem.pseudo_dirs.append("")
    for path in tree.find("/top"):
        mem.pipe_file(path, tree.cat_file(path))

    def norm(paths):
        return sorted(p.rstrip("/") for p in paths)

    for pattern in ("/top/*", "/top/*.txt", "/top/**", "/top/**/*.txt", "/top/sub/*/*", "/top/?.csv"):
        assert norm(tree.glob(pattern)) == norm(mem.glob(pattern)), pattern
    for depth in (None, 1, 2):
        assert tree.find("/top", maxdepth=depth) == mem.find("/top", maxdepth=depth)
        assert norm(tree.find("/top", maxdepth=depth, withdirs=True)) == norm(
            mem.find("/top", maxdepth=depth, withdirs=True)
        )
    assert list(tree.walk("/top")) == list(mem.walk("/top"))
    assert tree.du("/top") == mem.du("/top")
    # As fsspec's local filesystem (the in-memory one leaves out a directory
    # it only infers from file names): the directory itself, then below it.
    assert tree.expand_path("/top/sub", recursive=True) == [
        "/top/sub",
        "/top/sub/c.txt",
        "/top/sub/deep",
        "/top/sub/deep/d.bin",
    ]


def test_exists_isdir_isfile_size(tree):
    assert tree.exists("/top/a.txt") and not tree.exists("/top/zzz")
    assert tree.isdir("/top/sub") and not tree.isdir("/top/a.txt")
    assert tree.isfile("/top/a.txt") and not tree.isfile("/top/sub")
    assert tree.size("/top/sub/c.txt") == 10
    assert tree.sizes(["/top/a.txt", "/top/b.csv"]) == [3, 8]


def test_cat_file_pipe_file_head_tail(fs):
    fs.pipe_file("nokv://p/f", b"0123456789")
    assert fs.cat_file("/p/f") == b"0123456789"
    assert fs.cat_file("/p/f", start=3, end=6) == b"345"
    assert fs.cat_file("/p/f", start=-2) == b"89"
    assert fs.head("/p/f", 4) == b"0123"
    assert fs.tail("/p/f", 3) == b"789"
    fs.pipe({"/p/g": b"g", "/p/h": b"h"})
    assert fs.cat(["/p/g", "/p/h"]) == {"/p/g": b"g", "/p/h": b"h"}
    fs.pipe_file("/p/f", b"new")
    assert fs.cat("/p/f") == b"new"


def test_cat_ranges_is_batched_per_file(fs):
    body = os.urandom(9 << 20)
    fs.pipe_file("/r/big", body)
    fs.pipe_file("/r/small", b"abcdef")
    paths = ["/r/big", "/r/small", "/r/big", "/r/big", "/r/missing"]
    starts = [5, 1, 8 << 20, 4 << 20, 0]
    ends = [10, 4, (8 << 20) + 3, (4 << 20) + 100, 1]
    out = fs.cat_ranges(paths, starts, ends)
    assert out[:4] == [body[5:10], b"bcd", body[8 << 20 : (8 << 20) + 3], body[4 << 20 : (4 << 20) + 100]]
    assert isinstance(out[4], FileNotFoundError)
    with pytest.raises(FileNotFoundError):
        fs.cat_ranges(paths, starts, ends, on_error="raise")


def test_open_read_write_modes(fs):
    with fs.open("/o/file.bin", "wb") as f:
        f.write(b"abc" * 1000)
    with fs.open("/o/file.bin", "rb") as f:
        assert f.read(3) == b"abc"
        f.seek(2997)
        assert f.read() == b"abc"
    with fs.open("/o/text.txt", "w") as f:
        f.write("héllo\n")
    with fs.open("/o/text.txt", "r", encoding="utf-8") as f:
        assert f.read() == "héllo\n"
    with pytest.raises(FileExistsError):
        fs.open("/o/file.bin", "xb")
    with fs.open("/o/file.bin", "ab") as f:
        f.write(b"tail")
    assert fs.cat("/o/file.bin") == b"abc" * 1000 + b"tail"
    with pytest.raises(ValueError):
        fs.open("/o/file.bin", "r+b")


def test_open_with_expected_generation(fs):
    fs.pipe_file("/ck", b"1")
    gen = fs.info("/ck")["generation"]
    with fs.open("/ck", "wb", expected_generation=gen) as f:
        f.write(b"2")
    with pytest.raises(nokv.ConflictError):
        with fs.open("/ck", "wb", expected_generation=gen) as f:
            f.write(b"3")
    assert fs.cat("/ck") == b"2"


def test_transaction_publishes_on_commit_only(fs):
    with fs.transaction:
        with fs.open("/tx/a", "wb") as f:
            f.write(b"in a transaction")
        assert not fs.exists("/tx/a")
    assert fs.cat("/tx/a") == b"in a transaction"
    fs.start_transaction()
    with fs.open("/tx/b", "wb") as f:
        f.write(b"dropped")
    fs.transaction.complete(commit=False)
    assert not fs.exists("/tx/b")


def test_mkdir_makedirs_rmdir(fs):
    fs.mkdir("/d1/d2")  # create_parents defaults to True
    assert fs.isdir("/d1/d2")
    fs.makedirs("/d1/d2", exist_ok=True)
    with pytest.raises(FileExistsError):
        fs.makedirs("/d1/d2", exist_ok=False)
    with pytest.raises(FileNotFoundError):
        fs.mkdir("/x1/x2", create_parents=False)
    fs.rmdir("/d1/d2")
    assert not fs.exists("/d1/d2")
    fs.pipe_file("/d1/file", b"x")
    with pytest.raises(OSError):
        fs.rmdir("/d1")
    with pytest.raises(NotADirectoryError):
        fs.rmdir("/d1/file")


def test_rm_files_trees_and_globs(tree):
    tree.rm("/top/a.txt")
    assert not tree.exists("/top/a.txt")
    tree.rm("/top/*.csv")
    assert not tree.exists("/top/b.csv")
    tree.rm("/top/sub", recursive=True)
    assert tree.ls("/top", detail=False) == []
    with pytest.raises(FileNotFoundError):
        tree.rm("/top/none")


def test_mv_and_copy(tree):
    tree.mv("/top/sub", "/moved")
    assert tree.cat("/moved/deep/d.bin") == b"d" * 100
    assert not tree.exists("/top/sub")
    tree.cp_file("/top/a.txt", "/copy.txt")
    assert tree.cat("/copy.txt") == b"aaa"
    tree.copy("/moved", "/copied", recursive=True)
    assert tree.cat("/copied/deep/d.bin") == b"d" * 100
    assert tree.cat("/moved/c.txt") == b"c" * 10


def test_put_and_get(fs, tmp_path):
    local = tmp_path / "up"
    (local / "inner").mkdir(parents=True)
    (local / "x.txt").write_bytes(b"x")
    (local / "inner" / "y.txt").write_bytes(b"y")
    fs.put_file(str(local / "x.txt"), "/single/x.txt")
    assert fs.cat("/single/x.txt") == b"x"
    fs.put_file(str(local / "x.txt"), "/single/x.txt")  # overwrites, as fsspec does
    fs.put(str(local), "/tree", recursive=True)
    assert fs.find("/tree") == ["/tree/inner/y.txt", "/tree/x.txt"]
    gens = {fs.info(p)["generation"] for p in fs.find("/tree")}
    assert len(gens) == 1  # one commit
    down = tmp_path / "down"
    fs.get("/tree", str(down), recursive=True)
    assert (down / "inner" / "y.txt").read_bytes() == b"y"
    fs.get_file("/single/x.txt", str(tmp_path / "one.txt"))
    assert (tmp_path / "one.txt").read_bytes() == b"x"


def test_touch_modified_created_ukey_checksum(fs):
    fs.touch("/tt")
    assert fs.cat("/tt") == b""
    first = fs.ukey("/tt")
    fs.pipe_file("/tt", b"changed")
    assert fs.ukey("/tt") != first
    assert fs.modified("/tt").timestamp() > 0
    assert fs.created("/tt").timestamp() > 0
    c1 = fs.checksum("/tt")
    fs.pipe_file("/tt", b"changed")  # same bytes, new generation, same digest
    assert fs.checksum("/tt") == c1


def test_get_mapper(fs):
    m = fs.get_mapper("/kv")
    m["a/b"] = b"1"
    m["c"] = b"2"
    assert sorted(m) == ["a/b", "c"]
    assert m["a/b"] == b"1"
    del m["c"]
    assert "c" not in m


def test_open_files_and_url_chaining(data_dir):
    with nokv.Client(data_dir) as c:
        c.write_bytes("/many/1.txt", b"one")
        c.write_bytes("/many/2.txt", b"two")
    files = fsspec.open_files("nokv://many/*.txt", "rb", data_dir=str(data_dir))
    contents = []
    for of in files:
        with of as f:
            contents.append(f.read())
    assert contents == [b"one", b"two"]
