#!/usr/bin/env bash
# The history store's figures, printed beside their aims (issue 11 §4):
#
#   1. recording cost on a warm check: what `check --record` spends opening the store and
#      writing the run (wheelwatch measures it and logs it at -v), aim ≤ 5 ms, on 50 pinned
#      projects × 6 targets from scripts/synthetic-index.py (no network), plus the wall-time
#      difference of `check` with and without `--record`;
#   2. `history summary` and `history diff` over 10,000 runs × 50 packages × 6 targets (made by
#      the hidden `history bench-fill`), aim ≤ 200 ms each (median of 5, whole process);
#   3. the store's size for those runs.
#
# For SQLite always; for PostgreSQL too when a URL is given (first argument, or
# WHEELWATCH_TEST_PG; scripts/test-postgres.sh starts a throwaway cluster):
#
#   cargo build --release && scripts/bench-history.sh
#   scripts/bench-history.sh "$(scripts/test-postgres.sh)"
#   PARTS=record scripts/bench-history.sh "$PG"   # only 1. (PARTS=figures: only 2. and 3.)
#
# The recording cost is the wall time recording adds: the store is opened (connected,
# authenticated, its schema checked, the run's statement prepared) on a thread of its own while
# the assessment runs, so the cost is the wait for that, if any, plus writing the run.
set -euo pipefail

WW=${WW:-target/release/wheelwatch}
RUNS=${RUNS:-10000}
PACKAGES=${PACKAGES:-50}
TARGETS=${TARGETS:-6}
REPEAT=${REPEAT:-20}
PYTHON=${PYTHON:-python3}
PARTS=${PARTS:-record,figures}
PG=${1:-${WHEELWATCH_TEST_PG:-}}
if [[ ! -x "$WW" ]]; then
  echo "no wheelwatch binary at $WW: run cargo build --release (or set WW)" >&2
  exit 2
fi
WW=$(cd "$(dirname "$WW")" && pwd)/$(basename "$WW")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=
pg_db=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2> /dev/null || true
  if [[ -n "$pg_db" ]]; then
    psql -q "$PG" -c "DROP DATABASE IF EXISTS $pg_db" > /dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

ms() { date +%s%N; }
# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# max of the numbers on stdin
maximum() { sort -g | tail -n 1; }
verdict() { awk -v v="$1" -v aim="$2" 'BEGIN { print (v <= aim) ? "ok" : "MISSED" }'; }
size_of() { du -cb "$@" 2> /dev/null | tail -n 1 | awk '{printf "%.1f MB", $1 / 1e6}'; }

# Times `wheelwatch ARGS` run in DIR, N times; prints the median in ms.
time_median() {
  local dir=$1 n=$2
  shift 2
  for _ in $(seq "$n"); do
    local t0 t1
    t0=$(ms)
    (cd "$dir" && "$WW" "$@" > /dev/null)
    t1=$(ms)
    echo $(((t1 - t0) / 1000)) | awk '{printf "%.1f\n", $1 / 1000}'
  done | median
}

# --- 1. Recording cost on a warm check -----------------------------------------------------
"$PYTHON" "$root/scripts/synthetic-index.py" --projects "$PACKAGES" --latency-ms 0 \
  --write-requirements "$work/pins.txt" > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
for _ in $(seq 100); do
  grep -q serving "$work/server.out" 2> /dev/null && break
  sleep 0.1
done
index=$(sed -n 's/^serving //p' "$work/server.out")
[[ -n "$index" ]] || { cat "$work/server.err" >&2; exit 1; }

