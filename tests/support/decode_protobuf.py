"""Decodes a protobuf exposition (length-delimited io.prometheus.client.MetricFamily messages)
with the `protobuf` package (PyPI), from message types built from Prometheus's own
`metrics.proto` as compiled by `protoc`.

Usage: decode_protobuf.py DESCRIPTOR_SET BODY
  DESCRIPTOR_SET: the output of `protoc --include_imports --descriptor_set_out=...` for
  metrics.proto; BODY: the exposition. Prints a JSON list: one object per family, as
  `google.protobuf.json_format.MessageToDict` gives it (field names as in the .proto file).
"""

import json
import sys

from google.protobuf import descriptor_pb2, json_format, message_factory, timestamp_pb2
from google.protobuf.internal.decoder import _DecodeVarint32


def plain_timestamps(value):
    """Gives every `google.protobuf.Timestamp` (which the JSON mapping writes as RFC 3339 text)
    as its seconds and nanoseconds."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "timestamp" and isinstance(inner, str):
                ts = timestamp_pb2.Timestamp()
                ts.FromJsonString(inner)
                value[key] = {"seconds": ts.seconds, "nanos": ts.nanos}
            else:
                plain_timestamps(inner)
    elif isinstance(value, list):
        for inner in value:
            plain_timestamps(inner)
    return value


def main():
    descriptor_set, body_path = sys.argv[1], sys.argv[2]
    files = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set, "rb") as f:
        files.ParseFromString(f.read())
    classes = message_factory.GetMessages(files.file)
    family_class = classes["io.prometheus.client.MetricFamily"]
    with open(body_path, "rb") as f:
        body = f.read()
    families = []
    at = 0
    while at < len(body):
        length, at = _DecodeVarint32(body, at)
        if at + length > len(body):
            raise SystemExit(f"a message of {length} bytes runs past the end at {at}")
        family = family_class()
        family.ParseFromString(body[at : at + length])
        # Every byte is a field the schema describes, in its place: the message written
        # again by the protobuf package is the same bytes.
        original = body[at : at + length]
        again = family.SerializeToString(deterministic=True)
        if again != original:
            raise SystemExit(
                f"the family at {at} does not serialize back to its bytes:\n"
                f"  read:    {original.hex()}\n  written: {again.hex()}"
            )
        families.append(
            plain_timestamps(
                json_format.MessageToDict(
                    family, preserving_proto_field_name=True, use_integers_for_enums=False
                )
            )
        )
        at += length
    json.dump(families, sys.stdout)


if __name__ == "__main__":
    main()
