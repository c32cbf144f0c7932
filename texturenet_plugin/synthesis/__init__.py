"""Producing pixels (floor 3): tiles, canvases, selection fill, stylization, and the Gatys
optimiser baseline."""
