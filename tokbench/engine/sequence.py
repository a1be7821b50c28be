"""A request's state inside the engine: its tokens and how many of them have KV stored."""

from __future__ import annotations

from tokbench.workload.types import Request


class Sequence:
    __slots__ = ("request", "token_ids", "num_computed", "num_preemptions", "first_scheduled_s", "seq_id",
                 "prompt_len", "max_tokens")

    def __init__(self, request: Request):
        self.request = request
        self.token_ids: list[int] = list(request.prompt_token_ids)
        # Copied from the (frozen) request: read every step by every strategy, so kept one lookup away.
        self.seq_id = request.request_id
        self.prompt_len = len(self.token_ids)
        self.max_tokens = request.max_tokens
        self.num_computed = 0  # leading tokens whose KV is in the cache
        self.num_preemptions = 0
        self.first_scheduled_s: float | None = None

    @property
    def num_tokens(self) -> int:
        return len(self.token_ids)

    @property
    def num_output(self) -> int:
        return len(self.token_ids) - self.prompt_len

    @property
    def output_ids(self) -> list[int]:
        return self.token_ids[self.prompt_len:]

    @property
    def finished(self) -> bool:
        return len(self.token_ids) - self.prompt_len >= self.max_tokens

    @property
    def num_uncomputed(self) -> int:
        """Tokens still to run through the model before the next token can be sampled."""
        return self.num_tokens - self.num_computed

    @property
    def in_prefill(self) -> bool:
        return self.num_uncomputed > 1

    @property
    def final_len(self) -> int:
        """Tokens this sequence will hold when done (outputs have fixed length: ignore_eos)."""
        return self.prompt_len + self.max_tokens

    def __repr__(self) -> str:
        return f"Sequence(id={self.seq_id}, tokens={self.num_tokens}, computed={self.num_computed})"
