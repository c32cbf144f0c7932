"""File formats (floor 1): images (PNG, 16-bit PNG, TIFF, JPEG...), the streamed tile writer,
atomic writes, and the ONNX tensor reader used for descriptor weights."""
