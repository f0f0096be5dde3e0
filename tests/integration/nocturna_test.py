"""Shared helpers for the Python tests: run `nocturna calc` and count checks."""
import json
import os
import subprocess
import sys

BIN = os.environ.get("NOCTURNA_BIN", os.path.join(os.path.dirname(__file__), "../../build/nocturna"))
SHARED = os.environ.get("NOC_SHARED", os.path.join(os.path.dirname(__file__), "../../../shared"))


def calc(endpoint, body, raw=None, timeout=60):
    """Runs one request through the CLI; returns (exit status, parsed response)."""
    data = raw if raw is not None else json.dumps(body).encode()
    p = subprocess.run([BIN, "calc", endpoint, "-"], input=data, capture_output=True, timeout=timeout)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        out = None
    return p.returncode, out, p.stderr.decode(errors="replace")


class Checks:
    """Counts passed and failed checks and prints the closing line CI reads."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {self.name}: {what}", flush=True)
        return ok

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.passed else 0)
