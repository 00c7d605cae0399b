"""Spaced practice: when a technique is due again (pure date arithmetic)."""

from __future__ import annotations

from datetime import date, timedelta

# Days after the last practice, by how many times it was practised: the 1st practice is due
# again the next day, the 2nd after 3 days, ... then every 30 days. Each log resets the clock.
SPACING_DAYS = (1, 3, 7, 14, 30)
INACTIVE_DAYS = 7  # "continue where you left off" once a learner has not watched for a week


def technique_due_on(*, last_practiced_on: date, times_practiced: int) -> date:
    step = SPACING_DAYS[min(max(times_practiced, 1), len(SPACING_DAYS)) - 1]
    return last_practiced_on + timedelta(days=step)


def week_of(day: date) -> date:
    """The Monday starting the ISO week of ``day``: the unit of "at most once a week"."""
    return day - timedelta(days=day.weekday())
