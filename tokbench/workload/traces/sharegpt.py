"""ShareGPT-style conversation dumps: a JSON list of {"conversations": [{"from", "value"}, ...]}.

Like vLLM's benchmark, a request is the first human turn (prompt) and the reply that follows it
(output). Lengths come from a local tokenizer when given (--tokenizer), else from the documented
approximation of one token per 4 characters. Conversations without such a pair are excluded and
counted. There are no timestamps: the workload is offline unless arrivals are added later.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tokbench.errors import UserError
from tokbench.workload.table import LengthTable
from tokbench.workload.traces.source_file import DECOMPRESS_ERRORS, corrupt_compression_error, iter_lines

CHARS_PER_TOKEN = 4
_HUMAN, _REPLY = {"human", "user"}, {"gpt", "assistant", "chatgpt", "bard", "model"}


def _first_pair(item) -> tuple[str, str] | None:
    turns = (
        item.get("conversations") or item.get("conversation") or item.get("messages")
        if isinstance(item, dict)
        else None
    )
    if not isinstance(turns, list):
        return None
    for turn, reply in zip(turns, turns[1:]):
        if not (isinstance(turn, dict) and isinstance(reply, dict)):
            continue
        who, next_who = turn.get("from", turn.get("role")), reply.get("from", reply.get("role"))
        text, answer = turn.get("value", turn.get("content")), reply.get("value", reply.get("content"))
        if who in _HUMAN and next_who in _REPLY and isinstance(text, str) and isinstance(answer, str):
            return text, answer
    return None


def _token_counter(tokenizer: str | None):
    if tokenizer is None:
        return lambda texts: [max(1, round(len(t) / CHARS_PER_TOKEN)) for t in texts]
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise UserError("--tokenizer needs the 'tokenizers' package (pip install tokenizers)") from None
    path = Path(tokenizer)
    file = path / "tokenizer.json" if path.is_dir() else path
    try:
        tok = Tokenizer.from_file(str(file))
    except Exception as exc:  # the library raises plain Exception for unreadable files
        raise UserError(f"{file}: cannot load tokenizer ({exc})") from None
    return lambda texts: [max(1, len(e.ids)) for e in tok.encode_batch(texts, add_special_tokens=False)]


def _load(path: Path) -> list:
    try:
        data = json.loads(b"".join(iter_lines(path)))
    except DECOMPRESS_ERRORS as exc:
        raise corrupt_compression_error(path, exc) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise UserError(f"{path}: expected a JSON list of conversations")
    return data


def read_sharegpt(path: Path, tokenizer: str | None) -> LengthTable:
    data = _load(path)
    pairs = [_first_pair(item) for item in data]
    kept = [i for i, pair in enumerate(pairs) if pair is not None]
    if not kept:
        raise UserError(f"{path}: none of the {len(data)} items has a human turn followed by a reply")
    count = _token_counter(tokenizer)
    prompts = count([pairs[i][0] for i in kept])
    outputs = count([pairs[i][1] for i in kept])
    source = {
        "kind": "trace",
        "path": str(path),
        "format": "sharegpt",
        "rows_read": len(data),
        "length_source": f"tokenizer {tokenizer}" if tokenizer else f"approx {CHARS_PER_TOKEN} chars/token",
    }
    if len(kept) < len(data):
        source["conversations_without_reply_excluded"] = len(data) - len(kept)
    return LengthTable(
        prompt_len=np.array(prompts, np.int64),
        output_len=np.array(outputs, np.int64),
        row_id=np.array(kept, np.int64),
        source=source,
    )
