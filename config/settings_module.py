"""Which settings a process uses when DJANGO_SETTINGS_MODULE is not set.

A checkout that platform/setup.sh prepared (it has a .env beside manage.py) is a developer's
machine: local settings. Anywhere else (an image, a server, a copied tree) the default is
production, which refuses to start without its secrets, rather than local settings with
DEBUG on and a fallback secret key.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def settings_module_default(root: Path = PROJECT_ROOT) -> str:
    return "config.settings.local" if (root / ".env").is_file() else "config.settings.production"


def settings_module_use() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module_default())
