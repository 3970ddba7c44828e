"""NoKV for Python: a native client over NoKV's Filesystem and the fsspec
filesystem for ``nokv://`` URLs (docs/python.md).

    import nokv
    client = nokv.Client("/data/nokv")          # or Client(server="host:port")
    with client.open("/runs/1/metrics.csv", "w") as f:
        f.write("step,loss\\n")
    client.stat("/runs/1/metrics.csv")["generation"]

    import pandas
    pandas.read_csv("nokv://runs/1/metrics.csv")  # NOKV_DATA_DIR or NOKV_SERVER
"""

from . import errors
from ._client import VERBS, Agent, Client
from ._files import RawReader, Reader, Writer
from ._paths import strip_protocol
from .errors import (
    BusyError,
    ConflictError,
    CorruptionError,
    ExpiredError,
    InvalidArgumentError,
    NokvError,
    NotSupportedError,
    UnavailableError,
    VerbError,
)

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "BusyError",
    "Client",
    "ConflictError",
    "CorruptionError",
    "ExpiredError",
    "InvalidArgumentError",
    "NokvError",
    "NotSupportedError",
    "RawReader",
    "Reader",
    "UnavailableError",
    "VERBS",
    "VerbError",
    "Writer",
    "errors",
    "strip_protocol",
]


def _register_fsspec():
    # The entry point registers nokv:// when the package metadata is on the
    # path; this covers a package imported without it.
    try:
        from fsspec.registry import known_implementations, register_implementation
    except ImportError:
        return
    if "nokv" not in known_implementations:
        register_implementation("nokv", "nokv._fsspec.NokvFileSystem")


_register_fsspec()
