"""A workload is a list of requests; nothing downstream knows whether it was synthetic or a trace."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    request_id: int
    arrival_s: float  # seconds from the start of the run; 0 for offline workloads
    prompt_token_ids: tuple[int, ...]
    max_tokens: int  # output tokens to generate (ignore_eos: exactly this many)

    @property
    def prompt_len(self) -> int:
        return len(self.prompt_token_ids)


@dataclass
class Workload:
    name: str
    requests: list[Request]
    # How it was made (spec or trace path + options + seed), recorded verbatim in results.
    source: dict = field(default_factory=dict)

    @property
    def is_offline(self) -> bool:
        return all(r.arrival_s == 0.0 for r in self.requests)
