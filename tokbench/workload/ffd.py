"""First-Fit-Decreasing bin packing of sequence lengths into token budgets, vectorised.

Items are sorted by aligned size, largest first. All items of one size form a run; first-fit puts
a run into the open bins in index order, each bin taking as many as its free space holds, and opens
new bins for the rest. Handling a whole run with numpy gives exactly first-fit's answer while the
Python loop runs once per distinct size (at most capacity/align of them), not once per item.
"""

from __future__ import annotations

import numpy as np


def _fill_run(free: np.ndarray, live: np.ndarray, size: int, count: int) -> np.ndarray:
    """Place up to `count` items of `size` first-fit into the `live` bins (ascending ids);
    returns the bin of each placed item."""
    fits = live[free[live] >= size]
    room = free[fits] // size
    taken_before = np.cumsum(room) - room
    take = np.clip(count - taken_before, 0, room)  # a bin takes until the run is used up
    free[fits] -= take * size
    return np.repeat(fits, take)


def ffd_pack(sizes: np.ndarray, capacity: int, align: int = 16) -> np.ndarray:
    """Bin index per item (bins numbered in the order FFD opens them).

    Sizes are rounded up to a multiple of `align` before packing; an item whose aligned size exceeds
    `capacity` gets a bin of its own.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if capacity < 1 or align < 1:
        raise ValueError("capacity and align must be positive")
    if sizes.size and sizes.min() < 0:
        raise ValueError("sizes must be non-negative")
    aligned = -(-sizes // align) * align
    order = np.argsort(-aligned, kind="stable")
    sorted_sizes = aligned[order]
    assignment = np.empty(sizes.size, dtype=np.int64)
    n_over = int(np.searchsorted(-sorted_sizes, -capacity, side="left"))
    assignment[order[:n_over]] = np.arange(n_over)  # oversized: one bin each, opened first
    # Free space per bin; oversized bins are full. Each bin is more than half full under first
    # fit, so the total bin count is bounded by items + 1 and by 2*sum/capacity + 1.
    free = np.zeros(sizes.size + 1, dtype=np.int64)
    n_bins = n_over
    positive = sorted_sizes[sorted_sizes > 0]
    smallest = int(positive[-1]) if positive.size else 1
    live = np.zeros(0, dtype=np.int64)  # ids of bins that can still take the smallest item
    run_values, run_starts, run_counts = np.unique(-sorted_sizes[n_over:], return_index=True, return_counts=True)
    for size, start, count in zip((-run_values).tolist(), (run_starts + n_over).tolist(), run_counts.tolist()):
        if size == 0:  # empty items fit anywhere: first fit puts them in bin 0 (or a new one)
            if n_bins == 0:
                n_bins, free[0] = 1, capacity
            assignment[order[start : start + count]] = 0
            continue
        bins = _fill_run(free, live, size, count)
        placed = len(bins)
        per_new_bin = capacity // size
        extra = count - placed
        new = n_bins + np.arange(extra) // per_new_bin
        if extra:
            n_new = -(-extra // per_new_bin)
            free[n_bins : n_bins + n_new] = capacity - per_new_bin * size
            free[n_bins + n_new - 1] = capacity - (extra - (n_new - 1) * per_new_bin) * size
            live = np.concatenate([live, np.arange(n_bins, n_bins + n_new)])
            n_bins += n_new
        if len(bins):
            live = live[free[live] >= smallest]  # a bin that cannot take the smallest item is done
        assignment[order[start : start + count]] = np.concatenate([bins, new])
    return assignment
