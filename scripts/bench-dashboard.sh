#!/usr/bin/env bash
# Dashboard generation speed and size: fills a fresh SQLite store with hourly runs of a
# synthetic project (`history bench-fill`: default 10,000 runs x 6 targets x 50 packages, with
# outages, fallbacks and promotions), then times `wheelwatch dashboard` over it and prints the
# page's size beside the aims (<= 1 s, <= ~1 MB). Also prints the figures for a year of hourly
# runs (8,760). Prints figures; asserts nothing.
# Usage: scripts/bench-dashboard.sh [RUNS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000}
repeats=${2:-3}
cargo build --release --quiet
bin=$PWD/target/release/wheelwatch
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ms() { echo $(( ($2 - $1) / 1000000 )); }
bench() { # runs
  local n=$1 dir="$work/runs-$1"
  mkdir -p "$dir"
  (cd "$dir" && "$bin" -q history bench-fill --runs "$n")
  local best=""
  for _ in $(seq "$repeats"); do
    local start end t
    start=$(date +%s%N)
    (cd "$dir" && "$bin" -q dashboard -o dashboard.html)
    end=$(date +%s%N)
    t=$(ms "$start" "$end")
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  local bytes
  bytes=$(wc -c < "$dir/dashboard.html")
  printf '%6d runs: generated in %5d ms (best of %d; aim <= 1000 ms), %8d bytes = %4d KiB (aim <= ~1024 KiB)\n' \
    "$n" "$best" "$repeats" "$bytes" $(( bytes / 1024 ))
}
bench "$runs"
if [ "$runs" != 8760 ]; then bench 8760; fi
