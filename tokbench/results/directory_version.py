"""One version of a results directory, read as one: its files opened through a descriptor of the directory.

A writer replaces a results directory whole (staging.py: a new sibling swapped in, the old one then
removed), never a file inside a published one. Files opened relative to a descriptor of the
directory all belong to the version that descriptor holds, however many swaps happen while they are
read; a file the writer has already removed is missing, and the loader reads again
(loader.load_results). Reading by path instead mixed versions whenever a swap fell inside a read:
with two writers replacing one directory back to back, five reads in a row could each catch a swap.
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

    def open(self, name: str) -> BinaryIO | None:
        """The file `name` of this version for reading in binary, or None where it is not a file."""
        try:
            fd = os.open(name, os.O_RDONLY, dir_fd=self._fd) if self.snapshot else os.open(self.path / name, os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")

    def unchanged(self) -> bool:
        """Whether the path still names the version opened (no writer swapped another in since)."""
        try:
            st = os.stat(self._target)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._identity

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> DirectoryVersion:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
