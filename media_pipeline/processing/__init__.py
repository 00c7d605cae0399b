"""Processing a version: probe, encode, publish (pipeline.py is the entry point).

TEMPORARY: ``from media_pipeline.processing import version_process`` still works only for
tests/courses/test_player_browser.py, which another change owns; once it imports
``media_pipeline.processing.pipeline``, delete this ``__getattr__``. It is lazy (PEP 562)
because the pure submodules (probe, encode) must stay importable without Django, which an
eager import of the pipeline here would break. It dodges no cycle: the pipeline never
imports this package's ``__init__``.
"""


def __getattr__(name: str):
    if name == "version_process":
        from media_pipeline.processing.pipeline import version_process

        return version_process
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
