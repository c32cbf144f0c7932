"""Training (floor 4): settings and presets, the loop, texture and style models, checkpoints,
training regions (masks) and data-parallel training."""
