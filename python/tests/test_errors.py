"""Every NoKV status code becomes the matching Python exception, from real
failures where one can be provoked and from the mapping table for the rest."""

import errno
import os
import subprocess
import sys

import pytest

import nokv
from nokv import errors


def test_missing_path_is_file_not_found(client):
    with pytest.raises(FileNotFoundError) as e:
        client.stat("/nope")
    assert e.value.errno == errno.ENOENT
    assert e.value.filename == "/nope"
    assert e.value.code == "not_found"
    with pytest.raises(FileNotFoundError):
        client.open("/nope")


def test_existing_name_is_file_exists(client):
    client.mkdir("/d")
    with pytest.raises(FileExistsError):
        client.mkdir("/d")
    client.write_bytes("/f", b"1")
    with pytest.raises(FileExistsError):
        client.write_bytes("/f", b"2", overwrite=False)
    with pytest.raises(FileExistsError):
        client.open("/f", "xb")


def test_directory_read_as_file_is_is_a_directory(client):
    client.mkdir("/dir")
    with pytest.raises(IsADirectoryError) as e:
        client.open("/dir")
    assert e.value.errno == errno.EISDIR
    with pytest.raises(IsADirectoryError):
        client.read_bytes("/dir")


def test_file_used_as_directory_is_not_a_directory(client):
    client.write_bytes("/file", b"x")
    with pytest.raises(NotADirectoryError) as e:
        client.list_page("/file")
    assert e.value.errno == errno.ENOTDIR
    with pytest.raises(NotADirectoryError):
        client.mkdir("/file/child")


def test_non_empty_directory_is_enotempty(client):
    client.write_bytes("/full/x", b"x")
    with pytest.raises(OSError) as e:
        client.rm("/full")
    assert e.value.errno == errno.ENOTEMPTY
    assert type(e.value) is OSError


def test_generation_mismatch_is_conflict_with_current_generation(client):
    first = client.write_bytes("/g", b"1")
    second = client.write_bytes("/g", b"2", expected_generation=first["generation"])
    with pytest.raises(nokv.ConflictError) as e:
        client.write_bytes("/g", b"3", expected_generation=first["generation"])
    assert e.value.expected_generation == first["generation"]
    assert e.value.current_generation == second["generation"]
    assert isinstance(e.value, OSError)
    assert client.read_bytes("/g") == b"2"
    with pytest.raises(nokv.ConflictError) as e:
        client.write_bytes("/absent", b"x", expected_generation=7)
    assert e.value.current_generation == 0


def test_bad_names_are_invalid_argument(client):
    with pytest.raises(nokv.InvalidArgumentError) as e:
        client.mkdir("/" + "n" * 300)
    assert isinstance(e.value, ValueError) and e.value.errno == errno.EINVAL
    with pytest.raises(ValueError, match="invalid mode"):
        client.open("/x", "aw")


def test_read_only_open_refuses_changes(data_dir):
    with nokv.Client(data_dir, read_only=True) as c:
        assert c.role == "embedded"
        with pytest.raises(nokv.NotSupportedError):
            c.mkdir("/x")


def test_directory_held_unserved_is_busy(data_dir):
    # Another process holds the directory without serving it.
    script = (
        "import sys, nokv\n"
        f"c = nokv.Client({str(data_dir)!r}, serve=False)\n"
        "print(c.role, flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert holder.stdout.readline().strip() == "embedded"
        with pytest.raises(nokv.BusyError) as e:
            nokv.Client(data_dir, wait=0)
        assert e.value.errno == errno.EBUSY
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # Once it is gone, the directory opens.
    with nokv.Client(data_dir, wait=5) as c:
        assert c.role == "serving"


def test_unreachable_server_is_unavailable(tmp_path):
    with pytest.raises(nokv.UnavailableError) as e:
        nokv.Client(server=f"unix:{tmp_path}/nobody.sock")
    assert isinstance(e.value, ConnectionError)


def test_uninitialized_directory_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nokv.Client(tmp_path / "never-initialized")
    with nokv.Client(tmp_path / "made", create=True) as c:
        assert c.stat("/")["type"] == "directory"


def test_no_filesystem_named_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("NOKV_SERVER", raising=False)
    monkeypatch.delenv("NOKV_DATA_DIR", raising=False)
    with pytest.raises(ValueError, match="NOKV_DATA_DIR"):
        nokv.Client()


@pytest.mark.parametrize(
    "code,cls,err",
    [
        ("not_found", FileNotFoundError, errno.ENOENT),
        ("already_exists", FileExistsError, errno.EEXIST),
        ("not_a_directory", NotADirectoryError, errno.ENOTDIR),
        ("is_a_directory", IsADirectoryError, errno.EISDIR),
        ("permission_denied", PermissionError, errno.EACCES),
        ("not_empty", OSError, errno.ENOTEMPTY),
        ("timed_out", TimeoutError, errno.ETIMEDOUT),
        ("no_space", OSError, errno.ENOSPC),
        ("too_large", OSError, errno.EFBIG),
        ("io_error", OSError, errno.EIO),
        ("failed_precondition", nokv.ConflictError, errno.ESTALE),
        ("busy", nokv.BusyError, errno.EBUSY),
        ("unavailable", nokv.UnavailableError, errno.ECONNREFUSED),
        ("corruption", nokv.CorruptionError, errno.EIO),
        ("invalid_argument", nokv.InvalidArgumentError, errno.EINVAL),
        ("not_supported", nokv.NotSupportedError, errno.EOPNOTSUPP),
        ("expired", nokv.ExpiredError, errno.ESTALE),
        ("aborted", nokv.NokvError, errno.EAGAIN),
        ("cancelled", nokv.NokvError, errno.ECANCELED),
        ("something_new", nokv.NokvError, errno.EIO),
    ],
)
def test_status_code_mapping(code, cls, err):
    exc = errors.from_status(code, "message", "/p")
    assert type(exc) is cls
    assert exc.errno == err
    assert exc.code == code
    assert exc.filename == "/p"
    assert "message" in str(exc)


def test_verb_error_mapping():
    exc = errors.from_verb_error({"code": "not_a_file", "message": "m", "hint": "h"})
    assert isinstance(exc, IsADirectoryError) and exc.hint == "h" and "(h)" in str(exc)
    exc = errors.from_verb_error({"code": "cursor_expired", "message": "m"})
    assert isinstance(exc, nokv.ExpiredError)
    exc = errors.from_verb_error({"code": "internal", "message": "boom"})
    assert isinstance(exc, nokv.VerbError) and exc.code == "internal"
