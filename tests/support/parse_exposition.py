"""Parses expositions with prometheus_client's parsers and prints what they saw, as JSON.

Reads a JSON list of {"format": "openmetrics" | "prometheus", "text": "..."} from stdin and
prints a list with, for each input, either {"families": [...]} or {"error": "..."}. Non-finite
sample values are written as the strings "NaN", "+Inf" and "-Inf".
"""

import json
import math
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus


def number(value):
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


def parse(item):
    parser = parse_openmetrics if item["format"] == "openmetrics" else parse_prometheus
    try:
        families = [
            {
                "name": family.name,
                "type": family.type,
                "help": family.documentation,
                "unit": family.unit,
                "samples": [
                    {"name": s.name, "labels": s.labels, "value": number(s.value)}
                    for s in family.samples
                ],
                "exemplars": [
                    {
                        "sample": s.name,
                        "labels": s.labels,
                        "exemplar": {
                            "labels": s.exemplar.labels,
                            "value": number(s.exemplar.value),
                            "timestamp": None
                            if s.exemplar.timestamp is None
                            else float(s.exemplar.timestamp),
                        },
                    }
                    for s in family.samples
                    if getattr(s, "exemplar", None) is not None
                ],
            }
            for family in parser(item["text"])
        ]
    except Exception as error:  # the parsers raise ValueError and others on bad input
        return {"error": f"{type(error).__name__}: {error}"}
    return {"families": families}


json.dump([parse(item) for item in json.load(sys.stdin)], sys.stdout)