record_cost() ( # store-url-or-empty label (a subshell: the store is exported for it only)
  local store=$1 label=$2 dir="$work/check-$2"
  if [[ -n "$store" ]]; then export WHEELWATCH_STORE="$store"; else unset WHEELWATCH_STORE; fi
  mkdir -p "$dir"
  cp "$work/pins.txt" "$dir/requirements.txt"
  local args=(check -r requirements.txt --index-url "$index" --cache-dir "$work/cache"
    --python 3.12@linux --fallback 3.11@linux --target 3.13@linux --target 3.12@linux-aarch64
    --target 3.12@macos --target 3.12@windows --format json)
  # Warm the cache (and the store's schema).
  (cd "$dir" && "$WW" "${args[@]}" --record > /dev/null 2>&1) || true
  for _ in $(seq "$REPEAT"); do
    (cd "$dir" && RUST_LOG=wheelwatch=debug "$WW" "${args[@]}" --record 2>&1 > /dev/null) |
      sed -n 's/.*recorded run [0-9]* (check) in \([0-9.]*\) ms.*/\1/p'
  done > "$dir/costs"
  local med max plain recorded
  med=$(median < "$dir/costs")
  max=$(maximum < "$dir/costs")
  # Alternated, so that a load that changes while they run weighs on both alike.
  for _ in $(seq "$REPEAT"); do
    time_median "$dir" 1 "${args[@]}" >> "$dir/plain"
    time_median "$dir" 1 "${args[@]}" --record >> "$dir/recorded"
  done
  plain=$(median < "$dir/plain")
  recorded=$(median < "$dir/recorded")
  printf '%-10s recording cost, warm check (%s pins x 6 targets): median %s ms, max %s ms  (aim <= 5 ms: %s)\n' \
    "$label" "$PACKAGES" "$med" "$max" "$(verdict "$med" 5)"
  printf '%-10s   warm check wall time: %s ms without --record, %s ms with (medians of %s, alternated)\n' \
    "$label" "$plain" "$recorded" "$REPEAT"
)

# --- 2./3. summary, diff and size over RUNS runs ---------------------------------------------
history_figures() ( # store-url-or-empty label (a subshell, as above)
  local store=$1 label=$2 dir="$work/fill-$2"
  mkdir -p "$dir"
  if [[ -n "$store" ]]; then export WHEELWATCH_STORE="$store"; else unset WHEELWATCH_STORE; fi
  local t0 t1
  t0=$(ms)
  (cd "$dir" && "$WW" -q history bench-fill --runs "$RUNS" --packages "$PACKAGES" --targets "$TARGETS")
  t1=$(ms)
  local fill=$(((t1 - t0) / 1000000))
  local summary diff diff_far first last
  summary=$(time_median "$dir" 5 history summary)
  diff=$(time_median "$dir" 5 history diff)
  first=$(cd "$dir" && "$WW" history list --format json | "$PYTHON" -c 'import json,sys; r=[x["id"] for x in json.load(sys.stdin) if x["result"]=="ok"]; print(r[-1], r[0])')
  # shellcheck disable=SC2086 # two run ids
  diff_far=$(time_median "$dir" 5 history diff $first)
  local size
  if [[ -z "$store" ]]; then
    size="$(size_of "$dir"/.wheelwatch/history.sqlite*) (SQLite file and WAL)"
  else
    size=$(psql -qAt "$store" -c "SELECT pg_size_pretty(pg_database_size(current_database()))" 2> /dev/null || echo "unknown (psql not found)")
    size="$size (the whole benchmark database)"
  fi
  printf '%-10s %s runs x %s packages x %s targets generated in %s ms\n' "$label" "$RUNS" "$PACKAGES" "$TARGETS" "$fill"
  printf '%-10s   history summary: %s ms  (aim <= 200 ms: %s)\n' "$label" "$summary" "$(verdict "$summary" 200)"
  printf '%-10s   history diff (last two runs): %s ms  (aim <= 200 ms: %s)\n' "$label" "$diff" "$(verdict "$diff" 200)"
  printf '%-10s   history diff (first and last runs): %s ms  (aim <= 200 ms: %s)\n' "$label" "$diff_far" "$(verdict "$diff_far" 200)"
  printf '%-10s   store size: %s\n' "$label" "$size"
)

echo "wheelwatch $("$WW" --version | awk '{print $2}'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the figures assume a quiet machine)"
[[ $PARTS == *record* ]] && record_cost "" sqlite
[[ $PARTS == *figures* ]] && history_figures "" sqlite
if [[ -n "$PG" ]]; then
  pg_db="ww_bench_$$"
  psql -q "$PG" -c "CREATE DATABASE $pg_db" > /dev/null
  pg_url="${PG%/*}/$pg_db"
  [[ $PARTS == *record* ]] && record_cost "$pg_url" postgres
  [[ $PARTS == *figures* ]] && history_figures "$pg_url" postgres
else
  echo "postgres   skipped: no URL (scripts/bench-history.sh \"\$(scripts/test-postgres.sh)\")"
fi
