#!/usr/bin/env python3
"""Records, from the public index, what assessing a pinned requirement set needs, so tests can
replay it offline (tests/it/common/recorded.rs serves it from the local test index).

How: a small recording proxy on 127.0.0.1 stands between wheelwatch and the public index, and
wheelwatch itself assesses the set (`check` on many Python × platform targets, and `matrix` and
`plan` when the binary has them). Whatever it fetches is what the tests will need:

  pages/<name>.json       the project's PEP 691 JSON page (the whole dependency tree's projects)
  metadata/<file>.metadata
                          the core metadata of every distribution file the resolver read (PEP 658
                          `.metadata`; for files without one, the METADATA / PKG-INFO read from
                          the file itself, as tests/fixtures/metadata/fetch.py does), plus
                          the newest release of every project (the resolver's speculative
                          walk may ask for it, depending on timing)

Trimming, to keep the fixture small (the public pages of this tree are ~10 MB):
  - every version the resolver read is kept, with all its files;
  - for a project the requirement file names, every final release from the oldest one read
    (normally the pin) on; for the other projects of the tree, the NEWEST newest final releases;
    older versions and pre-releases (a, b, rc, dev) are dropped;
  - per file only `filename`, `url`, `requires-python`, `yanked`, `size` and `upload-time` are
    kept; `hashes` is left empty (`{}`), URLs become `https://files.invalid/<filename>`, and
    `core-metadata` is set (with its sha256) on exactly the files whose metadata is recorded
    (the index serves `.metadata` for them whether or not the public index had one);
  - one file per line, so a refresh diffs well;
  - metadata files keep their headers only (no description: the resolver reads none of it).
The registry's host names are rewritten to the `.invalid` placeholders the metadata corpus uses
(`index.invalid`, `files.invalid`; see tests/fixtures/metadata/fetch.py): file URLs become
`https://files.invalid/<path>`, and metadata texts are masked the same way (their sha256 in the
page is recomputed after masking).

Run from anywhere, with Python 3.8+, network access and a built wheelwatch
(WHEELWATCH=path, else the newest of target/release and target/debug):

    python3 scripts/record-index.py                          # examples/runbook-2023.txt
    python3 scripts/record-index.py REQS.txt OUT_DIR

The output directory is replaced whole. The index is the one constant in src/index/mod.rs.
"""

import concurrent.futures
import hashlib
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests/fixtures/metadata"))
import fetch as corpus  # noqa: E402  (mask_hosts, metadata_by_ranges, pkg_info_from_stream)

ACCEPT = "application/vnd.pypi.simple.v1+json"
NEWEST = 3
PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15", "3.13t", "3.14t", "3.15t"]
PLATFORMS = ["linux", "linux-aarch64", "macos", "windows", "macos-x86_64", "musllinux"]
KEPT_FIELDS = ("filename", "url", "hashes", "requires-python", "yanked", "core-metadata", "size",
               "upload-time")


class Recording:
    def __init__(self, index):
        self.index = index
        self.lock = threading.Lock()
        self.pages = {}  # name -> page JSON (as the index sent it)
        self.metadata = {}  # file path on the file host -> bytes
        self.ranged = set()  # file paths read by range requests (no `.metadata` answer)
        self.file_host = None


def make_handler(rec, port_box):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body, headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            path = urllib.parse.urlsplit(self.path).path
            base = f"http://127.0.0.1:{port_box[0]}"
            try:
                if path.startswith("/simple/"):
                    name = path[len("/simple/"):].strip("/")
                    with rec.lock:
                        page = rec.pages.get(name)
                    if page is None:
                        try:
                            page = json.load(corpus.get(f"{rec.index}{name}/", ACCEPT))
                        except urllib.error.HTTPError as err:
                            return self.reply(err.code, b"")
                        with rec.lock:
                            rec.pages[name] = page
                    served = dict(page)
                    served["files"] = []
                    for f in page["files"]:
                        parts = urllib.parse.urlsplit(f["url"])
                        rec.file_host = parts.hostname
                        served["files"].append(dict(f, url=f"{base}/files{parts.path}"))
                    body = json.dumps(served).encode()
                    return self.reply(200, body, [("Content-Type", ACCEPT)])
                if path.startswith("/files/"):
                    remote = path[len("/files"):]
                    url = f"https://{rec.file_host}{remote}"
                    headers = {}
                    if self.headers.get("Range"):
                        headers["Range"] = self.headers["Range"]
                        with rec.lock:
                            rec.ranged.add(remote)
                    req = urllib.request.Request(url, headers=headers, method=self.command)
                    try:
                        with urllib.request.urlopen(req, timeout=120) as resp:
                            body = resp.read()
                            status = resp.status
                            keep = [(k, v) for k, v in resp.headers.items()
                                    if k.lower() in ("content-type", "content-range",
                                                     "accept-ranges")]
                    except urllib.error.HTTPError as err:
                        return self.reply(err.code, b"")
                    if remote.endswith(".metadata") and status == 200:
                        with rec.lock:
                            rec.metadata[remote[: -len(".metadata")]] = body
                    return self.reply(status, body, keep)
                return self.reply(404, b"")
            except Exception as exc:  # noqa: BLE001 - the tool sees a 502 and says so
                print(f"proxy: {self.path}: {exc!r}", file=sys.stderr)
                return self.reply(502, b"")

    return Handler


