"""Registering the docker with Krita; imports neither Krita nor PyQt5 itself (the host module
is passed in), so tests can hand it a mock."""

from __future__ import annotations

DOCKER_ID = "texnet_docker"
DOCKER_TITLE = "Texture Networks"


def register(krita_module, docker_class) -> object:
    """Add the docker factory to Krita (right dock area); returns the factory."""
    factory = krita_module.DockWidgetFactory(
        DOCKER_ID, krita_module.DockWidgetFactoryBase.DockRight, docker_class)
    krita_module.Krita.instance().addDockWidgetFactory(factory)
    return factory
