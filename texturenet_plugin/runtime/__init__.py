"""Fast inference (floor 2): compute precision, generators with normalisation folded into the
convolutions (``folded``), instance-norm generators (``instance_norm``), windowed evaluation."""
