"""Pure interval math for watch progress: unions, caps, coverage and 1-second heat bins.

An interval is a (start_s, end_s) pair with start < end, in seconds of the video.
A *union* is a sorted list of disjoint, non-touching intervals. Nothing here knows
about Django, so the property tests can hammer it directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Interval = tuple[float, float]

# Ends that differ by less than this are the same instant: floats that went through
# JSON and the player's currentTime arithmetic do not always meet exactly. It must
# stay tiny: any tolerance lets a client claim the gaps between many short ranges.
TOUCH_EPS_S = 1e-6


def union(intervals: Iterable[Sequence[float]]) -> list[Interval]:
    """The merged union of any intervals (order and duplicates do not matter)."""
    items = sorted((float(s), float(e)) for s, e in intervals if e > s)
    merged: list[list[float]] = []
    for start, end in items:
        if merged and start <= merged[-1][1] + TOUCH_EPS_S:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def cap(intervals: list[Interval], max_count: int) -> list[Interval]:
    """Merge the smallest gaps until at most `max_count` intervals remain.

    Keeps the stored row bounded whatever a client sends. The result covers
    everything the input did (plus the filled gaps), so it only ever errs on
    the side of "watched". `intervals` must already be a union.
    """
    if len(intervals) <= max_count:
        return intervals
    excess = len(intervals) - max_count
    gaps = sorted(
        range(len(intervals) - 1), key=lambda i: (intervals[i + 1][0] - intervals[i][1], i)
    )
    close = set(gaps[:excess])  # close gap i = join interval i and i + 1
    result: list[Interval] = []
    start = intervals[0][0]
    for i, (_, end) in enumerate(intervals):
        if i in close:
            continue
        result.append((start, end))
        if i + 1 < len(intervals):
            start = intervals[i + 1][0]
    return result


def clip(intervals: Iterable[Interval], low: float, high: float) -> list[Interval]:
    """The parts of the intervals inside [low, high]."""
    result = []
    for s, e in intervals:
        s, e = max(s, low), min(e, high)
        if e > s:
            result.append((s, e))
    return result


def total(intervals: Iterable[Interval]) -> float:
    return sum(e - s for s, e in intervals)


def budget_split(
    intervals: Sequence[Sequence[float]], budget_s: float
) -> tuple[list[Interval], list[Interval]]:
    """(the first ``budget_s`` seconds of ``intervals`` in the order given, the rest), the
    interval that crosses the budget split in two. Not a union: a range played twice costs
    twice, as it took twice the time."""
    taken: list[Interval] = []
    rest: list[Interval] = []
    left = max(budget_s, 0.0)
    for start, end in intervals:
        start, end = float(start), float(end)
        if end <= start:
            continue
        if left >= end - start:
            taken.append((start, end))
            left -= end - start
        elif left > 0:
            taken.append((start, start + left))
            rest.append((start + left, end))
            left = 0.0
        else:
            rest.append((start, end))
    return taken, rest


def covered(intervals: Iterable[Interval], start: float, end: float) -> float:
    """Seconds of [start, end] that a union covers."""
    return total(clip(intervals, start, end))


def covers_point(intervals: Sequence[Interval], point: float) -> bool:
    # Unions are short (capped) and sorted: a linear scan with early exit is plenty.
    for s, e in intervals:
        if s > point:
            return False
        if point <= e:
            return True
    return False


HeatRuns = list[list[int]]  # [first_bin, stop_bin, plays]: sorted, disjoint, plays > 0


def heat_add(runs: HeatRuns, ranges: Iterable[Interval], bin_s: float = 1.0) -> HeatRuns:
    """Add one play to every bin whose centre lies inside a range.

    Takes the ranges of one beat, not the union, so a second played five times
    counts five: that is what makes loops and rewatches visible. Runs of equal
    counts are stored as one [first_bin, stop_bin, plays] triple: a lesson
    watched straight through is one run, not one number per second, which keeps
    the row (read and rewritten on every heartbeat) small.
    """
    steps: dict[int, int] = {}
    for first, stop, plays in runs:
        steps[first] = steps.get(first, 0) + plays
        steps[stop] = steps.get(stop, 0) - plays
    for s, e in ranges:
        bins = bin_range(s, e, bin_s)
        if bins:
            steps[bins.start] = steps.get(bins.start, 0) + 1
            steps[bins.stop] = steps.get(bins.stop, 0) - 1
    result: HeatRuns = []
    level, since = 0, 0
    for point in sorted(steps):
        if not steps[point]:
            continue
        if level:
            result.append([since, point, level])
        level, since = level + steps[point], point
    return result


def heat_dense(runs: HeatRuns, length: int) -> list[int]:
    """Plays per bin for bins 0..length-1."""
    dense = [0] * length
    for first, stop, plays in runs:
        for i in range(first, min(stop, length)):
            dense[i] += plays
    return dense


def bin_range(start: float, end: float, bin_s: float = 1.0) -> range:
    """The bins i whose centre (i + 0.5) * bin_s lies in [start, end)."""
    first = max(math.ceil(start / bin_s - 0.5), 0)
    last = math.ceil(end / bin_s - 0.5)
    return range(first, max(first, last))
