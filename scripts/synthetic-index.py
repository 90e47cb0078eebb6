#!/usr/bin/env python3
"""A synthetic, realistic Simple-API index on 127.0.0.1 for benchmarking big pinned sets.

Serves PEP 691 JSON project pages and PEP 658 `.metadata` files for N generated projects, with
a fixed latency per request (as a distant index has). Shapes follow the public index's popular
projects: a lognormal number of releases (median ~25, some with hundreds), a quarter of the
projects with native wheels (CPython 3.8-3.13 × 7 platforms, the newest Pythons only on newer
releases) and the rest pure-Python (one `py3-none-any` wheel), an sdist per release, and a
dependency DAG (each project requires 0-6 earlier projects with `>=` specifiers). Deterministic
for a seed. Standard library only.

    scripts/synthetic-index.py --projects 800 --latency-ms 30 --port 0 \
        --write-requirements pins.txt   # prints "serving http://127.0.0.1:PORT/simple/" then serves

`--write-requirements` writes every project pinned to its newest release (`name==version`), the
way a frozen application constraints file looks. Counts requests and prints them on SIGTERM/^C
to stderr; `GET /_stats` answers them as JSON.
"""

import argparse
import hashlib
import json
import random
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PLATFORMS = [
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "macosx_10_9_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
    "win32",
]
PYTHONS = ["38", "39", "310", "311", "312", "313"]
WORDS = ["py", "lib", "core", "data", "net", "cloud", "async", "json", "http", "auth", "test",
         "log", "conf", "util", "api", "sql", "xml", "yaml", "crypto", "image", "text", "time"]


def generate(n, seed):
    rng = random.Random(seed)
    projects = []
    for i in range(n):
        name = "%s-%s-%d" % (rng.choice(WORDS), rng.choice(WORDS), i)
        releases = max(1, min(400, int(rng.lognormvariate(3.2, 1.0))))
        native = rng.random() < 0.25
        versions = []
        major, minor, patch = rng.randint(0, 3), 0, 0
        for _ in range(releases):
            r = rng.random()
            if r < 0.1:
                major, minor, patch = major + 1, 0, 0
            elif r < 0.45:
                minor, patch = minor + 1, 0
            else:
                patch += 1
            versions.append("%d.%d.%d" % (major, minor, patch))
        deps = []
        if i > 0:
            for _ in range(rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 6])):
                j = rng.randrange(0, i)
                deps.append(j)
        projects.append({"name": name, "versions": versions, "native": native,
                         "deps": sorted(set(deps))})
    return projects


def files_of(project, index):
    name = project["name"].replace("-", "_")
    out = []
    count = len(project["versions"])
    for k, version in enumerate(project["versions"]):
        # Newer releases support newer Pythons: a sliding window of 4-5 of them.
        lo = min(len(PYTHONS) - 4, (k * len(PYTHONS)) // max(1, count))
        pythons = PYTHONS[lo:lo + 5]
        wheels = []
        if project["native"]:
            for py in pythons:
                for plat in PLATFORMS:
                    wheels.append("%s-%s-cp%s-cp%s-%s.whl" % (name, version, py, py, plat))
        else:
            wheels.append("%s-%s-py3-none-any.whl" % (name, version))
        for fname in wheels + ["%s-%s.tar.gz" % (name, version)]:
            digest = hashlib.sha256(fname.encode()).hexdigest()
            out.append({
                "filename": fname,
                "url": "../../files/%d/%s" % (index, fname),
                "hashes": {"sha256": digest},
                "requires-python": ">=3.%s" % pythons[0][1:],
                "core-metadata": not fname.endswith(".tar.gz"),
                "size": 40000 + (int(digest[:6], 16) % 9000000),
                "upload-time": "2024-01-01T00:00:00.000000Z",
                "yanked": False,
            })
    return out


def metadata_of(projects, index, version):
    p = projects[index]
    lines = ["Metadata-Version: 2.1", "Name: %s" % p["name"], "Version: %s" % version,
             "Summary: a synthetic project", "Requires-Python: >=3.8"]
    for d in p["deps"]:
        dep = projects[d]
        lines.append("Requires-Dist: %s>=%s" % (dep["name"], dep["versions"][0]))
    return ("\n".join(lines) + "\n\n").encode()


class State:
    def __init__(self, projects, latency):
        self.projects = projects
        self.by_name = {p["name"]: i for i, p in enumerate(projects)}
        self.latency = latency
        self.pages = {}
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0

    def page(self, index):
        with self.lock:
            cached = self.pages.get(index)
        if cached is None:
            p = self.projects[index]
            cached = json.dumps({
                "meta": {"api-version": "1.1"},
                "name": p["name"],
                "versions": p["versions"],
                "files": files_of(p, index),
            }).encode()
            with self.lock:
                self.pages[index] = cached
        return cached


def handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send(self, status, body, ctype):
            with state.lock:
                state.requests += 1
                state.bytes += len(body)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            time.sleep(state.latency)
            path = self.path.split("?")[0]
            if path == "/_stats":
                body = json.dumps({"requests": state.requests, "bytes": state.bytes}).encode()
                return self.send(200, body, "application/json")
            parts = [x for x in path.split("/") if x]
            if parts == ["simple"]:
                return self.send(200, b"<html></html>", "text/html")
            if len(parts) == 2 and parts[0] == "simple":
                want = parts[1].lower().replace("_", "-").replace(".", "-")
                index = state.by_name.get(want)
                if index is None:
                    return self.send(404, b"not found", "text/plain")
                return self.send(200, state.page(index), "application/vnd.pypi.simple.v1+json")
            if len(parts) == 3 and parts[0] == "files" and parts[2].endswith(".metadata"):
                index = int(parts[1])
                version = parts[2].split("-")[1]
                return self.send(200, metadata_of(state.projects, index, version), "text/plain")
            return self.send(404, b"not found", "text/plain")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=800)
    ap.add_argument("--latency-ms", type=float, default=30.0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--write-requirements")
    args = ap.parse_args()
    projects = generate(args.projects, args.seed)
    if args.write_requirements:
        with open(args.write_requirements, "w") as f:
            for p in projects:
                f.write("%s==%s\n" % (p["name"], p["versions"][-1]))
    state = State(projects, args.latency_ms / 1000.0)
    # Every page is built before serving, so that no request pays for generating one.
    for i in range(len(projects)):
        state.page(i)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(state))
    server.daemon_threads = True

    def stop(*_):
        sys.stderr.write("synthetic index: %d requests, %d bytes\n" % (state.requests, state.bytes))
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    files = sum(len(files_of(p, i)) for i, p in enumerate(projects))
    size = sum(len(page) for page in state.pages.values())
    sys.stderr.write("synthetic index: %d projects, %d files, %d MB of pages\n"
                     % (len(projects), files, size // 1000000))
    print("serving http://127.0.0.1:%d/simple/" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
