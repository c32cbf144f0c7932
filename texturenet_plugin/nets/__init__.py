"""The paper's networks (floor 1): generator, descriptor, losses, noise.

Imports nothing of ours but the ground floor (errors, limits).
"""