def wheelwatch():
    if os.environ.get("WHEELWATCH"):
        return os.environ["WHEELWATCH"]
    found = [p for p in (ROOT / "target/release/wheelwatch", ROOT / "target/debug/wheelwatch")
             if p.exists()]
    if not found:
        sys.exit("no wheelwatch binary: run `cargo build --release` or set WHEELWATCH")
    return str(max(found, key=lambda p: p.stat().st_mtime))


def runs(binary, reqs):
    """The wheelwatch invocations whose fetches are recorded."""
    targets = [f"{py}@{plat}" for py in PYTHONS for plat in PLATFORMS]
    check = ["check", "-r", reqs, "--python", "3.11@linux", "--fallback", "3.12@linux",
             "--format", "json"]
    for t in targets:
        check += ["--target", t]
    out = [check]
    commands = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    if re.search(r"^\s+matrix\b", commands, re.M):
        out.append(["matrix", "-r", reqs, "--tree", "--pythons", ",".join(PYTHONS),
                    "--platforms", ",".join(PLATFORMS), "--format", "json"])
    if re.search(r"^\s+plan\b", commands, re.M):
        for py in PYTHONS:
            for plat in PLATFORMS:
                out.append(["plan", "-r", reqs, "--to", f"{py}@{plat}", "--format", "json"])
    return out


