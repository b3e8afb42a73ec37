"""`python -m pipelines`: the CLI, and a process that ends as soon as the command has.

A build's last act used to be the interpreter's teardown: freeing, one object at a time, the
modules, caches and page data a 5,000-rep build leaves behind, 0.3-0.4 s of one core after the
site was in place and every line printed, for memory the system takes back whole anyway. By the
time the command returns, every file and lock it opened is closed (`with` blocks), its DuckDB
connection and worker pools are gone, and the only process it leaves (the removal of old scratch)
is detached. So the process leaves with `os._exit`, after flushing what Python would flush, unless
something still runs beside it: then it exits the ordinary way, which waits for it.
Called from code (`pipelines.cli.main`, click's test runner), nothing changes.
"""

import logging
import os
import sys
import threading

from pipelines.cli import main


def _exit_status(code) -> int:
    """The status `sys.exit(code)` gives: None is 0, a number itself, anything else printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _run() -> None:
    try:
        main()
    except SystemExit as e:  # click ends every command this way
        if threading.active_count() > 1:
            raise  # a thread still at work: Python waits for it at exit
        status = _exit_status(e.code)
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            if stream is None:  # started with that descriptor closed: Python then has no stream at all
                continue
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe, a closed stream: as Python's own exit ignores them
                pass
        os._exit(status)


if __name__ == "__main__":
    _run()
