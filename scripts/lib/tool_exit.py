"""The exit statuses of the document checks that scripts/check-openapi.sh runs.

Exit 1 is "the document differs"; anything a check cannot do (bad input, a crash) is exit 2, which
check-openapi.sh reports as a tool failure rather than as drift.
"""

import sys
import traceback


def run(main, argv):
    """Calls main(argv) and exits with its status, or with 2 for a failure of the tool itself."""
    try:
        status = main(argv)
    except SystemExit as stop:
        if not isinstance(stop.code, str):
            raise
        print(stop.code, file=sys.stderr)
        status = 2
    except Exception:  # noqa: BLE001  (a crash is a tool failure, traceback included)
        traceback.print_exc()
        status = 2
    sys.exit(status)