def headers_only(data):
    """Core metadata without its description (the body, and a `Description:` header with its
    continuation lines): the resolver reads headers only, and descriptions are most of the size."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        if sep in data:
            data = data.split(sep, 1)[0] + sep[: len(sep) // 2]
            break
    out, skipping = [], False
    for line in data.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith(b"description:")
        if not skipping:
            out.append(line)
    return b"".join(out)


def masked(data, index, file_host):
    corpus.FILE_HOST[:] = [file_host]
    return corpus.mask_hosts(data, index)


def file_version(filename, name):
    return corpus.version_of(filename, name)


def is_prerelease(version):
    return re.search(r"(a|b|rc|dev|alpha|beta|c)[0-9]*", version.lower()) is not None


def main():
    args = sys.argv[1:]
    reqs = pathlib.Path(args[0] if args else ROOT / "examples/runbook-2023.txt").resolve()
    out = pathlib.Path(args[1] if len(args) > 1 else
                       ROOT / "tests/fixtures/index/runbook-2023").resolve()
    index = corpus.index_url()
    rec = Recording(index)
    port_box = [0]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(rec, port_box))
    port_box[0] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    binary = wheelwatch()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PIP_", "WHEELWATCH_"))}
        env.update(WHEELWATCH_CACHE_DIR=str(pathlib.Path(tmp) / "cache"), NO_COLOR="1")
        for argv in runs(binary, str(reqs)):
            argv = [binary, *argv, "--index-url", f"http://127.0.0.1:{port_box[0]}/simple/"]
            done = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True)
            print(f"{' '.join(argv[1:3])} …: exit {done.returncode}", flush=True)
            if done.returncode not in (0, 1):
                print(done.stderr, file=sys.stderr)
                sys.exit(f"wheelwatch failed (exit {done.returncode})")
    server.shutdown()

    file_host = rec.file_host
    # Files read by ranges had no `.metadata`: read their metadata the corpus script's way.
    for remote in sorted(rec.ranged - set(rec.metadata)):
        if remote.endswith(".metadata"):
            continue
        url = f"https://{file_host}{remote}"
        filename = remote.rsplit("/", 1)[1]
        if filename.endswith(".whl"):
            rec.metadata[remote] = corpus.metadata_by_ranges(url)
        else:
            name = filename.split("-")[0]
            found = corpus.pkg_info_from_stream(name, corpus.get(url), filename)
            if found:
                rec.metadata[remote] = found[1]
        print(f"read metadata of {filename} from the file itself", flush=True)

    # The resolver's speculative walk may ask, depending on timing, for the newest release of
    # any project in the tree: record that too (the file the client picks: the first wheel by
    # name, else the sdist; it will carry `core-metadata` in the recorded page).
    def newest_file(name, page):
        finals = [v for f in page["files"]
                  if (v := file_version(f["filename"], name)) and not is_prerelease(v)]
        if not finals:
            return None
        newest = max(finals, key=corpus.vkey)
        files = [f for f in page["files"] if file_version(f["filename"], name) == newest]
        live = [f for f in files if not f.get("yanked")] or files
        live.sort(key=lambda f: (not f["filename"].endswith(".whl"), f["filename"]))
        return live[0]

    def fetch_newest(item):
        name, page = item
        f = newest_file(name, page)
        if f is None:
            return None
        remote = urllib.parse.urlsplit(f["url"]).path
        if remote in rec.metadata:
            return None
        versions = {file_version(g["filename"], name) for g in page["files"]
                    if urllib.parse.urlsplit(g["url"]).path in rec.metadata}
        if file_version(f["filename"], name) in versions:
            return None  # that version's metadata is recorded on another of its files
        url = f"https://{file_host}{remote}"
        try:
            data = corpus.get(url + ".metadata").read()
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise
            if f["filename"].endswith(".whl"):
                data = corpus.metadata_by_ranges(url)
            else:
                found = corpus.pkg_info_from_stream(name, corpus.get(url), f["filename"])
                data = found[1] if found else None
        return (remote, data) if data else None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for got in pool.map(fetch_newest, sorted(rec.pages.items())):
            if got:
                rec.metadata[got[0]] = got[1]
                print(f"recorded the newest release's metadata: {got[0].rsplit('/', 1)[1]}",
                      flush=True)

    if out.exists():
        shutil.rmtree(out)
    (out / "pages").mkdir(parents=True)
    (out / "metadata").mkdir()
    read = {remote.rsplit("/", 1)[1] for remote in rec.metadata}
    direct = {corpus.canonical(re.split(r"[\s=<>!~;\[]", line.strip(), maxsplit=1)[0])
              for line in reqs.read_text().splitlines()
              if line.strip() and not line.strip().startswith(("#", "-"))}
    total = 0
    for name, page in sorted(rec.pages.items()):
        own = [f for f in read if corpus.canonical(f.split("-")[0]) == name
               or file_version(f, name) and not f.endswith(".whl")]
        needed = {file_version(f, name) for f in own} - {None}
        finals = sorted({v for f in page["files"]
                         if (v := file_version(f["filename"], name)) and not is_prerelease(v)},
                        key=corpus.vkey)
        lowest = min(needed, key=corpus.vkey) if needed else finals[-1] if finals else None
        if name in direct:
            # every final release from the oldest one read (the pin) on
            kept = {v for v in finals if lowest and corpus.vkey(v) >= corpus.vkey(lowest)}
        else:
            kept = set(finals[-NEWEST:])
        kept |= needed
        files = []
        for f in page["files"]:
            if file_version(f["filename"], name) not in kept:
                continue
            entry = {k: f[k] for k in KEPT_FIELDS if k in f}
            entry["url"] = f"https://files.invalid/{f['filename']}"
            entry["hashes"] = {}
            entry.pop("core-metadata", None)
            remote = urllib.parse.urlsplit(f["url"]).path
            if remote in rec.metadata:
                data = masked(headers_only(rec.metadata[remote]), index, file_host)
                (out / "metadata" / f"{f['filename']}.metadata").write_bytes(data)
                total += len(data)
                entry["core-metadata"] = {"sha256": hashlib.sha256(data).hexdigest()}
            files.append(entry)
        versions = sorted({file_version(f["filename"], name) for f in files} - {None},
                          key=corpus.vkey)
        lines = [json.dumps(f, sort_keys=True) for f in files]
        text = ('{"meta": ' + json.dumps(page.get("meta", {}), sort_keys=True)
                + ', "name": ' + json.dumps(page["name"])
                + ', "versions": ' + json.dumps(versions)
                + ', "files": [\n' + ",\n".join(lines) + "\n]}\n")
        data = masked(text.encode(), index, file_host)
        (out / "pages" / f"{name}.json").write_bytes(data)
        total += len(data)
        print(f"{name}: {len(files)} of {len(page['files'])} files kept", flush=True)
    print(f"{len(rec.pages)} pages, {len(rec.metadata)} metadata files, {total} bytes in {out}")


if __name__ == "__main__":
    main()
