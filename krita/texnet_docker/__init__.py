"""texnet for Krita: a "Texture Networks" docker that fills selections, tiles and stylizes
layers by running the engine's ``texnet`` CLI (DESIGN.md §1). Krita imports this package at
start-up; elsewhere (tests, packaging) importing it does nothing."""

from __future__ import annotations

try:
    import krita
except ImportError:  # not inside Krita
    krita = None

if krita is not None and hasattr(krita, "DockWidgetFactory"):
    from .docker import TexnetDocker
    from .plugin import register

    register(krita, TexnetDocker)
