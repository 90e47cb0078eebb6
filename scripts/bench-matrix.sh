#!/usr/bin/env bash
# `wheelwatch matrix` for 30 packages × 6 Pythons × 4 platforms (24 targets) in one run, cold
# (empty cache) and warm: wall time, peak RSS and page requests beside the aim (cold ≤ 3 s on a
# 2-core machine with the public index).
#
# By default the index is scripts/synthetic-index.py on 127.0.0.1 (PROJECTS generated projects
# shaped like the public index's popular ones, LATENCY_MS per request; no network) and the 30
# packages are the first 30 of its pinned set. PUBLIC=1 runs the first 30 projects of
# benches/popular.txt (unpinned) against the public index (or INDEX_URL) instead: a few runs
# only, please. TREE=1 adds --tree (rows for the whole dependency tree).
#
#   cargo build --release && scripts/bench-matrix.sh
#   PUBLIC=1 scripts/bench-matrix.sh
set -euo pipefail

WW=${WW:-target/release/wheelwatch}
PROJECTS=${PROJECTS:-300}
LATENCY_MS=${LATENCY_MS:-30}
PYTHON=${PYTHON:-python3}
PYTHONS=${PYTHONS:-3.10,3.11,3.12,3.13,3.14,3.14t}
PLATFORMS=${PLATFORMS:-linux,linux-aarch64,macos,windows}
if [[ ! -x "$WW" ]]; then
  echo "no wheelwatch binary at $WW: run cargo build --release (or set WW)" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

stats=
if [[ -n "${PUBLIC:-}" ]]; then
  grep -v '^\s*\(#\|$\)' "$root/benches/popular.txt" | head -30 > "$work/reqs.txt"
  index=${INDEX_URL:-}
  what="30 projects of benches/popular.txt on ${INDEX_URL:-the public index}"
else
  "$PYTHON" "$root/scripts/synthetic-index.py" --projects "$PROJECTS" --latency-ms "$LATENCY_MS" \
    --write-requirements "$work/pins.txt" > "$work/server.out" 2> "$work/server.err" &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q serving "$work/server.out" 2> /dev/null && break
    sleep 0.1
  done
  index=$(sed -n 's/^serving //p' "$work/server.out")
  [[ -n "$index" ]] || { cat "$work/server.err" >&2; exit 1; }
  head -30 "$work/pins.txt" > "$work/reqs.txt"
  stats=${index%/simple/}/_stats
  what="30 of $PROJECTS synthetic projects, $LATENCY_MS ms per request"
fi
index_args=()
[[ -n "$index" ]] && index_args=(--index-url "$index")
tree_args=()
[[ -n "${TREE:-}" ]] && tree_args=(--tree)

requests() {
  [[ -n "$stats" ]] || { echo "-"; return; }
  "$PYTHON" -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["requests"])' "$stats"
}

run_ww() {
  local label=$1 before after
  before=$(requests)
  /usr/bin/time -f '%e %M' -o "$work/time" "$WW" matrix -r "$work/reqs.txt" \
    --pythons "$PYTHONS" --platforms "$PLATFORMS" --format json --cache-dir "$work/cache" \
    "${tree_args[@]}" "${index_args[@]}" > "$work/matrix.json" 2> "$work/err" \
    || { cat "$work/err" >&2; return 1; }
  after=$(requests)
  read -r secs kb < "$work/time"
  local cells
  cells=$("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(sum(len(r["cells"]) for r in m["rows"]))' "$work/matrix.json")
  local made="-"
  [[ "$before" != "-" ]] && made=$((after - before))
  printf '%-18s %8.2f s %8d MB %8s requests %6s cells\n' "$label" "$secs" $((kb / 1024)) "$made" "$cells"
}

echo "$what; Pythons $PYTHONS × platforms $PLATFORMS${TREE:+, whole tree}"
echo "aim: cold ≤ 3 s (2 cores, public index)"
run_ww "matrix cold"
run_ww "matrix warm"
