"""File objects from Client.open: reads (seekable, readinto, ranges,
read-ahead) and writes (spooled, published whole on close)."""

import errno
import hashlib
import io
import os
import subprocess
import tempfile
import threading

import pytest

import nokv

BLOCK = 4 << 20  # the data directory's block size


def block_file(data_dir, data):
    # The local store's layout (docs/object-store.md): blocks.d/<ab>.d/<digest>.
    digest = hashlib.sha256(data).hexdigest()
    return os.path.join(data_dir, "objects", "blocks.d", digest[:2] + ".d", digest)


@pytest.fixture
def big(client):
    body = os.urandom(3 * BLOCK + 12345)
    client.write_bytes("/big.bin", body)
    return body


def test_reader_is_a_seekable_buffered_binary_file(client, big):
    with client.open("/big.bin") as f:
        assert isinstance(f, io.BufferedReader) and isinstance(f.raw, io.RawIOBase)
        assert f.readable() and f.seekable() and not f.writable()
        assert f.size == len(big) and f.name == "/big.bin"
        assert f.read(10) == big[:10]
        assert f.tell() == 10
        f.seek(BLOCK - 5)
        assert f.read(10) == big[BLOCK - 5 : BLOCK + 5]
        f.seek(-7, io.SEEK_END)
        assert f.read() == big[-7:]
        assert f.read() == b""
        f.seek(100)
        f.seek(50, io.SEEK_CUR)
        assert f.read(1) == big[150:151]
        with pytest.raises(OSError):
            f.seek(-1)
    assert f.closed
    with pytest.raises(ValueError):
        f.read()


def test_readinto_fills_the_callers_buffer(client, big):
    with client.open("/big.bin", buffering=0) as raw:
        buf = bytearray(BLOCK + 3)
        raw.seek(BLOCK - 1)
        assert raw.readinto(buf) == len(buf)
        assert bytes(buf) == big[BLOCK - 1 : 2 * BLOCK + 2]
        view = memoryview(bytearray(100))
        raw.seek(len(big) - 10)
        assert raw.readinto(view) == 10
        assert bytes(view[:10]) == big[-10:]


def test_sequential_read_across_blocks_with_read_ahead(client, big):
    digest = hashlib.sha256()
    with client.open("/big.bin") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    assert digest.digest() == hashlib.sha256(big).digest()
    with client.open("/big.bin") as f:
        assert f.read() == big


def test_ranged_reads_fetch_only_the_blocks_they_touch(client, data_dir, big):
    # Damage the first block: a range in the third block still reads (only
    # the blocks a range touches are fetched), one in the first fails with
    # CorruptionError (every fetched block is verified).
    path = block_file(data_dir, big[:BLOCK])
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.write(b"\0" * 16)
    with client.open("/big.bin") as f:
        assert f.read_at(2 * BLOCK + 100, 1000) == big[2 * BLOCK + 100 : 2 * BLOCK + 1100]
        assert f.read_ranges([(3 * BLOCK, 3 * BLOCK + 50), (BLOCK + 1, BLOCK + 2)]) == [
            big[3 * BLOCK : 3 * BLOCK + 50],
            big[BLOCK + 1 : BLOCK + 2],
        ]
        with pytest.raises(nokv.CorruptionError):
            f.read_at(10, 10)


def test_read_ranges_in_any_order_and_past_the_end(client, big):
    with client.open("/big.bin", buffering=0) as f:
        ranges = [(BLOCK * 2, BLOCK * 2 + 7), (5, 9), (len(big) - 3, len(big) + 100), (9, 9)]
        assert f.read_ranges(ranges) == [
            big[BLOCK * 2 : BLOCK * 2 + 7],
            big[5:9],
            big[-3:],
            b"",
        ]


def test_a_reader_keeps_its_generation_while_the_file_is_replaced(client):
    client.write_bytes("/v", b"version one")
    with client.open("/v") as f:
        client.write_bytes("/v", b"version two!")
        assert f.read() == b"version one"
        assert f.generation < client.stat("/v")["generation"]


