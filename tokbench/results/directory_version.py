"""One version of a results directory, read as one: its files opened together, through a descriptor of it.

A writer replaces a results directory whole (staging.py: a new sibling swapped in, the old one then
removed), never a file inside a published one. Its files are opened at once, relative to a
descriptor of the directory, and read through those descriptors: they all belong to the version
the descriptor holds, and stay readable when the writer removes that version a moment later. Only
a swap inside the instant of opening them can leave one missing, and the loader then reads again
(loader.load_results). Reading by path mixed versions whenever a swap fell anywhere inside a read:
with two writers replacing one directory back to back, five reads in a row could each catch one.
Where files cannot be opened relative to a directory (Windows), they are opened by path and the
directory's results.json is held open, so its identity tells afterwards whether a swap happened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

RELATIVE_OPEN = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")


class DirectoryVersion:
    """The version of `directory` there when it was opened (OSError if it is gone); a context manager."""

    def __init__(self, directory: Path, held_file: str):
        self.path = directory
        self.snapshot = RELATIVE_OPEN  # every file read is of this one version, by construction
        target = directory if self.snapshot else directory / held_file
        self._fd = os.open(target, (os.O_RDONLY | os.O_DIRECTORY) if self.snapshot else os.O_RDONLY)
        st = os.fstat(self._fd)
        self._identity = st.st_dev, st.st_ino
        self._target = target
        self._files: dict[str, int] = {}  # name -> descriptor, every regular file, opened now
        if self.snapshot:
            for name in os.listdir(self._fd):
                fd = self._open_file(name)
                if fd is not None:
                    self._files[name] = fd

    def _open_file(self, name: str) -> int | None:
        try:
            fd = os.open(name, os.O_RDONLY, dir_fd=self._fd) if self.snapshot else os.open(self.path / name, os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return fd

    def open(self, name: str) -> BinaryIO | None:
        """The file `name` of this version for reading in binary from its start, or None where it is not
        a file. Read one at a time: a file opened twice shares one position, rewound at each open."""
        if name in self._files:
            fd = self._files[name]
            os.lseek(fd, 0, os.SEEK_SET)
            return os.fdopen(os.dup(fd), "rb")
        if self.snapshot and self._files:
            return None  # not in this version when it was opened
        fd = self._open_file(name)
        return None if fd is None else os.fdopen(fd, "rb")

    def unchanged(self) -> bool:
        """Whether the path still names the version opened (no writer swapped another in since)."""
        try:
            st = os.stat(self._target)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._identity

    def close(self) -> None:
        for fd in [*self._files.values(), self._fd]:
            os.close(fd)

    def __enter__(self) -> DirectoryVersion:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
