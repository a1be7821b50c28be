"""What static padded batching would waste: requests batched B at a time in arrival order, each
batch padded to its longest prompt (prefill) and run for its longest output (decode)."""

from __future__ import annotations

import numpy as np

BATCH_SIZES = (8, 32, 128)


def padded_waste(lengths: np.ndarray, batch_size: int) -> float:
    """1 - real tokens / padded slots, over consecutive batches of `batch_size` (last one partial)."""
    values = np.asarray(lengths, dtype=np.int64)
    n_batches = -(-values.size // batch_size)
    grid = np.zeros(n_batches * batch_size, dtype=np.int64)
    grid[: values.size] = values
    longest = grid.reshape(n_batches, batch_size).max(axis=1)
    members = np.full(n_batches, batch_size)
    members[-1] = values.size - (n_batches - 1) * batch_size
    return float(1.0 - values.sum() / (longest * members).sum())


def padding_summary(prompt_len: np.ndarray, output_len: np.ndarray, batch_sizes=BATCH_SIZES) -> dict:
    return {
        str(b): {"prefill_waste": padded_waste(prompt_len, b), "decode_waste": padded_waste(output_len, b)}
        for b in batch_sizes
    }
