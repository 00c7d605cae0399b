#!/usr/bin/env python
import sys

from config.settings_module import settings_module_use


def main() -> None:
    settings_module_use()  # local in a prepared checkout, else production
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
