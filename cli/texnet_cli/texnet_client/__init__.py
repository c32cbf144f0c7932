"""The one client of the texnet engine that both host plug-ins share (docs/design.md, "The
client"): finding the engine, building its command lines, running it with ``--progress json``,
reading its progress events, mapping exit codes, parsing ``models list --json`` and
``limits --json``, cancelling, and talking to a warm ``texnet serve`` worker.

Standard library only: GIMP's and Krita's Pythons are not the engine's and cannot import torch,
numpy, ``gi`` or PyQt5 here. ``texnet plugins install gimp|krita`` copies this file beside each
adapter; tests/plugins/test_client_contract.py runs it against the real CLI.
"""
from .commands import *
from .engine import *
from .protocol import *
from .warm import *
