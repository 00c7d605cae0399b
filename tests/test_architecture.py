"""The layout's rules hold: no import cycles between modules, and a wrong-way import fails
the import-linter contracts of pyproject.toml (which `make test` runs on the real tree)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "courses", "media_pipeline")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _cycles(root: Path) -> list[list[str]]:
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "import_cycles.py"), str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout)


def _copy_tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "data", "migrations"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + "\n" + text + "\n")


def test_no_import_cycles_between_modules():
    assert _cycles(ROOT) == []


def test_a_cycle_dodged_inside_a_function_is_still_found(tmp_path):
    tree = _copy_tree(tmp_path)
    # courses.catalog.selectors imports courses.models; this closes the loop lazily.
    _append(
        tree / "courses" / "models" / "catalog.py",
        "def _dodge():\n    from courses.catalog import selectors  # noqa: F401",
    )
    cycles = _cycles(tree)
    assert any("courses.catalog.selectors" in c and "courses.models.catalog" in c for c in cycles)


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        # media_pipeline knows nothing of courses, and no app imports config.
        (
            "media_pipeline/formatting.py",
            "import courses.access  # noqa",
            "media_pipeline.formatting -> courses.access",
        ),
        (
            "courses/access.py",
            "def f():\n    import config.api  # noqa",
            "courses.access -> config.api",
        ),
        # Inside a domain: a selector may not reach up into its package's views.
        (
            "courses/catalog/selectors.py",
            "from courses.catalog import views  # noqa",
            "courses.catalog.selectors -> courses.catalog.views",
        ),
    ],
)
def test_a_wrong_way_import_fails_the_contracts(tmp_path, module, line, expected):
    tree = _copy_tree(tmp_path)
    _append(tree / module, line)
    broken = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "400"},  # one import chain per line
    )
    assert broken.returncode == 1, broken.stdout
    assert "BROKEN" in broken.stdout and expected in broken.stdout
