"""docs/openapi.json against the code: the paths against the endpoint table (`nocturna calc` lists
it) and the server's routes (src/http), every documented request field against what each endpoint
reads (a request with all of them draws no UNKNOWN_FIELD warning; fields documented elsewhere but
not for an endpoint do draw one), the documented examples and response schemas against real
answers, and the document and Swagger UI as the server serves them (/openapi.json, /docs)."""
import copy
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nocturna_test import BIN, Checks, calc  # noqa: E402

SOURCE = os.environ.get("NOC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
DOC_PATH = os.path.join(SOURCE, "docs", "openapi.json")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UNKNOWN_RE = re.compile(r"field '([^']+)' is not used by this endpoint")


# ---- reading the document ----------------------------------------------------------------------


class Doc:
    def __init__(self, doc):
        self.doc = doc

    def resolve(self, s):
        seen = 0
        while isinstance(s, dict) and "$ref" in s:
            ref = s["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"external $ref {ref}")
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            s = node
            seen += 1
            if seen > 20:
                raise ValueError(f"$ref loop at {ref}")
        return s

    def collect(self, schema):
        """Properties, exclusive pairs (allOf: not: required) and dependentRequired of an object
        schema, through $ref and allOf."""
        s = self.resolve(schema)
        props, excl, dep = {}, [], {}
        for item in s.get("allOf", []):
            item = self.resolve(item)
            if "not" in item and "required" in item["not"]:
                excl.append(set(item["not"]["required"]))
            else:
                p, e, d = self.collect(item)
                props.update(p)
                excl += e
                dep.update(d)
        props.update(s.get("properties", {}))
        dep.update(s.get("dependentRequired", {}))
        return props, excl, dep

    def is_object(self, schema):
        s = self.resolve(schema)
        if s.get("type") == "object" or "properties" in s:
            return True
        if "allOf" in s and "examples" not in s:
            return any(self.is_object(x) for x in s["allOf"] if "not" not in self.resolve(x))
        return False

    def operations(self):
        for path, item in self.doc.get("paths", {}).items():
            item = self.resolve(item)
            for m in HTTP_METHODS:
                if m in item:
                    yield path, m, item[m]

    def request_schema(self, op):
        rb = self.resolve(op.get("requestBody", {}))
        return self.resolve(rb.get("content", {}).get("application/json", {}).get("schema", {}))

    def request_examples(self, op):
        rb = self.resolve(op.get("requestBody", {}))
        media = rb.get("content", {}).get("application/json", {})
        return {k: self.resolve(v)["value"] for k, v in media.get("examples", {}).items()}

    def ok_response(self, op):
        r = self.resolve(op.get("responses", {}).get("200", {}))
        return r.get("content", {}).get("application/json", {})


# ---- request bodies made from the document -------------------------------------------------------


class Builder:
    """Builds request bodies from the documented schemas: every property with its example value,
    in as few bodies as the exclusive pairs and dependencies allow."""

    def __init__(self, doc, checks):
        self.d = doc
        self.c = checks

    def value(self, schema, where, variant=0):
        s = schema
        if isinstance(s, dict) and "examples" in s:
            return copy.deepcopy(s["examples"][0])
        r = self.d.resolve(s)
        if "examples" in r:
            return copy.deepcopy(r["examples"][0])
        if self.d.is_object(r):
            bodies = self.bodies(r, where)
            return bodies[variant % len(bodies)]
        if r.get("type") == "array" and "items" in r:
            items = self.d.resolve(r["items"])
            alts = items.get("oneOf", [items])
            return [self.value(a, f"{where}[{i}]", variant) for i, a in enumerate(alts)]
        if "allOf" in r and len(r["allOf"]) == 1:
            return self.value(r["allOf"][0], where, variant)
        for k in ("const", "default"):
            if k in r:
                return copy.deepcopy(r[k])
        if "enum" in r:
            return r["enum"][0]
        self.c.check(False, f"{where}: no example value documented")
        return None

    def plans(self, schema):
        """Lists of property names covering every property, each list free of exclusive pairs and
        closed under dependentRequired."""
        props, excl, dep = self.d.collect(schema)
        names = list(props)
        uncovered = list(names)
        plans = []
        while uncovered:
            chosen = []
            for name in uncovered + [n for n in names if n not in uncovered]:
                group = [name] + [x for x in dep.get(name, []) if x not in chosen]
                trial = set(chosen) | set(group)
                if name in chosen or any(pair <= trial for pair in excl):
                    continue
                chosen += [g for g in group if g not in chosen]
            if not any(n in uncovered for n in chosen):
                self.c.check(False, f"cannot place {uncovered} in any request")
                break
            plans.append(chosen)
            uncovered = [n for n in uncovered if n not in chosen]
        return plans or [[]], props

    def bodies(self, schema, where="body"):
        plans, props = self.plans(schema)
        # Enough bodies that each nested object shows each of its own variants too.
        n = len(plans)
        for name, ps in props.items():
            if self.d.is_object(ps):
                n = max(n, len(self.plans(ps)[0]))
        out = []
        for i in range(n):
            body = {}
            for name in plans[i % len(plans)]:
                body[name] = self.value(props[name], f"{where}.{name}", i)
            out.append(body)
        return out


# ---- a small JSON Schema check for the documented response schemas -----------------------------


def conforms(d, schema, value, path, errors, depth=0):
    if depth > 40 or len(errors) > 5:
        return
    s = d.resolve(schema)
    if s is True or s == {}:
        return
    for sub in s.get("allOf", []):
        conforms(d, sub, value, path, errors, depth + 1)
    if "oneOf" in s or "anyOf" in s:
        alts = s.get("oneOf", s.get("anyOf"))
        if not any(not _errs(d, a, value, path, depth) for a in alts):
            errors.append(f"{path}: matches none of the alternatives")
    if "const" in s and value != s["const"]:
        errors.append(f"{path}: {value!r} is not {s['const']!r}")
    if "enum" in s and value not in s["enum"]:
        errors.append(f"{path}: {value!r} not in {s['enum']}")
    t = s.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        ok = any(_is_type(value, x) for x in types)
        if not ok:
            errors.append(f"{path}: {type(value).__name__} is not {t}")
            return
    if isinstance(value, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in value:
                errors.append(f"{path}: required {k!r} missing")
        extra = s.get("additionalProperties")
        for k, v in value.items():
            if k in props:
                conforms(d, props[k], v, f"{path}.{k}", errors, depth + 1)
            elif extra is False:
                errors.append(f"{path}: undocumented {k!r}")
            elif isinstance(extra, dict):
                conforms(d, extra, v, f"{path}.{k}", errors, depth + 1)
            elif props and s.get("type") == "object" and "additionalProperties" not in s:
                errors.append(f"{path}: undocumented {k!r}")
    if isinstance(value, list) and "items" in s:
        for i, v in enumerate(value[:50]):
            conforms(d, s["items"], v, f"{path}[{i}]", errors, depth + 1)


def _errs(d, schema, value, path, depth):
    e = []
    conforms(d, schema, value, path, e, depth + 1)
    return e


def _is_type(v, t):
    return {"null": v is None, "boolean": isinstance(v, bool),
            "integer": isinstance(v, int) and not isinstance(v, bool),
            "number": isinstance(v, (int, float)) and not isinstance(v, bool),
            "string": isinstance(v, str), "array": isinstance(v, list),
            "object": isinstance(v, dict)}.get(t, True)


# ---- the checks ------------------------------------------------------------------------------------


def table_endpoints():
    p = subprocess.run([BIN, "calc"], capture_output=True, text=True, timeout=30)
    return [ln.strip() for ln in p.stderr.splitlines() if re.fullmatch(r"\s+[a-z][a-z0-9/-]+", ln)]


def unknown_fields(resp):
    out = []
    for w in (resp or {}).get("meta", {}).get("warnings", []):
        if w.get("code") == "UNKNOWN_FIELD":
            m = UNKNOWN_RE.search(w.get("message", ""))
            out.append(m.group(1) if m else w.get("message"))
    return out


def run(ep, body):
    """calc, with the events' cursor made real: a first page of one event gives it."""
    if "cursor" in body:
        first = dict(body)
        first.pop("cursor")
        first["limit"] = 1
        _, r1, _ = calc(ep, first)
        cur = ((r1 or {}).get("data") or {}).get("cursor")
        if cur:
            body = dict(body, cursor=cur)
        else:
            body = {k: v for k, v in body.items() if k != "cursor"}
    return calc(ep, body)


def check_document(c, d, endpoints):
    doc = d.doc
    c.check(isinstance(doc.get("openapi"), str) and re.fullmatch(r"3\.1\.\d+", doc["openapi"]),
            f"openapi is {doc.get('openapi')!r}, want 3.1.x")
    c.check(doc.get("info", {}).get("license", {}).get("identifier") == "AGPL-3.0-only", "info.license")
    schemes = doc.get("components", {}).get("securitySchemes", {})
    c.check(schemes.get("bearerAuth", {}).get("scheme") == "bearer"
            and schemes.get("bearerAuth", {}).get("bearerFormat") == "JWT", "bearerAuth scheme (JWT)")
    paths = doc.get("paths", {})
    for ep in endpoints:
        for prefix in ("/api/v1/", "/api/"):
            item = d.resolve(paths.get(prefix + ep, {}))
            c.check("post" in item, f"{prefix}{ep}: POST not documented")
    known = {"/api/v1/" + e for e in endpoints} | {"/api/" + e for e in endpoints}
    for path in paths:
        if path.startswith(("/api/auth/", "/api/v1/auth/")) or path in ("/api", "/api/v1", "/api/health",
                                                                          "/api/v1/health"):
            continue
        if path.startswith("/api/"):
            c.check(path in known, f"{path}: documented but not in the endpoint table")
    ids = [op.get("operationId") for _, _, op in d.operations()]
    c.check(all(ids) and len(ids) == len(set(ids)), "operationIds present and unique")
    for path, method, op in d.operations():
        for code, resp in op.get("responses", {}).items():
            try:
                d.resolve(resp)
            except (KeyError, ValueError) as e:
                c.check(False, f"{method} {path} {code}: bad $ref {e}")


def check_routes_in_source(c, d):
    """Service and identity routes of src/http are documented (with both auth prefixes)."""
    paths = d.doc.get("paths", {})
    route_c = open(os.path.join(SOURCE, "src/http/route.c")).read()
    table = route_c.split("service_routes[] = {", 1)[1].split("};", 1)[0]
    service = re.findall(r'\{"(/[^"]*)",\s*NOC_ROUTE_\w+\}', table)
    c.check(len(service) >= 8, f"service routes found in route.c: {service}")
    for p in service:
        c.check(p in paths, f"{p}: server route not documented")
    ident_file = os.path.join(SOURCE, "src/http/identity_routes.c")
    if os.path.exists(ident_file):
        labels = set(re.findall(r'"(/api/v1/auth/[^"]+)"', open(ident_file).read()))
        c.check(len(labels) > 0, "identity route labels found")
        for lab in labels:
            c.check(lab in paths, f"{lab}: identity route not documented")
            legacy = "/api/auth/" + lab[len("/api/v1/auth/"):]
            c.check(legacy in paths, f"{legacy}: identity route not documented")
    docs_file = os.path.join(SOURCE, "src/http/docs_routes.c")
    if os.path.exists(docs_file):
        for p in ("/openapi.json", "/docs"):
            c.check(p in paths, f"{p}: served but not documented")


def check_fields(c, d, endpoints):
    b = Builder(d, c)
    paths = d.doc["paths"]
    all_props = {}
    own = {}
    for ep in endpoints:
        op = d.resolve(paths.get("/api/v1/" + ep, {})).get("post")
        if op is None:
            continue
        schema = d.request_schema(op)
        props, _, _ = d.collect(schema)
        own[ep] = set(props)
        for name, ps in props.items():
            all_props.setdefault(name, (ep, ps))
        # Every documented property, with its example value: accepted, and none unknown.
        bodies = b.bodies(schema, ep)
        covered = set()
        for i, body in enumerate(bodies):
            covered |= set(body)
            code, resp, err = run(ep, body)
            ok = resp is not None and resp.get("success") is True
            c.check(ok, f"{ep} all-fields request {i} failed: {code} "
                        f"{(resp or {}).get('error')} {err[-300:]} body={json.dumps(body)[:600]}")
            unk = unknown_fields(resp)
            c.check(not unk, f"{ep}: documented fields the code does not read: {unk}")
        c.check(covered == set(props), f"{ep}: properties never sent: {set(props) - covered}")
        # The documented example answers as documented.
        for name, example in d.request_examples(op).items():
            code, resp, err = calc(ep, example)
            c.check(resp is not None and resp.get("success") is True and not unknown_fields(resp),
                    f"{ep}: example {name} does not run cleanly: {(resp or {}).get('error')} "
                    f"{unknown_fields(resp)}")
            media = d.ok_response(op)
            if resp and resp.get("success") and "schema" in media:
                errors = []
                conforms(d, media["schema"], resp, "response", errors)
                c.check(not errors, f"{ep}: answer to example {name} does not match its schema: {errors}")
                doc_ex = [d.resolve(v).get("value") for v in media.get("examples", {}).values()]
                for ex in doc_ex:
                    same = isinstance(ex, dict) and set((ex.get("data") or {})) == set(resp["data"])
                    c.check(same, f"{ep}: documented response example has data keys "
                                  f"{sorted((ex or {}).get('data') or {})}, the code {sorted(resp['data'])}")
    return all_props, own


def source_keys():
    """Every field name the request readers of src/api list (own[], known[], noc_chart_keys[], ...)."""
    names = set()
    api = os.path.join(SOURCE, "src", "api")
    for fn in sorted(os.listdir(api)):
        if not fn.endswith(".c"):
            continue
        text = open(os.path.join(api, fn)).read()
        for body in re.findall(r"const char \*const\s+\w*(?:own|known|keys)\w*\[\]\s*=\s*\{([^}]*)\}", text):
            names.update(re.findall(r'"([a-z_0-9]+)"', body))
    return names


def check_undocumented(c, d, endpoints, all_props, own):
    """Fields documented for other endpoints but not this one draw UNKNOWN_FIELD here, and so does
    an undocumented field inside a nested chart. Names the readers of src/api list but the document
    has nowhere are sent as null (absent to a reader, yet still checked by the unknown-field scan)."""
    b = Builder(d, c)
    paths = d.doc["paths"]
    from_source = source_keys()
    c.check(len(from_source) > 40, f"field names found in src/api: {len(from_source)}")
    for k in sorted(from_source - set(all_props)):
        all_props[k] = (None, {"examples": [None]})
    for n, ep in enumerate(endpoints):
        op = d.resolve(paths.get("/api/v1/" + ep, {})).get("post")
        if op is None or ep not in own:
            continue
        examples = d.request_examples(op)
        if not examples:
            c.check(False, f"{ep}: no request example")
            continue
        base = next(iter(examples.values()))
        foreign = sorted(k for k in all_props if k not in own[ep])
        batch_size = 10
        for start in range(0, len(foreign), batch_size):
            names = foreign[start:start + batch_size]
            body = dict(base)
            for k in names:
                body[k] = b.value(all_props[k][1], k)
            code, resp, err = calc(ep, body)
            c.check(resp is not None and resp.get("success") is True,
                    f"{ep}: fields {names} broke the request: {(resp or {}).get('error')}")
            got = set(unknown_fields(resp))
            c.check(got >= set(names), f"{ep}: undocumented fields read without a warning: "
                                       f"{sorted(set(names) - got)}")
        body = dict(base, not_a_documented_field=1)
        for k, v in base.items():
            if isinstance(v, dict) and "date" in v:
                body[k] = dict(v, not_a_chart_field=1)
        code, resp, err = calc(ep, body)
        got = set(unknown_fields(resp))
        want = {"not_a_documented_field"} | {f"{k}.not_a_chart_field" for k, v in base.items()
                                             if isinstance(v, dict) and "date" in v}
        c.check(got == want, f"{ep}: unknown-field warnings {sorted(got)}, want {sorted(want)}")


# ---- the served document and Swagger UI -------------------------------------------------------


def http_get(url, method="GET", headers=None):
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict((k.lower(), v) for k, v in r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), e.read()


def check_server(c, d):
    import http_harness
    http_harness.arm_timeout(240)
    with http_harness.Server() as srv:
        paths = d.doc["paths"]
        # Every documented path is a route of the server with the documented methods.
        for path in paths:
            url = srv.url(re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path))
            status, headers, _ = http_get(url, "OPTIONS")
            c.check(status == 204, f"OPTIONS {path}: {status}")
            allow = {m.strip().lower() for m in headers.get("allow", "").split(",") if m.strip()}
            item = d.resolve(paths[path])
            documented = {m for m in HTTP_METHODS if m in item}
            if "get" in documented:
                documented.add("head")
            documented.add("options")
            c.check(allow == documented, f"{path}: server allows {sorted(allow)}, documented {sorted(documented)}")
        if "/openapi.json" not in paths:
            return
        status, headers, body = http_get(srv.url("/openapi.json"))
        c.check(status == 200 and headers.get("content-type", "").startswith("application/json"),
                f"/openapi.json: {status} {headers.get('content-type')}")
        try:
            served = json.loads(body)
        except ValueError:
            served = None
        c.check(served == d.doc, "/openapi.json serves docs/openapi.json as built")
        status, headers, body = http_get(srv.url("/docs"))
        text = body.decode(errors="replace")
        ui_dir = os.path.join(SOURCE, "node_modules", "swagger-ui-dist")
        if os.path.isdir(ui_dir):
            c.check(status == 200 and headers.get("content-type", "").startswith("text/html"),
                    f"/docs: {status} {headers.get('content-type')}")
            c.check('id="swagger-ui"' in text, "/docs: the Swagger UI page")
            # Everything the page loads is served: the package's files as they are, and our
            # initializer, which points Swagger UI at /openapi.json.
            refs = re.findall(r'(?:src|href)="([^"]+)"', text)
            c.check("/docs/swagger-ui-bundle.js" in refs and "/docs/swagger-initializer.js" in refs,
                    f"/docs loads the bundle and the initializer: {refs}")
            for ref in refs:
                s, h, b = http_get(srv.url(ref))
                name = ref.rsplit("/", 1)[-1]
                if name == "swagger-initializer.js":
                    c.check(s == 200 and b'url: "/openapi.json"' in b, f"{ref}: {s} {b[:200]}")
                    continue
                want = open(os.path.join(ui_dir, name), "rb").read()
                c.check(s == 200 and b == want, f"{ref}: {s}, {len(b)} bytes of {len(want)}")
                c.check(h.get("content-type", "").split(";")[0] in ("application/javascript", "text/css",
                                                                    "image/png"),
                        f"{ref}: content type {h.get('content-type')}")
            s, h, b = http_get(srv.url("/docs/../package.json"))
            c.check(s == 404, f"/docs/../package.json: {s}")
            s, h, b = http_get(srv.url("/docs/no-such-file.js"))
            c.check(s == 404, f"/docs/no-such-file.js: {s}")
        else:
            c.check(status == 404, f"/docs without swagger-ui-dist: {status}")
    with http_harness.Server(env={"NOCTURNA_SWAGGER_DIR": "/nonexistent/swagger-ui-dist"}) as srv:
        status, headers, body = http_get(srv.url("/docs"))
        c.check(status == 404 and b"swagger-ui-dist" in body, f"/docs with a missing asset dir: {status} {body[:200]}")
        status, headers, body = http_get(srv.url("/openapi.json"))
        c.check(status == 200, f"/openapi.json does not depend on the asset dir: {status}")


def main():
    c = Checks("openapi")
    try:
        with open(DOC_PATH, "rb") as f:
            doc = json.loads(f.read())
    except ValueError as e:
        c.check(False, f"docs/openapi.json is not valid JSON: {e}")
        c.finish()
    d = Doc(doc)
    endpoints = table_endpoints()
    c.check(len(endpoints) >= 30, f"endpoint list from `nocturna calc`: {endpoints}")
    check_document(c, d, endpoints)
    check_routes_in_source(c, d)
    all_props, own = check_fields(c, d, endpoints)
    check_undocumented(c, d, endpoints, all_props, own)
    check_server(c, d)
    c.finish()


if __name__ == "__main__":
    main()
