"""The Pareto front of throughput against latency: the points no other point beats on both."""

from __future__ import annotations

import math


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the (latency, throughput) pairs on the front — lower latency and higher throughput are
    better; a point is on it when no other is at least as good on both and better on one. NaNs never are.
    Returned in order of rising latency."""
    usable = sorted((i for i, (lat, tput) in enumerate(points) if not (math.isnan(lat) or math.isnan(tput))),
                    key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -math.inf
    for i in usable:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front