def test_text_mode_reads_and_writes(client):
    with client.open("/t.txt", "w") as f:
        f.write("line one\nline two\n")
    with client.open("/t.txt", "r") as f:
        assert f.readlines() == ["line one\n", "line two\n"]
    with client.open("/t.txt") as f:
        assert f.readline() == b"line one\n"


def test_writes_are_invisible_until_close_then_published_whole(client):
    f = client.open("/w.bin", "wb")
    f.write(b"a" * 1000)
    f.write(b"b" * (5 << 20))
    assert f.writable() and f.seekable()
    assert not client.exists("/w.bin")
    f.close()
    assert client.read_bytes("/w.bin") == b"a" * 1000 + b"b" * (5 << 20)
    assert f.published["generation"] == client.stat("/w.bin")["generation"]


def test_writer_can_seek_back_and_patch_before_publishing(client):
    with client.open("/patched", "wb") as f:
        f.write(b"xxxxHELLO")
        f.seek(0)
        f.write(b"1234")
    assert client.read_bytes("/patched") == b"1234HELLO"


def test_an_exception_in_the_with_block_publishes_nothing(client):
    client.write_bytes("/keep", b"original")
    with pytest.raises(RuntimeError):
        with client.open("/keep", "wb") as f:
            f.write(b"half a checkpoint")
            raise RuntimeError("training crashed")
    assert client.read_bytes("/keep") == b"original"
    with pytest.raises(RuntimeError):
        with client.open("/keep", "w") as f:
            f.write("text")
            raise RuntimeError("again")
    assert client.read_bytes("/keep") == b"original"


