"""The `carematch` command: Django's manage.py with carematch's settings preset."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carematch.settings")
    from django.core.management import execute_from_command_line

    if len(sys.argv) > 1:
        import django

        from carematch.checks import SERVING_COMMANDS, require_secret_key

        if sys.argv[1] in SERVING_COMMANDS:
            django.setup()
            try:
                require_secret_key()
            except Exception as exc:  # noqa: BLE001 - one clear line, no traceback
                sys.stderr.write(f"{exc}\n")
                raise SystemExit(1) from None
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
