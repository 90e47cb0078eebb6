#!/usr/bin/env bash
# A big pinned set on 4 targets: time, HTTP requests and peak RSS, cold (empty cache) and warm,
# beside the aims (cold faster than uv on the same targets, peak RSS ≤ 300 MB, warm ≤ 1 s).
#
# By default the index is scripts/synthetic-index.py on 127.0.0.1 (800 generated projects shaped
# like the public index's popular ones, 30 ms per request; no network), pinned to their newest
# releases. With REQUIREMENTS=FILE (and INDEX_URL, default the public index) it runs on a real
# pinned file instead: a few runs only, please.
#
#   cargo build --release && scripts/bench-big.sh
#   PROJECTS=800 LATENCY_MS=30 scripts/bench-big.sh
#   REQUIREMENTS=constraints.txt INDEX_URL=https://mirror.example/simple/ scripts/bench-big.sh
#
# uv (UV=path, else `uv` on PATH when it runs) does the same file once per target
# (`uv pip compile --only-binary :all:`). The warm run is repeated WARM_RUNS times (default 3);
# the median wall time is compared with the aim.
set -euo pipefail

WW=${WW:-target/release/wheelwatch}
PROJECTS=${PROJECTS:-800}
LATENCY_MS=${LATENCY_MS:-30}
PYTHON=${PYTHON:-python3}
WARM_RUNS=${WARM_RUNS:-3}
UV=${UV:-uv}
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

# wheelwatch target | uv --python-version | uv --python-platform
TARGETS=(
  "3.12@linux|3.12|x86_64-manylinux_2_28"
  "3.11@linux|3.11|x86_64-manylinux_2_28"
  "3.12@linux-aarch64|3.12|aarch64-manylinux_2_28"
  "3.12@macos|3.12|aarch64-apple-darwin"
)

if [[ -n "${REQUIREMENTS:-}" ]]; then
  cp "$REQUIREMENTS" "$work/pins.txt"
  index=${INDEX_URL:-}
  what="$(grep -cv '^\s*\(#\|$\)' "$work/pins.txt") pins from $REQUIREMENTS"
else
  "$PYTHON" "$root/scripts/synthetic-index.py" --projects "$PROJECTS" --latency-ms "$LATENCY_MS" \
    --write-requirements "$work/pins.txt" > "$work/server.out" 2> "$work/server.err" &
  server_pid=$!
  # It builds every page before serving: seconds, or a minute on a loaded machine.
  for _ in $(seq 1800); do
    grep -q serving "$work/server.out" 2> /dev/null && break
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  index=$(sed -n 's/^serving //p' "$work/server.out")
  [[ -n "$index" ]] || { cat "$work/server.err" >&2; exit 1; }
  what="$PROJECTS synthetic projects pinned, $LATENCY_MS ms per request ($(head -1 "$work/server.err" | sed 's/.*: //'))"
fi
index_args=()
[[ -n "$index" ]] && index_args=(--index-url "$index")

ww_args=(check -r "$work/pins.txt" --format json --threshold 0 --cache-dir "$work/cache")
first=1
for t in "${TARGETS[@]}"; do
  name=${t%%|*}
  if ((first)); then ww_args+=(--python "$name"); first=0; else ww_args+=(--target "$name"); fi
done

# run LABEL CMD...: wall seconds and peak RSS (MB) of CMD, with requests from its JSON report.
run_ww() {
  local label=$1
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$WW" "${ww_args[@]}" "${index_args[@]}" \
    > "$work/report.json" 2> "$work/err" || [[ $? -eq 1 ]] || { cat "$work/err" >&2; return 1; }
  # The last line: /usr/bin/time says first when the command exited non-zero.
  read -r secs kb user sys < <(tail -n 1 "$work/time")
  cpu=$(echo "$user + $sys" | bc)
  local requests
  requests=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["requests"])' "$work/report.json")
  printf '%-22s %8.2f s %8d MB %8s requests  (%.2f s CPU)\n' "$label" "$secs" $((kb / 1024)) \
    "$requests" "$cpu"
  echo "$secs $((kb / 1024)) $cpu" > "$work/last"
}

run_uv() {
  local label=$1 total=0 peak=0
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r _ py platform <<< "$t"
    /usr/bin/time -f '%e %M' -o "$work/time" "$UV" pip compile --quiet --no-python-downloads \
      --only-binary :all: --python-version "$py" --python-platform "$platform" \
      --cache-dir "$work/uv-cache" "${index_args[@]}" "$work/pins.txt" -o /dev/null 2> "$work/err" \
      || true
    read -r secs kb < <(tail -n 1 "$work/time")
    total=$(echo "$total + $secs" | bc)
    ((kb > peak)) && peak=$kb
  done
  printf '%-22s %8.2f s %8d MB %8s\n' "$label" "$total" $((peak / 1024)) "-"
  echo "$total $((peak / 1024))" > "$work/last"
}

# verdict OK: "met" or "MISSED".
verdict() { if [[ $1 == 1 ]]; then echo met; else echo MISSED; fi; }

echo "$what; 4 targets: ${TARGETS[*]%%|*}" | sed 's/|[^ ]*//g'
echo "aims: cold faster than uv on the same targets, peak RSS ≤ 300 MB, warm ≤ 1 s"
printf '%-22s %10s %11s %17s\n' "run" "time" "peak RSS" "requests"
run_ww "wheelwatch cold"
read -r cold_s cold_mb _ < "$work/last"
: > "$work/warm"
for i in $(seq "$WARM_RUNS"); do
  run_ww "wheelwatch warm ($i)"
  cat "$work/last" >> "$work/warm"
done
# The median run by wall time; the largest peak RSS of them all.
read -r warm_s _ warm_cpu < <(sort -n "$work/warm" | sed -n "$(((WARM_RUNS + 1) / 2))p")
warm_mb=$(sort -n -k2 "$work/warm" | tail -n 1 | cut -d' ' -f2)
uv_cold_s=
if "$UV" --version > /dev/null 2>&1; then
  run_uv "uv cold (4 runs)"
  read -r uv_cold_s _ < "$work/last"
  run_uv "uv warm (4 runs)"
else
  echo "uv not found or not runnable ($UV), skipped (python3 -m pip install uv, or set UV)"
fi
echo
peak_mb=$((cold_mb > warm_mb ? cold_mb : warm_mb))
if [[ -n "$uv_cold_s" ]]; then
  printf 'cold faster than uv:  %8.2f s vs %8.2f s  %s\n' "$cold_s" "$uv_cold_s" \
    "$(verdict "$(echo "$cold_s < $uv_cold_s" | bc)")"
else
  echo "cold faster than uv:  no uv to compare with"
fi
printf 'peak RSS ≤ 300 MB:    %8d MB            %s\n' "$peak_mb" "$(verdict $((peak_mb <= 300)))"
printf 'warm ≤ 1 s:           %8.2f s (%.2f s CPU, median of %d) %s\n' "$warm_s" "$warm_cpu" \
  "$WARM_RUNS" \
  "$(verdict "$(echo "$warm_s <= 1" | bc)")"
