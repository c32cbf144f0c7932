"""Runs the engine for a host that kills its plug-in when the user cancels (GIMP): when the
plug-in process dies, stop the engine (SIGTERM: it stops at its next step and writes nothing)
and remove the run's temp folder, so a cancel leaves no files behind.

Usage: ``python guard.py PLUGIN_PID FOLDER ENGINE [ARG ...]``; exit code: the engine's (3 when
the plug-in died). The plug-in's PID comes as an argument so that a plug-in killed before this
script even started is noticed too. Standard library only, runnable as a script.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

CANCELLED = 3


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str]) -> int:
    parent, folder, command = int(argv[0]), argv[1], argv[2:]
    if os.getppid() != parent:  # the plug-in died before we started
        shutil.rmtree(folder, ignore_errors=True)
        return CANCELLED
    proc = subprocess.Popen(command)  # stdin, stdout and stderr are the plug-in's pipes
    signal.signal(signal.SIGTERM, lambda *_: proc.poll() is None and proc.terminate())
    while True:
        try:
            code = proc.wait(0.2)
        except subprocess.TimeoutExpired:
            code = None
        orphaned = os.getppid() != parent
        if orphaned:  # the plug-in is gone: nobody will read or remove the folder
            _stop(proc)
            shutil.rmtree(folder, ignore_errors=True)
            return CANCELLED
        if code is not None:
            return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
