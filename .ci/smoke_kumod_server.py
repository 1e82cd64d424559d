"""Starts `kumod --serve` and checks that it answers /metrics.json and /metrics, then stops it."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

binary, port = sys.argv[1], sys.argv[2]
server = subprocess.Popen([binary, "--serve", f"127.0.0.1:{port}"])
try:
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics.json") as r:
                document = json.load(r)
            break
        except (urllib.error.URLError, ConnectionError):
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    assert document["memory_limit"]["value"] == 101234377728.0, document
    first = document["total_messages_delivered"]["value"]["service"]["smtp_client"]
    time.sleep(1)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        text = r.read().decode()
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    later = [l for l in text.splitlines() if l.startswith('total_messages_delivered{service="smtp_client"}')]
    assert len(later) == 1 and float(later[0].split()[-1]) >= first, (first, later)
    print(f"kumod --serve answered: {len(document)} metrics, {len(text.splitlines())} text lines")
finally:
    server.terminate()
    server.wait(timeout=10)
