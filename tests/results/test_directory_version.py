"""A results directory is read as the one version that was opened, whatever a writer swaps in meanwhile."""

import shutil

import pytest

from tokbench.results.directory_version import RELATIVE_OPEN, DirectoryVersion


def _write(directory, text):
    directory.mkdir()
    (directory / "results.json").write_text(text)
    (directory / "steps.parquet").write_text(text + " steps")


@pytest.mark.skipif(not RELATIVE_OPEN, reason="this platform opens files by path (no directory descriptors)")
def test_files_come_from_the_version_opened_after_a_swap(tmp_path):
    out = tmp_path / "out"
    _write(out, "old")
    with DirectoryVersion(out, "results.json") as version:
        out.rename(tmp_path / "out.old")  # a writer swaps a new version in, as staging.py does
        _write(out, "new")
        assert not version.unchanged()
        with version.open("steps.parquet") as fh:  # by path this would read the new version's
            assert fh.read() == b"old steps"
        shutil.rmtree(tmp_path / "out.old")  # the writer removes the old version: still readable whole
        with version.open("steps.parquet") as fh, version.open("results.json") as doc:
            assert fh.read() == b"old steps" and doc.read() == b"old"
        with version.open("steps.parquet") as fh:  # each open reads from the start
            assert fh.read() == b"old steps"
        assert version.open("tokens.parquet") is None  # not in the version opened


def test_a_directory_left_alone_is_unchanged_and_names_no_file_that_is_not_one(tmp_path):
    out = tmp_path / "out"
    _write(out, "only")
    (out / "sub").mkdir()
    with DirectoryVersion(out, "results.json") as version:
        assert version.unchanged()
        with version.open("results.json") as fh:
            assert fh.read() == b"only"
        assert version.open("sub") is None and version.open("absent.parquet") is None
