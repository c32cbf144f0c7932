"""Command lines of the engine's CLI, as the plug-ins call it. Standard library only."""

from __future__ import annotations

from .engine import PRESETS, Limits


def _number(value: float) -> str:
    return f"{float(value):g}"


def _model(model: str | None) -> list[str]:
    model = (model or "").strip()
    return ["--model", model] if model else []


def _scale(scale: float) -> list[str]:
    return ["--scale", _number(scale)] if float(scale) != 1.0 else []


def fill_args(image: str, mask: str, output: str, model: str | None = None, seed: int = 0,
              scale: float = 1.0, match_colors: bool = False) -> list[str]:
    """``texnet fill --image --mask --layer-only``: a canvas-sized RGBA layer, transparent
    outside the selection, in the input's bit depth."""
    return ["fill", "--image", image, "--mask", mask, "--layer-only", "-o", output,
            *_model(model), "--seed", str(int(seed)), *_scale(scale),
            *(["--match-colors"] if match_colors else []), "--progress", "json"]


def tile_size(width: int, height: int, lattice: int = 32,
              limits: Limits | None = None) -> tuple[int, int]:
    """The tile to request for a W×H layer: exactly W×H (seamless) when the engine makes it in
    one pass; otherwise each side rounded up to the model's lattice (the layer takes the
    top-left W×H, seamless only where the canvas is a multiple of the lattice)."""
    if width * height <= (limits or Limits()).one_pass_max_pixels:
        return width, height
    return -(-width // lattice) * lattice, -(-height // lattice) * lattice


def tile_args(width: int, height: int, output: str, model: str | None = None, seed: int = 0,
              scale: float = 1.0, lattice: int = 32, limits: Limits | None = None) -> list[str]:
    """``texnet fill --tile`` (with ``--scale`` when not 1: element size, as for a fill)."""
    tw, th = tile_size(width, height, lattice, limits)
    return ["fill", "--tile", f"{tw}x{th}", "-o", output, *_model(model),
            "--seed", str(int(seed)), *_scale(scale), "--progress", "json"]


def stylize_args(image: str, output: str, model: str, strength: float = 1.0, seed: int = 0,
                 keep_colors: bool = False, mask: str | None = None) -> list[str]:
    """``texnet stylize``: IN's exact size; with ``mask`` only the selection is stylized."""
    if not (model or "").strip():
        raise ValueError("choose a style model (see `texnet models list`)")
    return ["stylize", *_model(model), image, "-o", output, *(["--mask", mask] if mask else []),
            "--strength", _number(strength), "--seed", str(int(seed)),
            *(["--keep-colors"] if keep_colors else []), "--progress", "json"]


def train_args(image: str, mask: str | None, name: str, preset: str = "quick",
               iterations: int | None = None, title: str = "",
               exemplar_scale: float = 1.0) -> list[str]:
    """``texnet train texture IMAGE --mask SELECTION``: learn from the selected pixels only;
    ``exemplar_scale`` (element size learnt ÷ element size in the selection) when not 1.
    ``--restart`` drops a checkpoint an earlier, cancelled run of NAME left."""
    if preset not in PRESETS:
        raise ValueError(f"preset {preset!r}: use one of {', '.join(PRESETS)}")
    scale = ["--exemplar-scale", f"{float(exemplar_scale):g}"] if exemplar_scale != 1 else []
    return ["train", "texture", image, *(["--mask", mask] if mask else []), "--name", name,
            "--preset", preset, *(["--iterations", str(int(iterations))] if iterations else []),
            *scale, *(["--title", title] if title else []), "--restart", "--progress", "json"]


def model_name(text: str) -> str:
    """A model name the engine accepts (lower-case letters, digits, '-', '_') from a title."""
    name = "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "-"
                   for c in text.strip().lower())
    name = "-".join(part for part in name.split("-") if part)
    return name[:64] or "my-texture"
