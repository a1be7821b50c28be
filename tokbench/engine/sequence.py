"""A request's state inside the engine: its tokens and how many of them have KV stored."""

from __future__ import annotations

from tokbench.workload.types import Request


class Sequence:
    # The request's id and lengths are copied into plain attributes when it is set: strategies,
    # the runner and the recorder read them for every running sequence on every step, and a
    # property chain down to len(request.prompt_token_ids) cost more than the step's other work.
    __slots__ = ("_request", "seq_id", "prompt_len", "max_tokens", "token_ids", "num_computed", "num_preemptions",
                 "num_recomputed", "first_scheduled_s", "first_token_s")

    def __init__(self, request: Request):
        self.request = request
        self.token_ids: list[int] = list(request.prompt_token_ids)
        self.num_computed = 0  # leading tokens whose KV is in the cache
        self.num_preemptions = 0
        self.num_recomputed = 0  # tokens whose KV a preemption dropped: computed again later
        self.first_scheduled_s: float | None = None
        self.first_token_s: float | None = None

    @property
    def request(self) -> Request:
        return self._request

    @request.setter
    def request(self, request: Request) -> None:
        self._request = request
        self.seq_id = request.request_id
        self.prompt_len = request.prompt_len
        self.max_tokens = request.max_tokens

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
        return len(self.token_ids) - self.num_computed

    @property
    def in_prefill(self) -> bool:
        return len(self.token_ids) - self.num_computed > 1

    @property
    def final_len(self) -> int:
        """Tokens this sequence will hold when done (outputs have fixed length: ignore_eos)."""
        return self.prompt_len + self.max_tokens

    def __repr__(self) -> str:
        return f"Sequence(id={self.seq_id}, tokens={self.num_tokens}, computed={self.num_computed})"
