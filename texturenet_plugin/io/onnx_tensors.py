"""Read the float tensors of an ONNX file without the ``onnx`` package.

An ONNX file is one protobuf ``ModelProto``. Only the path to its tensors is decoded: the graph
(field 7), its initializers (GraphProto field 5) and the tensors of ``Constant`` nodes (NodeProto
field 1 -> AttributeProto field 5 -> TensorProto field 5). A ``TensorProto`` gives dims (1),
data_type (2), float_data (4), name (8) and raw_data (9); only float32 (data_type 1) is kept.
Everything else is skipped by its wire type, so unknown fields never break the reader.
"""

from __future__ import annotations

import struct

import numpy as np

FLOAT32 = 1


class OnnxError(ValueError):
    """The bytes are not an ONNX file this reader understands."""


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise OnnxError("truncated or malformed varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def fields(data: memoryview):
    """Yield ``(field_number, wire_type, value)``; value is an int or a memoryview (wire 2)."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise OnnxError("field runs past the end of the message")
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise OnnxError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def _packed_varints(value) -> list[int]:
    if isinstance(value, int):
        return [value]
    out, pos = [], 0
    while pos < len(value):
        item, pos = _varint(value, pos)
        out.append(item)
    return out


def parse_tensor(data: memoryview) -> tuple[str, np.ndarray | None]:
    """TensorProto -> (name, float32 array), or (name, None) for other data types."""
    name, dims, dtype, raw, floats = "", [], FLOAT32, None, []
    for number, wire, value in fields(data):
        if number == 1:
            dims.extend(_packed_varints(value))
        elif number == 2 and wire == 0:
            dtype = value
        elif number == 4:
            floats.append(bytes(value) if wire == 2 else struct.pack("<I", value))
        elif number == 8 and wire == 2:
            name = bytes(value).decode("utf-8", "replace")
        elif number == 9 and wire == 2:
            raw = bytes(value)
    if dtype != FLOAT32:
        return name, None
    flat = np.frombuffer(raw if raw is not None else b"".join(floats), dtype="<f4")
    if flat.size != int(np.prod(dims, dtype=np.int64)):
        raise OnnxError(f"tensor {name!r}: {flat.size} values for shape {dims}")
    return name, flat.reshape(dims).astype(np.float32)


def _node_tensors(node: memoryview, out: dict[str, np.ndarray]) -> None:
    outputs = [bytes(v).decode() for n, w, v in fields(node) if n == 2 and w == 2]
    for number, wire, attribute in fields(node):
        if number != 5 or wire != 2:
            continue
        for a_number, a_wire, tensor in fields(attribute):
            if a_number == 5 and a_wire == 2:
                name, array = parse_tensor(tensor)
                if array is not None:
                    out[name or (outputs[0] if outputs else "")] = array


def read_tensors(blob: bytes) -> dict[str, np.ndarray]:
    """All float32 initializers and constants of an ONNX model, by name."""
    out: dict[str, np.ndarray] = {}
    graphs = [v for n, w, v in fields(memoryview(blob)) if n == 7 and w == 2]
    if not graphs:
        raise OnnxError("no graph: not an ONNX model")
    for graph in graphs:
        for number, wire, value in fields(graph):
            if number == 5 and wire == 2:
                name, array = parse_tensor(value)
                if array is not None:
                    out[name] = array
            elif number == 1 and wire == 2:
                _node_tensors(value, out)
    return out
