"""nokv.Client: the Python face of NoKV's Filesystem (src/fs/filesystem.h).

Every operation is one call into the native module (nokv._native), which
runs it with the GIL released; this module only shapes arguments and
results (paths, modes, trees, iterators) and builds file objects.
"""

import io
import os
import time

from . import _native
from ._files import DEFAULT_BUFFER_SIZE, RawReader, Reader, Writer

# Bytes per read when an append or update copies the current body.
DEFAULT_COPY_CHUNK = 4 << 20
from ._paths import resolve_connection, strip_protocol
from .errors import from_verb_error

VERBS = ("ls", "stat", "catalog", "find", "aggregate", "read", "grep")


def _path(path):
    return strip_protocol(path)


def _write_mode(overwrite, expected_generation):
    if expected_generation is not None:
        return "if_generation", int(expected_generation)
    return ("replace" if overwrite else "create"), 0


class Agent:
    """The seven read-only agent verbs (shared/design/AGENT_TOOLS.md), each
    taking the verb's arguments as keywords and returning its result dict.
    A verb's error object is raised as an exception (nokv.errors)."""

    def __init__(self, client, root="/", snapshot=None):
        self._client = client
        self._root = root
        self._snapshot = snapshot or ""

    def call(self, verb, args=None, **kwargs):
        arguments = dict(args or {})
        arguments.update(kwargs)
        result = self._client._native.call_verb(verb, arguments, self._root, self._snapshot)
        if isinstance(result, dict) and set(result) == {"error"}:
            raise from_verb_error(result["error"])
        return result

    def ls(self, **kwargs):
        return self.call("ls", **kwargs)

    def stat(self, **kwargs):
        return self.call("stat", **kwargs)

    def catalog(self, **kwargs):
        return self.call("catalog", **kwargs)

    def find(self, **kwargs):
        return self.call("find", **kwargs)

    def aggregate(self, **kwargs):
        return self.call("aggregate", **kwargs)

    def read(self, **kwargs):
        return self.call("read", **kwargs)

    def grep(self, **kwargs):
        return self.call("grep", **kwargs)


