"""Paths and connections: how a ``nokv://`` URL or a bare path names a file,
and how a client finds its data directory or server (docs/python.md,
"Naming the data directory").

A URL's host and path together are the NoKV path: ``nokv://runs/1/ckpt.pt``
is ``/runs/1/ckpt.pt``. Which filesystem it lives in is not part of the URL:
it comes from explicit arguments (storage_options), else from the
environment, first ``NOKV_SERVER``, then ``NOKV_DATA_DIR``.
"""

import os

PROTOCOL = "nokv"
_PREFIX = PROTOCOL + "://"


def strip_protocol(path):
    """``nokv://a/b/``, ``/a/b`` or ``a/b`` -> ``/a/b`` (root stays ``/``)."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if path.startswith(_PREFIX):
        path = path[len(_PREFIX):]
    path = "/" + path.lstrip("/")
    if len(path) > 1:
        path = path.rstrip("/")
    return path


def resolve_connection(data_dir=None, server=None):
    """(data_dir, server) to open: the arguments, else the environment.

    Exactly one of the two is set in the result; ValueError when neither an
    argument nor NOKV_SERVER / NOKV_DATA_DIR names a filesystem.
    """
    if data_dir and server:
        raise ValueError("give either data_dir or server, not both")
    if not data_dir and not server:
        server = os.environ.get("NOKV_SERVER") or None
        if server is None:
            data_dir = os.environ.get("NOKV_DATA_DIR") or None
    if not data_dir and not server:
        raise ValueError(
            "no NoKV filesystem named: pass data_dir= or server= "
            "(storage_options for fsspec), or set NOKV_SERVER or NOKV_DATA_DIR"
        )
    if data_dir:
        data_dir = os.path.abspath(os.fspath(data_dir))
    return data_dir, server
