"""Helpers shared by the golden tests: paths, the API runner, a small worker pool, swetest."""
import concurrent.futures
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("NOC_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "../..")))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))

from nocturna_test import BIN, Checks  # noqa: E402  (shared counting and closing line)

SWETEST = os.environ.get("SWETEST", "/usr/bin/swetest")
EPHE_PATH = "/usr/share/libswe/ephe"
# Two workers: the machine has two cores and the binary runs under ASan.
WORKERS = 2


def shared_dir():
    """shared/ beside the repository (NOC_SHARED wins)."""
    env = os.environ.get("NOC_SHARED")
    if env:
        return env
    return os.path.normpath(os.path.join(SOURCE_DIR, "..", "shared"))


_calls = [0]
# Under ASan the leak check at exit costs about 40 % of a short run: do it on every 16th call.
_ASAN_NO_LEAKS = dict(os.environ)
_ASAN_NO_LEAKS["ASAN_OPTIONS"] = ":".join(
    x for x in (os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0") if x)


def api(endpoint, body, timeout=60):
    """One request through `nocturna calc`: (exit status, parsed envelope or None, stderr)."""
    _calls[0] += 1
    env = None if _calls[0] % 16 == 1 else _ASAN_NO_LEAKS
    p = subprocess.run([BIN, "calc", endpoint, "-"], input=json.dumps(body).encode(),
                       capture_output=True, timeout=timeout, env=env)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        out = None
    return p.returncode, out, p.stderr.decode(errors="replace")


def run_pool(fn, items):
    """fn over items with a small thread pool (the work is in subprocesses); keeps order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as ex:
        return list(ex.map(fn, items))


def angdiff(a, b):
    """|a - b| on the circle, degrees."""
    d = (a - b) % 360.0
    return min(d, 360.0 - d)


def jd_arg(jd):
    """The one decimal spelling of a Julian day given to both programs, so both parse the
    same double."""
    return repr(float(jd))


def swetest_blocks(args, jds, timeout=120):
    """Runs swetest once in its interactive mode with one 'j<JD>' entry per instant and returns
    one list of output lines per instant. Options apply to every entry."""
    stdin = "".join("j%s\n" % jd_arg(jd) for jd in jds) + ".\n"
    p = subprocess.run([SWETEST, "-edir" + EPHE_PATH, "-head", "-ep", "-g,"] + list(args),
                       input=stdin.encode(), capture_output=True, timeout=timeout)
    text = p.stdout.decode(errors="replace")
    chunks = text.split("Date ?")
    # chunks[0] precedes the first prompt; the chunk after the last entry follows ".".
    blocks = [c.strip("\n").splitlines() for c in chunks[1:len(jds) + 1]]
    if len(blocks) != len(jds):
        raise RuntimeError("swetest %s: %d answers for %d dates; stderr: %s"
                           % (" ".join(args), len(blocks), len(jds), p.stderr.decode()[:300]))
    return blocks


def parse_rows(lines):
    """'Name , v1, v2, ...' rows into {name: [floats]}, plus the list of 'error:' lines."""
    rows, errors = {}, []
    for line in lines:
        if line.startswith("error") or line.startswith("warning"):
            errors.append(line)
            continue
        if "," not in line:
            continue
        name, rest = line.split(",", 1)
        try:
            rows[name.strip()] = [float(v) for v in rest.split(",")]
        except ValueError:
            errors.append(line)
    return rows, errors
