"""Opening a trace file: compression by magic bytes, a peek at its first lines, line lookups for
error messages, and byte-level progress on long reads."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa

from tokbench.errors import UserError

_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ": "xz", b"\x28\xb5\x2f\xfd": "zstd"}
_PY_OPENERS = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
DECOMPRESS_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError)


def compression_of(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(6)
    return next((name for magic, name in _MAGIC.items() if head.startswith(magic)), None)


def logical_suffix(path: Path) -> str:
    """'.csv' for both trace.csv and trace.csv.gz."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in (".gz", ".gzip", ".bz2", ".xz", ".zst", ".zstd"):
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def corrupt_compression_error(path: Path, exc: BaseException) -> UserError:
    kind = compression_of(path) or "compressed"
    return UserError(f"{path}: {kind} data is truncated or corrupt ({exc}); re-download or re-compress the file")


class _CountingFile:
    """A raw file that remembers how many bytes were read, for a progress bar."""

    def __init__(self, path: Path, on_read: Callable[[int], None] | None):
        self._fh = open(path, "rb")
        self._on_read = on_read
        self.closed = False

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        if self._on_read is not None:
            self._on_read(len(data))
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._fh.close()
        self.closed = True


def open_stream(path: Path, on_read: Callable[[int], None] | None = None) -> pa.NativeFile:
    """The decompressed bytes of `path` as an Arrow stream (decompression runs in C++)."""
    raw = pa.PythonFile(_CountingFile(path, on_read), mode="r")
    compression = compression_of(path)
    return pa.CompressedInputStream(raw, compression) if compression else raw


def read_head(path: Path, limit: int = 65536) -> bytes:
    """The first `limit` decompressed bytes: enough to see the header and a few rows."""
    compression = compression_of(path)
    try:
        if compression in _PY_OPENERS:
            with _PY_OPENERS[compression](path, "rb") as fh:
                return fh.read(limit)
        if compression == "zstd":
            with open_stream(path) as stream:
                return stream.read(limit)
        with open(path, "rb") as fh:
            return fh.read(limit)
    except DECOMPRESS_ERRORS as exc:
        raise corrupt_compression_error(path, exc) from None


def iter_lines(path: Path) -> Iterator[bytes]:
    """Decompressed lines, for slow diagnostic passes only (finding the line of an error)."""
    compression = compression_of(path)
    opener = _PY_OPENERS.get(compression, open)
    try:
        with opener(path, "rb") as fh:
            yield from fh
    except DECOMPRESS_ERRORS as exc:
        raise corrupt_compression_error(path, exc) from None


def first_undecodable_line(path: Path) -> tuple[int, str] | None:
    """(line number, reason) of the first line that is not UTF-8, or None."""
    for number, line in enumerate(iter_lines(path), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return number, f"byte 0x{line[exc.start]:02x} at column {exc.start + 1} is not valid UTF-8"
    return None


def check_text_encoding(path: Path, head: bytes) -> str:
    """Decode the head as UTF-8 (BOM allowed), or say clearly what the file is instead."""
    if not head.strip():
        raise UserError(f"{path}: file is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and head[1:2] == b"\x00"):
        raise UserError(f"{path}: file is UTF-16 encoded; save it as UTF-8")
    if b"\x00" in head[:4096]:
        raise UserError(f"{path}: looks like a binary file, not a CSV/JSON trace")
    text = head.decode("utf-8-sig", errors="replace")
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the peek
            line = head[: exc.start].count(b"\n") + 1
            raise UserError(
                f"{path}: line {line}: byte 0x{head[exc.start]:02x} is not valid UTF-8; save the file as UTF-8"
            ) from None
    return text
