"""Digests that tie results.json to its tables: a truncated, replaced or hand-edited file is refused.

The writer stores a SHA-256 of every table file and of results.json itself (its canonical JSON,
without the `integrity` block). A file's digest is of the bytes the writer produced in memory, not
of the file read back: a file another process changed between the write and results.json is then
refused, instead of being vouched for. A digest, rather than recomputing summaries from the
tables, keeps results written by an older tokbench loadable after metric definitions evolve.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import BinaryIO, Callable

from tokbench.errors import UserError

ALGORITHM = "sha256"


def canonical_json(doc: dict) -> bytes:
    """The bytes the document digest covers: sorted keys, no whitespace, the integrity block left out."""
    body = {k: v for k, v in doc.items() if k != "integrity"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def document_digest(doc: dict) -> str:
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def bytes_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(fh: BinaryIO) -> str:
    h = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        h.update(block)
    return h.hexdigest()


def integrity_block(doc: dict, file_digests: dict[str, str]) -> dict:
    """What the writer stores under `integrity`; `doc` must already be in its JSON form, and
    `file_digests` (file name -> bytes_digest) be of the bytes written."""
    return {"algorithm": ALGORITHM, "document": document_digest(doc), "files": dict(file_digests)}


def check_integrity(results_file: Path, doc: dict, open_file: Callable[[str], BinaryIO | None]) -> None:
    """Raise UserError naming the first file whose content is not what was written; `open_file(name)`
    opens a file beside results_file (None where there is none)."""
    block = doc["integrity"]
    if block["algorithm"] != ALGORITHM:
        raise UserError(f"{results_file}: integrity algorithm {block['algorithm']!r} is not {ALGORITHM!r}")
    if document_digest(doc) != block["document"]:
        raise UserError(f"{results_file}: its content does not match the digest written with it: the file was "
                        "edited after tokbench wrote it (re-run the benchmark instead of editing results)")
    for name, expected in block["files"].items():
        path = results_file.parent / name
        fh = open_file(name)
        if fh is None:
            raise UserError(f"{path}: missing (listed in {results_file.name})")
        with fh:
            digest = file_digest(fh)
        if digest != expected:
            raise UserError(f"{path}: its content does not match the digest in {results_file.name}: the file "
                            "was truncated, replaced or edited after it was written")
