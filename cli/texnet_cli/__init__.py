"""The ``texnet`` command line: a thin click front over :mod:`texturenet_plugin`."""
