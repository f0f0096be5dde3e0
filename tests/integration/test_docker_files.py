"""The container deployment (Dockerfile, compose.yaml) against what the build really needs and what
`make docker-token-renew` (the integration guide's renewal command) assumes. No Docker engine runs
here, so this checks the files against the binary and the Makefile instead:
  - every shared library the built binary links directly comes from a Debian package that the
    runtime stage installs, and the ephemeris and time-zone data packages are there too;
  - the build stage copies every source path the CMake build reads;
  - the compose service, data directory and token file are the ones the make targets use;
  - Swagger UI is copied where the image tells the server to look for it."""
import os
import re
import subprocess

from nocturna_test import BIN, Checks

ROOT = os.environ.get("NOC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
t = Checks("docker_files")


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def stages(dockerfile):
    """The Dockerfile split at FROM lines, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile)
    parts = re.split(r"^FROM ", text, flags=re.M)
    return [p for p in parts[1:]]


def apt_packages(stage):
    out = set()
    for m in re.finditer(r"apt-get install ([^&\n]*)", stage):
        out.update(w for w in m.group(1).split() if not w.startswith("-"))
    return out


def needed_libraries(binary):
    """Sonames from the binary's dynamic section and the paths the loader resolves them to."""
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True)
    names = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn.stdout)
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, flags=re.M))
    return {n: paths.get(n) for n in names}


def package_of(path):
    real = os.path.realpath(path)
    for candidate in (path, real):
        p = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if p.returncode == 0:
            return p.stdout.split(":")[0].strip()
    return None


dockerfile = read("Dockerfile")
compose = read("compose.yaml")
make_targets = read("docs/identity-make-targets.mk")
build_stage, runtime_stage = stages(dockerfile)[0], stages(dockerfile)[-1]
runtime = apt_packages(runtime_stage)

# Libraries: glibc's own come with the base image; the sanitizer runtimes belong to the test
# builds (this test runs against an ASan build under `make test`), not to the image's release build.
libc_family = ("libc.so", "libm.so", "ld-linux", "libpthread", "libdl.so", "librt.so",
               "libasan.so", "libubsan.so", "libtsan.so", "liblsan.so")
libs = needed_libraries(BIN)
t.check(len(libs) >= 8, f"the binary links its libraries dynamically: {sorted(libs)}")
for soname, path in sorted(libs.items()):
    if soname.startswith(libc_family):
        continue
    pkg = package_of(path) if path else None
    t.check(pkg is not None and pkg in runtime,
            f"{soname} ({path}) comes from package {pkg}, installed by the runtime stage")
for data in ("swe-standard-data", "tzdata"):
    t.check(data in runtime, f"runtime stage installs {data}")

# Build inputs: the top-level paths CMakeLists.txt reads are copied into the build stage.
copied = set()
for m in re.finditer(r"^COPY (?!--from)(.+)$", build_stage, flags=re.M):
    copied.update(m.group(1).split()[:-1])
cmake = read("CMakeLists.txt")
used = set(re.findall(r"\$\{CMAKE_SOURCE_DIR\}/([A-Za-z0-9_.-]+)", cmake))
used.update(re.findall(r"(?:GLOB[^\n]*\s|add_subdirectory\()([a-z]+)/", cmake))
for m in re.finditer(r"include_directories\([^)]*\)", cmake):
    used.update(w for w in m.group(0)[:-1].split()[2:] if re.fullmatch(r"[a-z]+", w))
used.discard("tests")  # only with NOC_BUILD_TESTS, which the image turns off
used.discard("bench")  # bench programs are globbed; none is built
used.discard("fuzz")
used.discard("node_modules")  # made by npm ci in the build stage
t.check("-DNOC_BUILD_TESTS=OFF" in build_stage, "the image builds without the tests")
for path in sorted(used):
    t.check(path in copied, f"build stage copies {path}/ (CMakeLists.txt reads it)")
for path in sorted(copied):
    t.check(os.path.exists(os.path.join(ROOT, path)), f"COPY source {path} exists")

# The make targets of the guide run inside this compose service, on this token file.
svc = re.search(r"^DOCKER_SERVICE\s*\?=\s*(\S+)", make_targets, flags=re.M).group(1)
token_file = re.search(r"^DOCKER_TOKEN_FILE\s*\?=\s*(\S+)", make_targets, flags=re.M).group(1)
data_dir = os.path.dirname(token_file)
t.check(re.search(rf"^  {re.escape(svc)}:\s*$", compose, flags=re.M) is not None,
        f"compose.yaml defines the service '{svc}' that make docker-token-renew execs into")
t.check(re.search(rf"^\s+- [\w-]+:{re.escape(data_dir)}\s*$", compose, flags=re.M) is not None,
        f"compose.yaml keeps {data_dir} (the token file's directory) in a volume")
t.check(f"- NOCTURNA_DATA_DIR={data_dir}" in compose, f"compose sets NOCTURNA_DATA_DIR={data_dir}")
t.check(re.search(rf"NOCTURNA_DATA_DIR={re.escape(data_dir)}\b", runtime_stage) is not None,
        f"the image's own NOCTURNA_DATA_DIR is {data_dir} (for docker compose exec)")
t.check("NOCTURNA_HOST=0.0.0.0" in runtime_stage, "the server listens beyond the container")
t.check(re.search(r"^USER (?!root)\S+", runtime_stage, flags=re.M) is not None,
        "the server does not run as root")

# Swagger UI for /docs.
swagger = re.search(r"NOCTURNA_SWAGGER_DIR=(\S+)", runtime_stage)
t.check(swagger is not None and
        re.search(rf"^COPY --from=build \S+/node_modules/swagger-ui-dist {re.escape(swagger.group(1))}$",
                  runtime_stage, flags=re.M) is not None,
        "Swagger UI is copied where NOCTURNA_SWAGGER_DIR points")
t.finish()
