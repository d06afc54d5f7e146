"""Gzip inputs, decompressed as a stream with limits (no input can fill the disk or the memory).

Every reader that decompresses gzip goes through here:

* :func:`open_gzip` - a readable stream of the decompressed bytes (for pandas and line readers);
* :func:`gunzip_to_temporary` - the decompressed bytes in a temporary file that has no name on disk,
  so it cannot outlive the process (even a ``kill -9``): htslib reads it as ``/proc/self/fd/N``.

Two limits, checked while decompressing, 1 MiB at a time:

* at most :func:`max_decompressed_bytes` bytes (``HER2DASH_MAX_DECOMPRESSED_BYTES``, default 4 GiB);
* once past 64 MiB, at most :data:`MAX_RATIO` decompressed bytes per compressed byte read (a
  decompression bomb; real genomics text compresses 5-20 times).

Past either, :class:`~analysis.io.errors.DecompressionLimitError` names the file, the limit and how to
raise it.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from analysis.errors import InputError
from analysis.io.errors import DecompressionLimitError, TruncatedFileError

#: Environment variable holding the largest decompressed size, in bytes.
MAX_BYTES_ENV = "HER2DASH_MAX_DECOMPRESSED_BYTES"
DEFAULT_MAX_BYTES = 4 << 30
#: Decompressed bytes per compressed byte beyond which the input is a bomb ...
MAX_RATIO = 200
#: ... once this much has been decompressed (small files may compress better, harmlessly).
RATIO_CHECKED_FROM = 64 << 20
CHUNK = 1 << 20

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: str | Path) -> bool:
    """True when *path* starts with the gzip magic bytes (plain gzip or BGZF)."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def max_decompressed_bytes() -> int:
    """The decompressed-size limit: ``HER2DASH_MAX_DECOMPRESSED_BYTES`` when set to a positive
    whole number of bytes, else 4 GiB."""
    text = os.environ.get(MAX_BYTES_ENV, "").strip()
    try:
        value = int(text)
    except ValueError:
        return DEFAULT_MAX_BYTES
    return value if value > 0 else DEFAULT_MAX_BYTES


def _size_text(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


class _LimitedGzip(io.RawIOBase):
    """The decompressed bytes of one gzip file, refused past the size or ratio limit."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__()
        self.path = path
        self.limit = limit
        self._raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._gzip = gzip.GzipFile(fileobj=self._raw, mode="rb")
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        try:
            data = self._gzip.read(min(len(view), CHUNK))
        except (OSError, EOFError, zlib.error) as exc:
            raise TruncatedFileError(f"gzip data is corrupt or truncated ({exc}); re-create the file.",
                                     path=str(self.path)) from None
        self.produced += len(data)
        self._check()
        view[: len(data)] = data
        return len(data)

    def _check(self) -> None:
        if self.produced > self.limit:
            raise DecompressionLimitError(
                f"decompresses to more than {_size_text(self.limit)} (the limit for gzip inputs); the "
                f"reading was stopped. If the file is genuine, raise the limit with the environment "
                f"variable {MAX_BYTES_ENV} (in bytes) and try again.", path=str(self.path))
        consumed = max(self._raw.tell(), 1)
        if self.produced > RATIO_CHECKED_FROM and self.produced / consumed > MAX_RATIO:
            raise DecompressionLimitError(
                f"decompresses to more than {MAX_RATIO} times its compressed size (over "
                f"{_size_text(self.produced)} from {_size_text(consumed)}): a decompression bomb, not "
                f"genomics text; the reading was stopped. Re-create the file; only the size limit "
                f"({MAX_BYTES_ENV}) can be raised.", path=str(self.path))

    def close(self) -> None:
        if not self.closed:
            self._gzip.close()
            self._raw.close()
        super().close()


@contextlib.contextmanager
def open_gzip(path: str | Path, mode: str = "rb", *, limit: int | None = None,
              encoding: str = "utf-8", errors: str = "strict") -> Iterator[IO]:
    """The decompressed content of gzip file *path* as a binary (``"rb"``) or text (``"rt"``) stream.

    Raises :class:`DecompressionLimitError` past the limits (module docstring) and
    :class:`TruncatedFileError` for corrupt or truncated gzip data, while reading.
    """
    raw = _LimitedGzip(Path(path), max_decompressed_bytes() if limit is None else limit)
    stream: IO = io.BufferedReader(raw, CHUNK)
    if mode == "rt":
        stream = io.TextIOWrapper(stream, encoding=encoding, errors=errors)
    elif mode != "rb":
        raise ValueError(f"mode must be 'rb' or 'rt', not {mode!r}")
    try:
        yield stream
    finally:
        stream.close()


def _nameless_temporary_file() -> BinaryIO:
    """A temporary file with no name on disk (``O_TMPFILE``, else unlinked at once)."""
    handle = tempfile.TemporaryFile(prefix="her2dash-gunzip-")  # noqa: SIM115 - the caller closes it
    return handle  # type: ignore[return-value]


@contextlib.contextmanager
def gunzip_to_temporary(path: str | Path, *, limit: int | None = None) -> Iterator[str]:
    """Decompress gzip file *path* into a nameless temporary file; yields a path that opens it.

    The path is ``/proc/self/fd/N``: the file has no directory entry (it is created with ``O_TMPFILE``,
    or unlinked as soon as it is created), so the kernel frees it when the process ends, however it ends.
    Nothing is left to clean up after a ``kill -9``.

    Raises
    ------
    DecompressionLimitError, TruncatedFileError
        As :func:`open_gzip`; the partial copy is discarded.
    InputError
        No ``/proc/self/fd`` (not Linux): the file must be bgzipped.
    """
    handle = _nameless_temporary_file()
    try:
        proc_path = f"/proc/self/fd/{handle.fileno()}"
        if not os.path.exists(proc_path):
            raise InputError("plain gzip (not BGZF) can only be read where /proc/self/fd exists (Linux); "
                             "re-compress the file with bgzip and try again.", path=str(path))
        with open_gzip(path, "rb", limit=limit) as source:
            while block := source.read(CHUNK):
                handle.write(block)
        handle.flush()
        yield proc_path
    finally:
        handle.close()


__all__ = ["open_gzip", "gunzip_to_temporary", "is_gzip", "max_decompressed_bytes", "MAX_BYTES_ENV",
           "MAX_RATIO", "RATIO_CHECKED_FROM"]
