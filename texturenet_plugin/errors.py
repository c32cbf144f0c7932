"""Engine exceptions. Each subclasses a built-in and says what to do next.

``exit_code`` follows the CLI contract (docs/design.md §3): 1 user/input error, 3 cancelled,
4 model/download problem. Fronts translate these once; the engine never exits.
"""

from __future__ import annotations


class TexnetError(Exception):
    """Base class of every error the engine raises on purpose."""

    exit_code = 1
    code = "error"


class InputError(TexnetError, ValueError):
    """A parameter or input file is invalid; the message names it and the allowed range."""

    code = "input"


class ImageError(InputError):
    """An image cannot be read, is too large, or cannot be written."""

    code = "image"


class ModelError(TexnetError, RuntimeError):
    """A model file is missing, corrupt, or of an unknown format."""

    exit_code = 4
    code = "model"


class ModelNotFoundError(ModelError, LookupError):
    """No model of that name in the bundled set, the user's models, the cache or any index."""

    code = "model-not-found"


class DescriptorError(ModelError):
    """The descriptor network's weights are unavailable."""

    code = "descriptor"


class DownloadError(ModelError):
    """A download failed (network, size or checksum) or is forbidden (offline mode)."""

    code = "download"


class Cancelled(TexnetError):
    """Work was cancelled by the caller; nothing half-written was left behind."""

    exit_code = 3
    code = "cancelled"
