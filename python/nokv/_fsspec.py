"""The fsspec filesystem for ``nokv://`` URLs.

Registered under the protocol ``nokv`` by the package's entry point (and by
``import nokv`` as a fallback), so ``fsspec.open("nokv://runs/1/ckpt.pt")``,
``pandas.read_csv("nokv://data/x.csv")`` and ``fsspec.filesystem("nokv")``
reach NoKV. Which filesystem: the ``data_dir=`` or ``server=`` storage
option, else NOKV_SERVER, else NOKV_DATA_DIR (see nokv._paths).

Each method is one or a few Client calls: listings are paged by the server,
``rm(recursive=True)`` and ``mv`` are single NoKV operations, ``put`` of a
tree publishes it in one commit, and ``cat_ranges`` reads all ranges of a
file through one open reader in one native call.
"""

import datetime
import os

from fsspec.spec import AbstractFileSystem

from ._client import Client
from ._paths import PROTOCOL, strip_protocol

_GLOB_CHARS = "*?["


def _fsspec_info(entry):
    info = dict(entry)
    if info["type"] == "symlink":
        info["type"] = "other"
    return info


class NokvFileSystem(AbstractFileSystem):
    """fsspec over a NoKV data directory or server."""

    protocol = PROTOCOL
    root_marker = "/"

    def __init__(self, data_dir=None, server=None, token=None, serve=True, client=None, **kwargs):
        super().__init__(**kwargs)
        if client is None:
            client = Client(data_dir, server=server, token=token, serve=serve)
        self.client = client

    @classmethod
    def _strip_protocol(cls, path):
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        return strip_protocol(path)

    def unstrip_protocol(self, name):
        return f"{PROTOCOL}://{strip_protocol(name).lstrip('/')}"

    # --- namespace ----------------------------------------------------------
    def ls(self, path, detail=True, **kwargs):
        path = self._strip_protocol(path)
        try:
            entries = self.client.ls(path)
        except NotADirectoryError:
            entries = [self.client.stat(path)]
        entries = [_fsspec_info(e) for e in entries]
        return entries if detail else [e["name"] for e in entries]

    def info(self, path, **kwargs):
        return _fsspec_info(self.client.info(self._strip_protocol(path)))

    def exists(self, path, **kwargs):
        return self.client.exists(self._strip_protocol(path))

    def mkdir(self, path, create_parents=True, **kwargs):
        self.client.mkdir(self._strip_protocol(path), parents=create_parents)

    def makedirs(self, path, exist_ok=False):
        self.client.mkdir(self._strip_protocol(path), parents=True, exist_ok=exist_ok)

    def rmdir(self, path):
        path = self._strip_protocol(path)
        if self.client.stat(path)["type"] != "directory":
            raise NotADirectoryError(20, "not a directory", path)
        self.client.rm(path)

    def rm_file(self, path):
        self.client.rm(self._strip_protocol(path))

    def _rm(self, path):
        self.client.rm(self._strip_protocol(path))

    def rm(self, path, recursive=False, maxdepth=None):
        if (
            recursive
            and maxdepth is None
            and isinstance(path, str)
            and not any(c in path for c in _GLOB_CHARS)
        ):
            self.client.rm(self._strip_protocol(path), recursive=True)
            self.invalidate_cache(path)
            return
        super().rm(path, recursive=recursive, maxdepth=maxdepth)

    def mv(self, path1, path2, recursive=False, maxdepth=None, **kwargs):
        if isinstance(path1, str) and not any(c in path1 for c in _GLOB_CHARS):
            # One atomic rename moves a file or a whole tree.
            self.client.mv(self._strip_protocol(path1), self._strip_protocol(path2))
            return
        super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)

    def cp_file(self, path1, path2, **kwargs):
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        if self.client.stat(path1)["type"] == "directory":
            self.client.mkdir(path2, parents=True, exist_ok=True)
            return
        with self.client.open(path1, "rb") as src, self.client.open(path2, "wb") as dst:
            while True:
                chunk = src.read(8 << 20)
                if not chunk:
                    break
                dst.write(chunk)

    def created(self, path):
        info = self.client.stat(self._strip_protocol(path))
        return datetime.datetime.fromtimestamp(info["ctime_ns"] / 1e9, tz=datetime.timezone.utc)

    def modified(self, path):
        info = self.client.stat(self._strip_protocol(path))
        return datetime.datetime.fromtimestamp(info["mtime_ns"] / 1e9, tz=datetime.timezone.utc)

    def ukey(self, path):
        info = self.client.stat(self._strip_protocol(path))
        return f"{info['inode']}:{info['generation']}"

    def checksum(self, path):
        digest = self.info(path).get("digest")
        if digest is None:
            return super().checksum(path)
        return int(digest.split(":", 1)[1][:16], 16)

    # --- bodies -------------------------------------------------------------
    def _open(
        self, path, mode="rb", block_size=None, autocommit=True, cache_options=None, **kwargs
    ):
        path = self._strip_protocol(path)
        buffering = block_size if block_size not in (None, "default") else -1
        if "+" in mode:
            raise ValueError(f"mode {mode!r} is not supported: use rb, wb, xb or ab")
        if "r" in mode:
            return self.client.open(
                path, "rb", buffering=buffering, snapshot=kwargs.get("snapshot")
            )
        binary_mode = "xb" if "x" in mode else ("ab" if "a" in mode else "wb")
        f = self.client.open(
            path,
            binary_mode,
            buffering=buffering,
            expected_generation=kwargs.get("expected_generation"),
            content_type=kwargs.get("content_type", ""),
        )
        f._autocommit = autocommit
        return f

    def cat_file(self, path, start=None, end=None, **kwargs):
        return self.client.read_bytes(
            self._strip_protocol(path),
            start or 0,
            end,
            snapshot=kwargs.get("snapshot"),
        )

    def pipe_file(self, path, value, **kwargs):
        self.client.write_bytes(
            self._strip_protocol(path),
            value,
            expected_generation=kwargs.get("expected_generation"),
        )

    def cat_ranges(self, paths, starts, ends, max_gap=None, on_error="return", **kwargs):
        """Ranges of files: each file opened once, all its ranges read in one
        native call (ranges that share a block fetch it once)."""
        if not isinstance(paths, list):
            raise TypeError("cat_ranges takes lists of paths, starts and ends")
        if isinstance(starts, int):
            starts = [starts] * len(paths)
        if isinstance(ends, int) or ends is None:
            ends = [ends] * len(paths)
        if not len(paths) == len(starts) == len(ends):
            raise ValueError("paths, starts and ends must have the same length")
        by_path = {}
        for i, path in enumerate(paths):
            by_path.setdefault(self._strip_protocol(path), []).append(i)
        out = [None] * len(paths)
        for path, indices in by_path.items():
            try:
                with self.client.open(path, "rb", buffering=0) as f:
                    size = f.size
                    ranges = [_clip(starts[i], ends[i], size) for i in indices]
                    for i, data in zip(indices, f.read_ranges(ranges)):
                        out[i] = data
            except Exception as e:  # noqa: BLE001 - fsspec's on_error contract
                if on_error != "return":
                    raise
                for i in indices:
                    out[i] = e
        return out

    def put_file(self, lpath, rpath, callback=None, **kwargs):
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        self.client.put(lpath, self._strip_protocol(rpath), overwrite=True)

    def put(self, lpath, rpath, recursive=False, callback=None, **kwargs):
        if recursive and isinstance(lpath, (str, os.PathLike)) and os.path.isdir(lpath):
            # The whole tree in one commit: it appears whole or not at all.
            self.client.put(lpath, self._strip_protocol(rpath), overwrite=True)
            return
        super().put(lpath, rpath, recursive=recursive, **kwargs)

    def get_file(self, rpath, lpath, callback=None, outfile=None, **kwargs):
        rpath = self._strip_protocol(rpath)
        if self.isdir(rpath):
            os.makedirs(lpath, exist_ok=True)
            return
        if outfile is not None:
            with self.client.open(rpath, "rb") as f:
                while True:
                    chunk = f.read(8 << 20)
                    if not chunk:
                        break
                    outfile.write(chunk)
            return
        self.client.get(rpath, lpath)


def _clip(start, end, size):
    start = 0 if start is None else start
    end = size if end is None else end
    if start < 0:
        start = max(size + start, 0)
    if end < 0:
        end = max(size + end, 0)
    return start, min(end, size)
