"""File objects: what ``Client.open`` returns.

Reading: ``RawReader`` (an ``io.RawIOBase``) reads one pinned generation of
a file by offset through the native reader: ``readinto`` fills the caller's
buffer, seeking is free, and only the blocks a range touches are fetched
(the native reader reads ahead when reads are sequential). ``Reader`` is the
``io.BufferedReader`` around it, with ``read_at`` and ``read_ranges`` for
random access that bypasses the buffer.

Writing: ``Writer`` spools everything to a local temporary file and
publishes it when closed, in one commit: readers see the old body or the
whole new one, never a part. Leaving a ``with`` block by an exception
publishes nothing. With ``expected_generation`` the publish fails with
ConflictError if the file changed meanwhile.
"""

import io
import os
import tempfile

DEFAULT_BUFFER_SIZE = 1 << 20


class RawReader(io.RawIOBase):
    """Unbuffered reads of one generation of a NoKV file."""

    def __init__(self, native_reader, name):
        super().__init__()
        self._reader = native_reader
        self._pos = 0
        self.name = name
        self.mode = "rb"

    @property
    def size(self):
        return self._reader.size

    @property
    def generation(self):
        return self._reader.generation

    @property
    def attr(self):
        return self._reader.attr

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buffer):
        self._check_open()
        n = self._reader.readinto(self._pos, buffer)
        self._pos += n
        return n

    def readall(self):
        self._check_open()
        data = self._reader.read(self._pos, max(self._reader.size - self._pos, 0))
        self._pos += len(data)
        return data

    def read_at(self, offset, length):
        """Up to ``length`` bytes at ``offset``; the position is unchanged."""
        self._check_open()
        if offset < 0 or length < 0:
            raise ValueError("offset and length must not be negative")
        return self._reader.read(offset, length)

    def read_ranges(self, ranges):
        """Bytes of each ``(start, end)`` range, in one native call."""
        self._check_open()
        return self._reader.read_ranges([(int(s), int(e)) for s, e in ranges])

    def seek(self, offset, whence=io.SEEK_SET):
        self._check_open()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._reader.size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if pos < 0:
            raise OSError(22, "negative seek position")
        self._pos = pos
        return pos

    def tell(self):
        self._check_open()
        return self._pos

    def close(self):
        if not self.closed:
            self._reader.close()
        super().close()

    def _check_open(self):
        if self.closed:
            raise ValueError("I/O operation on closed file.")


class Reader(io.BufferedReader):
    """A buffered, seekable NoKV file open for reading."""

    def __init__(self, raw, buffer_size=DEFAULT_BUFFER_SIZE):
        super().__init__(raw, buffer_size)

    @property
    def size(self):
        return self.raw.size

    @property
    def generation(self):
        return self.raw.generation

    @property
    def attr(self):
        return self.raw.attr

    def read_at(self, offset, length):
        """Up to ``length`` bytes at ``offset``, without moving the position."""
        return self.raw.read_at(offset, length)

    def read_ranges(self, ranges):
        """Bytes of each ``(start, end)`` range, in one native call."""
        return self.raw.read_ranges(ranges)


class Writer(io.BufferedRandom):
    """A NoKV file open for writing: spooled locally, published on close.

    ``published`` holds the new file's attributes (with its generation)
    after a successful close.
    """

    def __init__(
        self,
        publish,
        name,
        mode="wb",
        buffer_size=DEFAULT_BUFFER_SIZE,
        autocommit=True,
        fill=None,
        append=False,
    ):
        """``fill(spool)``, when given, writes the starting bytes (the file's
        current body) into the spool; ``append`` makes every write go to
        the end, as O_APPEND does."""
        fd, self._spool_path = tempfile.mkstemp(prefix="nokv-spool-")
        raw = None
        try:
            raw = io.FileIO(fd, "w+b", closefd=True)
            if fill is not None:
                fill(raw)
                raw.seek(0)
            if append:
                raw.close()
                raw = io.FileIO(self._spool_path, "a+b")
        except BaseException:
            if raw is None:
                os.close(fd)
            else:
                raw.close()
            os.unlink(self._spool_path)
            raise
        super().__init__(raw, buffer_size)
        self._publish = publish
        self._name = name
        self._mode = mode
        self._autocommit = autocommit
        self._done = False
        self._failed = None  # the first write error: the spool is then never published
        self.published = None

    @property
    def name(self):
        return self._name

    @property
    def mode(self):
        return self._mode

    def write(self, data):
        try:
            return super().write(data)
        except OSError as error:
            self._failed = self._failed or error
            raise

    def flush(self):
        try:
            super().flush()
        except OSError as error:
            self._failed = self._failed or error
            raise

    def close(self):
        """Publishes what was written (once), then closes. After a write
        failed (the spool's disk is full) nothing is published: part of the
        failed write may be in the spool, so close discards it and raises
        that error, and the file keeps its last published generation."""
        if self.closed:
            return
        try:
            super().close()
        except BaseException:
            self.discard()
            raise
        if self._failed is not None:
            self.discard()
            raise OSError(
                self._failed.errno,
                f"{self._name}: not published, a write failed ({self._failed.strerror}); "
                "the file keeps its last published generation",
            )
        if self._autocommit:
            self.commit()

    def commit(self):
        """Publishes the spooled bytes (a deferred close: fsspec transactions)."""
        if self._done:
            return
        if not self.closed:
            super().close()
        try:
            self.published = self._publish(self._spool_path)
        finally:
            self._done = True
            _unlink_quietly(self._spool_path)

    def discard(self):
        """Drops what was written; publishes nothing."""
        if not self.closed:
            try:
                super().close()
            except OSError:
                pass
        self._done = True
        _unlink_quietly(self._spool_path)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.discard()
            return False
        self.close()
        return False

    def __del__(self):
        # A writer dropped without close() publishes nothing (an error path
        # must not publish half a file).
        if not getattr(self, "_done", True):
            self.discard()


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
