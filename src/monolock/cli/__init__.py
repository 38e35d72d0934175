"""The command line: parse options, make one core call, render, exit. Nothing else."""

from __future__ import annotations

import signal
import sys


def run() -> None:
    """The `monolock` program. An interrupt at any instant exits 130, quietly: while the
    command loads (before its own handling is in place) as well as once it is done."""
    try:
        if sys.argv[1:] == ["--version"]:  # what scripts ask most: answered before click loads
            from monolock import __version__

            print(f"monolock, version {__version__}")
            return
        from monolock import replay

        code = replay.serve(sys.argv[1:])  # a read-only answer nothing it read has changed
        if code is not None:
            sys.exit(code)
        from monolock.cli.main import main

        with replay.Recording(sys.argv[1:]):
            main()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        # the work is over, whatever the outcome: a late ctrl-C must not turn it into a
        # traceback while Python shuts down
        signal.signal(signal.SIGINT, signal.SIG_IGN)
