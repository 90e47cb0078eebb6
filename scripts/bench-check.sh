#!/usr/bin/env bash
# Direct-requirement check speed: ~70 popular projects x 8 targets against the public index (or
# $INDEX_URL), cold (empty cache) and warm (fresh cache), with the number of HTTP requests made.
# Prints figures beside the aims; asserts nothing. Usage: scripts/bench-check.sh [RUNS]
#
# Issue 9 sets no time aim for this set (see bench-interpreters.sh, bench-big.sh, bench.sh); the
# request counts have one: a warm run makes no request, a cold one at most one per project.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cargo build --release --quiet
bin=target/release/wheelwatch
reqs=benches/popular.txt
targets=(--python 3.12@linux --fallback 3.11@linux --target 3.13@linux --target 3.13t@linux
         --target 3.12@linux-aarch64 --target 3.12@musllinux --target 3.12@macos --target 3.12@windows)
extra=()
if "$bin" check --help | grep -q -- '--no-deps'; then extra+=(--no-deps); fi
if [ -n "${INDEX_URL:-}" ]; then extra+=(--index-url "$INDEX_URL"); fi
projects=$(grep -cv '^\s*\(#\|$\)' "$reqs")
echo "projects: $projects, targets: 8, runs: $runs"

ms() { echo $(( ($2 - $1) / 1000000 )); }
measure() { # label, cache-dir, extra args...
  local label=$1 cache=$2; shift 2
  local start end out
  start=$(date +%s%N)
  out=$(WHEELWATCH_CACHE_DIR="$cache" "$bin" check -q "$reqs" "${targets[@]}" "${extra[@]}" --format json "$@" || true)
  end=$(date +%s%N)
  local requests
  requests=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["requests"])')
  local took verdict
  took=$(ms "$start" "$end")
  if [[ $label == warm ]]; then
    if ((requests == 0)); then verdict="aim 0 requests: met"
    else verdict="aim 0 requests: MISSED"; fi
  else
    if ((requests <= projects)); then verdict="aim ≤ $projects requests: met"
    else verdict="aim ≤ $projects requests: MISSED"; fi
  fi
  printf '%-6s %6d ms  %4d requests   %s\n' "$label" "$took" "$requests" "$verdict"
}
for i in $(seq "$runs"); do
  cache=$(mktemp -d)
  measure cold "$cache"
  measure warm "$cache"
  rm -rf "$cache"
done