class Client:
    """A NoKV filesystem: a data directory or a server.

    ``Client("/data/nokv")`` opens a data directory the way the CLI does: in
    this process when nobody holds it (serving it on DIR/nokv.sock for other
    processes and forked workers while this client lives, unless
    ``serve=False``), or through the socket of the process that serves it.
    ``Client(server="host:port")`` (or ``unix:/path``) connects to a server;
    NOKV_TOKEN (or ``token=``) authenticates. With no arguments the
    environment decides: NOKV_SERVER, else NOKV_DATA_DIR.

    Paths are absolute NoKV paths (``/runs/1/ckpt.pt``); ``nokv://`` URLs
    are accepted too. Safe to share between threads and across ``fork``:
    a forked child reopens on first use.
    """

    def __init__(
        self,
        data_dir=None,
        *,
        server=None,
        token=None,
        serve=True,
        read_only=False,
        create=False,
        wait=10.0,
    ):
        data_dir, server = resolve_connection(data_dir, server)
        self._native = _native.Client(
            data_dir=data_dir or "",
            server=server or "",
            token=token or "",
            serve=serve,
            read_only=read_only,
            create=create,
            wait=float(wait),
        )
        self.data_dir = data_dir
        self.server = server
        self.agent = Agent(self)

    # --- lifetime -----------------------------------------------------------
    @property
    def role(self):
        """"serving", "embedded", "client" (through a holder), "remote"."""
        return self._native.role

    def close(self):
        """Lets go of the filesystem; files still open keep it until closed."""
        self._native = _Closed()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __getstate__(self):
        # Pickled into spawned DataLoader workers: reopen there.
        return {"data_dir": self.data_dir, "server": self.server}

    def __setstate__(self, state):
        self.__init__(state["data_dir"], server=state["server"])

    # --- namespace ----------------------------------------------------------
    def stat(self, path, *, snapshot=None):
        """Attributes: name, type, size, mode, inode, generation, mtime, ..."""
        return self._native.stat(_path(path), snapshot or "")

    def info(self, path, *, snapshot=None):
        """stat() plus ``digest`` of the body ("sha256:..." up to one block,
        "sha256-blocks:..." beyond; None for others)."""
        return self._native.info(_path(path), snapshot or "")

    def exists(self, path, *, snapshot=None):
        try:
            self._native.stat(_path(path), snapshot or "")
            return True
        except FileNotFoundError:
            return False

    def list_page(self, path="/", start_after="", limit=1000, *, snapshot=None):
        """One page of a directory in name order: (entries, more)."""
        return self._native.list(_path(path), start_after, int(limit), snapshot or "")

    def iterdir(self, path="/", *, snapshot=None, page_size=1000):
        """Every entry of a directory, fetched a page at a time."""
        path = _path(path)
        after = ""
        while True:
            entries, more = self._native.list(path, after, page_size, snapshot or "")
            yield from entries
            if not more or not entries:
                return
            after = entries[-1]["name"].rsplit("/", 1)[-1]

    def ls(self, path="/", *, snapshot=None, page_size=1000):
        """Every entry of a directory (a list of stat dicts)."""
        return list(self.iterdir(path, snapshot=snapshot, page_size=page_size))

    def walk(self, path="/", *, snapshot=None):
        """(directory, [subdirectory names], [file names]) top-down, as os.walk."""
        path = _path(path)
        dirs, files = [], []
        for entry in self.iterdir(path, snapshot=snapshot):
            name = entry["name"].rsplit("/", 1)[-1]
            (dirs if entry["type"] == "directory" else files).append(name)
        yield path, dirs, files
        for name in dirs:
            yield from self.walk(_join(path, name), snapshot=snapshot)

    def mkdir(self, path, *, parents=False, exist_ok=False):
        """Makes a directory, as ``pathlib.Path.mkdir``: FileExistsError when
        the name is taken, unless ``exist_ok`` and it is a directory."""
        path = _path(path)
        if parents and not exist_ok and self.exists(path):
            # NoKV's mkdir with parents succeeds on an existing directory.
            raise FileExistsError(17, "file exists", path)
        try:
            return self._native.mkdir(path, parents)
        except FileExistsError:
            if exist_ok and self.stat(path)["type"] == "directory":
                return self.stat(path)
            raise

    def rm(self, path, *, recursive=False):
        """Removes a file, symlink or empty directory; ``recursive``: a tree."""
        self._native.remove(_path(path), recursive)

    def mv(self, src, dst, *, overwrite=True, exchange=False):
        """Renames in one commit; into an existing directory only by full path."""
        mode = "exchange" if exchange else ("replace" if overwrite else "no_replace")
        self._native.rename(_path(src), _path(dst), mode)

    # --- bodies -------------------------------------------------------------
    def open(
        self,
        path,
        mode="rb",
        *,
        snapshot=None,
        expected_generation=None,
        buffering=-1,
        encoding=None,
        errors=None,
        newline=None,
        content_type="",
        producer="",
    ):
        """A file object, like the built-in ``open``.

        ``r``/``rb``: reads one generation (pinned while open), seekable.
        ``w``/``wb``: replaces the file on close; ``x``/``xb``: creates it
        (FileExistsError if present). ``a``/``ab``: appends to the file (made
        if absent); ``r+``: updates it in place (FileNotFoundError if
        absent); ``+`` also allows reading a file open for writing. The bytes
        are spooled locally and published whole on close; an append or
        update publishes only if the file is still at the generation it
        started from, so a change made meanwhile is a ConflictError, never
        lost. ``expected_generation``: publish only if the file is at that
        generation (ConflictError otherwise).
        """
        kind = set(mode)
        if (
            not kind <= set("rwxabt+")
            or len(kind & set("rwxa")) != 1
            or {"b", "t"} <= kind
            or len(mode) != len(kind)
        ):
            raise ValueError(f"invalid mode {mode!r} (one of r, w, x, a; then b or t and +)")
        path = _path(path)
        buffer_size = DEFAULT_BUFFER_SIZE if buffering in (-1, None) else buffering
        if "r" in kind and "+" not in kind:
            if expected_generation is not None:
                raise ValueError("expected_generation applies to writes")
            raw = RawReader(self._native.open_reader(path, snapshot or ""), path)
            if buffering == 0 and "b" in kind:
                return raw
            binary = Reader(raw, max(buffer_size, 1))
        else:
            if snapshot:
                raise ValueError("snapshots are read-only")
            if "x" in kind and self.exists(path):
                # Checked again when publishing; failing here saves the upload.
                raise FileExistsError(17, "file exists", path)
            fill = None
            overwrite = "w" in kind
            if kind & set("ar"):
                fill, start_generation = self._current_body(path, must_exist="r" in kind)
                if expected_generation is None and start_generation is not None:
                    expected_generation = start_generation
            publish = self._publisher(
                path,
                overwrite=overwrite,
                expected_generation=expected_generation,
                content_type=content_type,
                producer=producer,
            )
            binary = Writer(
                publish, path, mode, max(buffer_size, 1), fill=fill, append="a" in kind
            )
        if "b" in kind:
            return binary
        text = _TextFile(binary, encoding=encoding or "utf-8", errors=errors, newline=newline)
        text.mode = mode
        return text

    def _current_body(self, path, *, must_exist):
        """(fill, generation) for a file opened to append or update: ``fill``
        copies the generation that was current at open into a spool file,
        ``generation`` is that generation (None when the file is absent and
        may be created)."""
        try:
            reader = self._native.open_reader(path, "")
        except FileNotFoundError:
            if must_exist:
                raise
            return None, None

        def fill(spool):
            try:
                offset, size = 0, reader.size
                while offset < size:
                    chunk = reader.read(offset, min(DEFAULT_COPY_CHUNK, size - offset))
                    if not chunk:
                        raise OSError(f"{path}: body ended at {offset} of {size} bytes")
                    spool.write(chunk)
                    offset += len(chunk)
            finally:
                reader.close()

        return fill, reader.generation

    def _publisher(self, path, *, overwrite, expected_generation, content_type="", producer=""):
        mode, generation = _write_mode(overwrite, expected_generation)

        def publish(local_path):
            return self._native.put_files(
                [(local_path, path)], mode, generation, content_type, producer, True
            )[0]

        return publish

    def read_bytes(self, path, start=0, end=None, *, snapshot=None):
        """Bytes [start, end) of a file (negative offsets count from its end)."""
        reader = self._native.open_reader(_path(path), snapshot or "")
        try:
            size = reader.size
            start = max(size + start, 0) if start < 0 else start
            end = size if end is None else (max(size + end, 0) if end < 0 else min(end, size))
            return reader.read(start, max(end - start, 0))
        finally:
            reader.close()

    def write_bytes(self, path, data, *, overwrite=True, expected_generation=None, content_type=""):
        """Publishes ``data`` as the file's body in one commit."""
        mode, generation = _write_mode(overwrite, expected_generation)
        return self._native.write_bytes(_path(path), data, mode, generation, content_type, "", True)

    def put(
        self,
        local_path,
        path,
        *,
        overwrite=False,
        expected_generation=None,
        content_type="",
        producer="",
    ):
        """Uploads a local file, or a local directory tree (all its files in
        one commit: the tree appears whole or not at all). Without
        ``overwrite`` an existing destination is FileExistsError, as with
        ``nokv put``. Returns the new file's attributes (a list for a tree).
        """
        path = _path(path)
        mode, generation = _write_mode(overwrite, expected_generation)
        local_path = os.fspath(local_path)
        if not os.path.isdir(local_path):
            return self._native.put_files(
                [(local_path, path)], mode, generation, content_type, producer, True
            )[0]
        if expected_generation is not None:
            raise ValueError("expected_generation applies to a single file")
        files = []
        for root, dirs, names in os.walk(local_path):
            dirs.sort()
            rel = os.path.relpath(root, local_path)
            for name in sorted(names):
                remote = path if rel == "." else _join(path, *rel.split(os.sep))
                files.append((os.path.join(root, name), _join(remote, name)))
        if not files:
            self.mkdir(path, parents=True, exist_ok=True)
            return []
        return self._native.put_files(files, mode, generation, content_type, producer, True)

    def get(self, path, local_path, *, snapshot=None):
        """Downloads a file, or a directory tree, to the local disk."""
        path = _path(path)
        local_path = os.fspath(local_path)
        if self.stat(path, snapshot=snapshot)["type"] != "directory":
            return self._native.download(path, local_path, snapshot or "")
        results = []
        for directory, _, names in self.walk(path, snapshot=snapshot):
            rel = directory[len(path):].lstrip("/")
            target = os.path.join(local_path, *rel.split("/")) if rel else local_path
            os.makedirs(target, exist_ok=True)
            for name in names:
                results.append(
                    self._native.download(
                        _join(directory, name), os.path.join(target, name), snapshot or ""
                    )
                )
        return results

    # --- snapshots and watch ------------------------------------------------
    def create_snapshot(self, name, root="/", *, expires=None):
        """Pins ``root`` as it is now; ``expires``: seconds until it lapses."""
        expires_ns = 0 if expires is None else time.time_ns() + int(expires * 1e9)
        return self._native.create_snapshot(name, _path(root), expires_ns)

    def snapshots(self):
        return self._native.list_snapshots()

    def retire_snapshot(self, name):
        self._native.retire_snapshot(name)

    def latest_cursor(self):
        """The cursor of the newest event ("" if none): watch from now on."""
        return self._native.latest_cursor()

    def watch(self, path="/", cursor=None, *, follow=True, wait=1.0, timeout=None):
        """Change events under ``path`` after ``cursor`` (None: the oldest
        retained), as dicts with a ``cursor`` to resume from. With
        ``follow`` it waits for new events (up to ``timeout`` seconds in all,
        None: forever); without, it stops at the newest event."""
        path = _path(path)
        cursor = cursor or ""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait_now = wait if follow else 0.0
            if deadline is not None:
                wait_now = max(0.0, min(wait_now, deadline - time.monotonic()))
            events, next_cursor = self._native.watch(path, cursor, 1000, wait_now)
            yield from events
            if next_cursor:
                cursor = next_cursor
            if len(events) >= 1000:
                continue
            if not follow or (deadline is not None and time.monotonic() >= deadline):
                return

    def agent_at(self, snapshot=None, root="/"):
        """The agent verbs confined to ``root`` and reading at ``snapshot``
        (``client.agent_at("before").grep(path="/", pattern="x")``)."""
        return Agent(self, root=_path(root), snapshot=snapshot)


class _TextFile(io.TextIOWrapper):
    """Text mode over a Reader or Writer; leaving a ``with`` block by an
    exception publishes nothing."""

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and isinstance(self.buffer, Writer):
            self.buffer.discard()
            return False
        return super().__exit__(exc_type, exc, tb)


class _Closed:
    def __getattr__(self, name):
        raise ValueError("the NoKV client is closed")


def _join(base, *names):
    path = base.rstrip("/")
    for name in names:
        path += "/" + name
    return path or "/"
