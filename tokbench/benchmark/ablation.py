"""The ablation ladder: from static batching to tokenmaxxing, one idea added per step.

`tokbench run --ablation` runs these strategies, and reports say what each step changed, so a gain
of tokenmaxxing over continuous batching can be attributed to paged KV, to sharing steps between
prefills and decodes, or to chunking prefills.
"""

from __future__ import annotations

# (strategy, what this step adds to the one before; docs/metrics.md, "The ablation ladder", says more)
LADDER = (
    ("static-padded", "baseline: static, padded batches"),
    ("continuous", "requests join and leave every step"),
    ("continuous-paged", "paged KV on demand"),
    ("tokenmaxxing-nochunk", "prefills share steps with decodes"),
    ("tokenmaxxing", "prefills chunked to the budget"),
)
STRATEGIES = tuple(name for name, _ in LADDER)
