"""texnet engine: Texture Networks (Ulyanov, Lebedev, Vedaldi, Lempitsky, ICML 2016).

A pure library: no printing, no CLI, no GUI. Long work reports progress through a callback
(:mod:`texturenet_plugin.progress`) and can be cancelled through one.
"""

from __future__ import annotations

__version__ = "0.1.0"
