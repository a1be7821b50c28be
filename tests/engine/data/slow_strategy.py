"""A strategy that runs tokenmaxxing's plan slowly (a pause before each step), so a test can
interrupt a run while it is busy; loaded as tests/engine/data/slow_strategy.py:Slow."""

import time

from tokbench.strategies.tokenmaxxing import TokenMaxxing


class Slow(TokenMaxxing):
    name = "slow"

    def plan(self, now):
        time.sleep(0.2)
        return super().plan(now)
