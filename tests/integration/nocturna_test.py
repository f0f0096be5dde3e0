"""Shared helpers for the Python tests: run `nocturna calc`, count checks, and the parts of a
test server that every harness needs (its JSON log, its start line, stopping it)."""
import json
import os
import signal
import subprocess
import sys
import time

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


class ServerProcess:
    """Mixin for a harness that runs `nocturna serve` as self.proc with stderr in self.log_path."""

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def log_lines(self):
        """Every stderr line parsed as JSON; a line that is not becomes {"unparsed": line}."""
        out = []
        for raw in self.log_text().splitlines():
            try:
                out.append(json.loads(raw))
            except ValueError:
                out.append({"unparsed": raw})
        return out

    def wait_started(self, timeout):
        """The port of the "server started" line; raises if the server exits or never says it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_lines():
                if line.get("msg") == "server started":
                    return int(line["port"])
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_text()}")
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("server did not start: " + self.log_text())

    def signal_and_wait(self, sig=signal.SIGTERM, timeout=30):
        """Sends sig and returns the exit status (None if it had to be killed)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.proc.returncode if self.proc else 0

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
