#!/usr/bin/env bash
# Warm timings of the commands that go through this machine's interpreters, beside the aims:
#
#   check  examples/requirements.txt --python 3.12 --fallback 3.11 + 4 computed targets  ≤ 50 ms
#   doctor --python 3.12 --fallback 3.11                                                   ≤ 1 s
#   python list                                                                            ≤ 300 ms
#
# "Warm": the index pages and interpreter probes are in the cache (one untimed run first).
# With pyenv, `3.12`/`3.11` are usually reached through its shims; they are resolved by pyenv's
# rules without being run. Also prints the processes each command started (strace, if present),
# and, for reference (no aim), the same check on computed targets only (`3.12@linux`,
# `3.11@linux`): the difference between the two rows is what the interpreters cost.
#
#   cargo build --release && scripts/bench-interpreters.sh
#
# Environment: WW (binary, default target/release/wheelwatch), RUNS (best of, default 5),
# INDEX_URL (default: the public index), CACHE (cache directory, default a temporary one).
set -euo pipefail

WW=${WW:-target/release/wheelwatch}
RUNS=${RUNS:-5}
if [[ ! -x "$WW" ]]; then
  echo "no wheelwatch binary at $WW: run cargo build --release (or set WW)" >&2
  exit 2
fi
WW=$(realpath "$WW")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export WHEELWATCH_CACHE_DIR=${CACHE:-$work/cache}
index_args=()
[[ -n "${INDEX_URL:-}" ]] && index_args=(--index-url "$INDEX_URL")

check_args=(check "$root/examples/requirements.txt" --python 3.12 --fallback 3.11
  --target 3.12@linux-aarch64 --target 3.13@linux --target 3.12@macos --target 3.12@windows
  --format json "${index_args[@]}")
computed_args=(check "$root/examples/requirements.txt" --python 3.12@linux --fallback 3.11@linux
  --target 3.12@linux-aarch64 --target 3.13@linux --target 3.12@macos --target 3.12@windows
  --format json "${index_args[@]}")
doctor_args=(doctor --python 3.12 --fallback 3.11 "${index_args[@]}")
list_args=(python list)

# best ARGS...: "WALL MEDIAN CPU" — the best and the median wall time and the best CPU time
# (user + system) of RUNS runs, in ms. CPU time is what a loaded machine does not inflate. Exit
# codes 0 and 1 are answers. Wall time comes from the shell's clock (ms), CPU from wait4.
best() {
  local best_cpu=999999999 start end wall user sys cpu walls=()
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    (cd "$work" && /usr/bin/time -f '%U %S' -o "$work/time" "$WW" "$@" > /dev/null 2>&1) || true
    end=$(date +%s%N)
    wall=$(( (end - start) / 1000000 ))
    read -r user sys < "$work/time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1000 }')
    walls+=("$wall")
    ((cpu < best_cpu)) && best_cpu=$cpu
  done
  local sorted
  sorted=$(printf '%s\n' "${walls[@]}" | sort -n)
  echo "$(head -1 <<< "$sorted") $(sed -n "$(( (RUNS + 1) / 2 ))p" <<< "$sorted") $best_cpu"
}

# spawned ARGS...: how many processes one run starts (needs strace).
spawned() {
  if command -v strace > /dev/null; then
    (cd "$work" && strace -f -e trace=execve -o "$work/trace" "$WW" "$@" > /dev/null 2>&1) || true
    echo $(( $(grep -c 'execve(' "$work/trace") - 1 ))
  else
    echo "?"
  fi
}

# row NAME AIM ARGS...: one command's warm figures beside its aim (AIM "-": a reference row).
row() {
  local name=$1 aim=$2
  shift 2
  # One untimed run fills the caches.
  (cd "$work" && "$WW" "$@" > /dev/null 2>&1) || true
  local wall median cpu verdict goal
  read -r wall median cpu < <(best "$@")
  # Met on wall time; on a loaded machine (load above the cores) CPU time is the fairer figure.
  if [[ $aim == - ]]; then verdict="reference, no aim"; goal="no aim        "
  elif ((wall <= aim)); then verdict="met"
  elif ((cpu <= aim)); then verdict="met on CPU (wall inflated by load)"
  else verdict="MISSED"; fi
  [[ $aim != - ]] && goal=$(printf 'aim ≤ %5s ms' "$aim")
  printf '%-16s %6s ms wall (median %6s) %6s ms CPU   %s  %-36s processes started: %s\n' \
    "$name" "$wall" "$median" "$cpu" "$goal" "$verdict" "$(spawned "$@")"
}

echo "warm, best of $RUNS ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
row "check" 50 "${check_args[@]}"
row "check, computed" - "${computed_args[@]}"
row "doctor" 1000 "${doctor_args[@]}"
row "python list" 300 "${list_args[@]}"
# Unselected pyenv versions' shims must read as inactive (with the interpreter they stand for),
# never as UNUSABLE "exited with code 127".
if (cd "$work" && "$WW" python list 2> /dev/null) | grep -q 'code 127'; then
  echo "python list: shims of unselected pyenv versions reported as failing   aim: described  MISSED"
else
  echo "python list: no shim reported as failing with code 127                aim: described  met"
fi