def test_the_spool_file_is_removed(client, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    tmp_path = spool
    with client.open("/spooled", "wb") as f:
        f.write(b"x" * 100)
        assert len(os.listdir(tmp_path)) == 1
    assert os.listdir(tmp_path) == []
    with pytest.raises(KeyError):
        with client.open("/spooled2", "wb") as f:
            raise KeyError("x")
    assert os.listdir(tmp_path) == []


def test_expected_generation_guards_the_publish(client):
    with client.open("/ckpt", "wb") as f:
        f.write(b"v1")
    g1 = f.published["generation"]
    with client.open("/ckpt", "wb", expected_generation=g1) as f:
        f.write(b"v2")
    g2 = f.published["generation"]
    stale = client.open("/ckpt", "wb", expected_generation=g1)
    stale.write(b"v3")
    with pytest.raises(nokv.ConflictError) as e:
        stale.close()
    assert e.value.current_generation == g2
    assert client.read_bytes("/ckpt") == b"v2"


def test_exclusive_create(client):
    with client.open("/new", "xb") as f:
        f.write(b"1")
    with pytest.raises(FileExistsError):
        client.open("/new", "xb")
    # Someone else creates the name between open and close: the publish fails.
    f = client.open("/race", "xb")
    f.write(b"mine")
    client.write_bytes("/race", b"theirs")
    with pytest.raises(FileExistsError):
        f.close()
    assert client.read_bytes("/race") == b"theirs"


def test_append_adds_to_the_end_and_publishes_on_close(client):
    client.write_bytes("/log", b"one\n")
    with client.open("/log", "ab") as f:
        f.seek(0)  # appends go to the end wherever the position is
        f.write(b"two\n")
        assert client.read_bytes("/log") == b"one\n"  # nothing published yet
    assert client.read_bytes("/log") == b"one\ntwo\n"
    with client.open("/log", "a", encoding="utf-8") as f:
        f.write("three\n")
    assert client.read_bytes("/log") == b"one\ntwo\nthree\n"
    with client.open("/fresh.log", "ab") as f:  # an absent file is made
        f.write(b"first")
    assert client.read_bytes("/fresh.log") == b"first"


def test_update_in_place_reads_and_rewrites(client):
    client.write_bytes("/cfg", b"0123456789")
    with client.open("/cfg", "r+b") as f:
        assert f.read(4) == b"0123"
        f.seek(2)
        f.write(b"AB")
        f.seek(0)
        assert f.read() == b"01AB456789"
    assert client.read_bytes("/cfg") == b"01AB456789"
    with client.open("/cfg", "a+b") as f:
        f.seek(0)
        assert f.read(2) == b"01"
        f.write(b"!")
    assert client.read_bytes("/cfg") == b"01AB456789!"
    with client.open("/new", "w+b") as f:
        f.write(b"xyz")
        f.seek(0)
        assert f.read() == b"xyz"
    with pytest.raises(FileNotFoundError):
        client.open("/absent", "r+b")


def test_a_change_made_during_an_append_is_a_conflict_not_a_loss(client):
    client.write_bytes("/shared", b"base")
    f = client.open("/shared", "ab")
    f.write(b"+mine")
    client.write_bytes("/shared", b"theirs")
    with pytest.raises(nokv.ConflictError):
        f.close()
    assert client.read_bytes("/shared") == b"theirs"
    # Someone made the file while an append to an absent one was open.
    g = client.open("/raced", "ab")
    g.write(b"mine")
    client.write_bytes("/raced", b"theirs")
    with pytest.raises(FileExistsError):
        g.close()
    assert client.read_bytes("/raced") == b"theirs"


def test_bad_modes_are_rejected(client):
    for mode in ("rw", "wbt", "q", "ra", "wb++", "bb"):
        with pytest.raises(ValueError):
            client.open("/x", mode)
    with pytest.raises(ValueError):
        client.open("/x", "wb", snapshot="s")


def test_threads_read_one_file_in_parallel(client, big):
    errors = []

    def worker(seed):
        try:
            with client.open("/big.bin", buffering=0) as f:
                for i in range(50):
                    off = (seed * 7919 + i * 104729) % (len(big) - 16384)
                    if f.read_at(off, 16384) != big[off : off + 16384]:
                        errors.append((seed, off))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_one_reader_shared_by_threads_stays_consistent(client, big):
    with client.open("/big.bin", buffering=0) as f:
        results = {}

        def worker(k):
            results[k] = f.read_at(k * BLOCK // 2, 4096)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for k, data in results.items():
        assert data == big[k * BLOCK // 2 : k * BLOCK // 2 + 4096]


@pytest.fixture
def small_tmpdir(tmp_path, monkeypatch):
    """A 1 MiB tmpfs as the temporary directory spools go to."""
    spool = tmp_path / "spool"
    spool.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(spool)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs: " + mounted.stderr.decode())
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    yield spool
    subprocess.run(["umount", "-l", str(spool)], check=False)


def test_a_full_spool_fails_the_write_and_close_and_keeps_the_old_body(client, small_tmpdir):
    client.write_bytes("/ckpt.bin", b"version one")
    ballast = small_tmpdir / "ballast"
    ballast.write_bytes(b"b" * (512 << 10))
    f = client.open("/ckpt.bin", "wb")
    with pytest.raises(OSError) as failed:
        for _ in range(16):  # 4 MiB into what is left of 1 MiB
            f.write(b"z" * (256 << 10))
    assert failed.value.errno == errno.ENOSPC
    # Space again before the close: what the spool holds is still not what
    # the program wrote, so nothing is published.
    ballast.unlink()
    with pytest.raises(OSError) as closed:
        f.close()
    assert closed.value.errno == errno.ENOSPC and "not published" in str(closed.value)
    assert client.read_bytes("/ckpt.bin") == b"version one"
    assert os.listdir(small_tmpdir) == []  # the spool is gone
    with client.open("/ckpt.bin", "wb") as g:
        g.write(b"version two")
    assert client.read_bytes("/ckpt.bin") == b"version two"
