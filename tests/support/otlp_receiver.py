"""An OTLP/HTTP metrics receiver that decodes each request with the `opentelemetry-proto`
package (PyPI) and appends it, as JSON (`MessageToDict`, field names as in the .proto files),
one line per request, to a file.

Usage: otlp_receiver.py PORT OUT_FILE. Answers `POST /v1/metrics` with 200 and an empty
ExportMetricsServiceResponse; a body that does not decode gets 400.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = metrics_service_pb2.ExportMetricsServiceRequest()
        try:
            request.ParseFromString(body)
        except Exception as error:  # a body that is not the message
            self.send_response(400)
            self.end_headers()
            self.wfile.write(str(error).encode())
            return
        with open(OUT, "a") as out:
            out.write(
                json.dumps(
                    {
                        "content_type": self.headers.get("Content-Type"),
                        "request": json_format.MessageToDict(
                            request, preserving_proto_field_name=True
                        ),
                    }
                )
                + "\n"
            )
        answer = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


PORT, OUT = int(sys.argv[1]), sys.argv[2]
HTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
