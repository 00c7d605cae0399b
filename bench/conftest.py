"""Benchmarks reuse the test suite's real services (SeaweedFS, workers, clips)."""

from tests.conftest import *  # noqa: F403
