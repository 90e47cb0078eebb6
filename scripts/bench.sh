#!/usr/bin/env bash
# Benchmark `wheelwatch check` (whole-tree resolution on 6 targets, one run) against
# `uv pip compile --only-binary :all:` and `pip install --dry-run --only-binary=:all:`, each run
# once per target, cold (empty cache) and warm (same cache again). Prints seconds and ratios.
#
# Run by a person, with network access (by default every tool uses the public index):
#
#   cargo build --release
#   python3 -m pip install uv        # optional: without uv its column says "skipped"
#   scripts/bench.sh                  # or: INDEX_URL=https://mirror.example/simple/ scripts/bench.sh
#
# Environment: WW (the binary, default target/release/wheelwatch), PYTHON (an interpreter with
# pip >= 23, default python3), INDEX_URL (all three tools use it when set), RUNS (repetitions,
# best time kept, default 3), PACKAGES (space-separated, default: the runbook's set).
set -euo pipefail

WW=${WW:-target/release/wheelwatch}
PYTHON=${PYTHON:-python3}
RUNS=${RUNS:-3}
read -r -a PACKAGES <<< "${PACKAGES:-pandas numpy scipy fastapi sqlalchemy pytest requests jsonschema deepdiff}"
# wheelwatch target | uv --python-platform
TARGETS=(
  "3.12@linux|x86_64-manylinux_2_28"
  "3.12@linux-aarch64|aarch64-manylinux_2_28"
  "3.13@linux|x86_64-manylinux_2_28"
  "3.11@linux|x86_64-manylinux_2_28"
  "3.12@macos|aarch64-apple-darwin"
  "3.12@windows|x86_64-pc-windows-msvc"
)

if [[ ! -x "$WW" ]]; then
  echo "no wheelwatch binary at $WW: run cargo build --release (or set WW)" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\n' "${PACKAGES[@]}" > "$work/requirements.in"

now_ms() { "$PYTHON" -c 'import time; print(int(time.monotonic() * 1000))'; }

# elapsed CMD...: runs CMD once, prints the wall time in ms.
elapsed() {
  local start end
  start=$(now_ms)
  "$@" > /dev/null 2> "$work/last.err" || { echo "failed: $*" >&2; cat "$work/last.err" >&2; return 1; }
  end=$(now_ms)
  echo $((end - start))
}

index_args=()
[[ -n "${INDEX_URL:-}" ]] && index_args=(--index-url "$INDEX_URL")

ww_run() {
  local cache=$1
  args=(check --format json --cache-dir "$cache" -r "$work/requirements.in" --threshold 0)
  local first=1
  for t in "${TARGETS[@]}"; do
    local name=${t%%|*}
    if ((first)); then args+=(--python "$name"); first=0; else args+=(--target "$name"); fi
  done
  # Exit 1 (unhealthy) is an answer too; anything else is a failure.
  "$WW" "${args[@]}" "${index_args[@]}" || [[ $? -eq 1 ]]
}

uv_run() {
  local cache=$1
  for t in "${TARGETS[@]}"; do
    local name=${t%%|*} platform=${t##*|}
    local py=${name%%@*}
    uv pip compile --quiet --no-python-downloads --only-binary :all: --python-version "$py" \
      --python-platform "$platform" --cache-dir "$cache" "${index_args[@]}" \
      "$work/requirements.in" -o /dev/null
  done
}

pip_run() {
  local cache=$1
  for t in "${TARGETS[@]}"; do
    local name=${t%%|*}
    local py=${name%%@*}
    local digits=${py/./}
    local platform_args=()
    # pip matches --platform literally: every platform tag of the target, one flag each.
    while read -r p; do platform_args+=(--platform "$p"); done < <(
      "$WW" tags --target "$name" | awk -F- '{print $NF}' | grep -v '^any$' | sort -u)
    "$PYTHON" -m pip install --dry-run --ignore-installed --only-binary=:all: --quiet \
      --disable-pip-version-check --python-version "$py" --implementation cp \
      --abi "cp$digits" --abi abi3 --abi none "${platform_args[@]}" \
      --target "$work/pip-target" --report /dev/null --cache-dir "$cache" \
      "${index_args[@]}" -r "$work/requirements.in"
  done
}

# measure NAME FN: prints "cold warm" in ms (best of $RUNS each; cold uses a new cache).
measure() {
  local fn=$1 best_cold="" best_warm=""
  for ((i = 0; i < RUNS; i++)); do
    local cache="$work/cache-$fn-$i"
    local cold warm
    cold=$(elapsed "$fn" "$cache") || return 1
    warm=$(elapsed "$fn" "$cache") || return 1
    [[ -z "$best_cold" || $cold -lt $best_cold ]] && best_cold=$cold
    [[ -z "$best_warm" || $warm -lt $best_warm ]] && best_warm=$warm
  done
  echo "$best_cold $best_warm"
}

echo "packages: ${PACKAGES[*]}"
echo "targets:  $(for t in "${TARGETS[@]}"; do printf '%s ' "${t%%|*}"; done)"
echo "index:    ${INDEX_URL:-the public index (default)}"
echo "best of $RUNS runs; uv and pip run once per target, wheelwatch once for all 6"
echo

read -r ww_cold ww_warm < <(measure ww_run)
ratio() { "$PYTHON" -c "import sys; print('%.1fx' % (int(sys.argv[1]) / max(1, int(sys.argv[2]))))" "$1" "$2"; }
secs() { "$PYTHON" -c "import sys; print('%.3f' % (int(sys.argv[1]) / 1000))" "$1"; }

printf '%-12s %10s %10s %14s %14s\n' tool "cold (s)" "warm (s)" "cold vs ww" "warm vs ww"
printf '%-12s %10s %10s %14s %14s\n' wheelwatch "$(secs "$ww_cold")" "$(secs "$ww_warm")" 1.0x 1.0x
if command -v uv > /dev/null; then
  read -r uv_cold uv_warm < <(measure uv_run)
  printf '%-12s %10s %10s %14s %14s\n' uv "$(secs "$uv_cold")" "$(secs "$uv_warm")" \
    "$(ratio "$uv_cold" "$ww_cold")" "$(ratio "$uv_warm" "$ww_warm")"
else
  printf '%-12s %s\n' uv "uv not found, skipped (python3 -m pip install uv)"
fi
if "$PYTHON" -m pip --version > /dev/null 2>&1; then
  read -r pip_cold pip_warm < <(measure pip_run)
  printf '%-12s %10s %10s %14s %14s\n' pip "$(secs "$pip_cold")" "$(secs "$pip_warm")" \
    "$(ratio "$pip_cold" "$ww_cold")" "$(ratio "$pip_warm" "$ww_warm")"
else
  printf '%-12s %s\n' pip "pip not found for $PYTHON, skipped"
fi
echo
# The aims (issue 9): keep the lead over uv on this set, cold ≥ 10× and warm ≥ 20× faster.
if [[ -n "${uv_cold:-}" ]]; then
  aim() { "$PYTHON" -c "import sys; r = int(sys.argv[1]) / max(1, int(sys.argv[2])); print('%.1fx, aim ≥ %sx: %s' % (r, sys.argv[3], 'met' if r >= float(sys.argv[3]) else 'MISSED'))" "$1" "$2" "$3"; }
  echo "cold lead over uv: $(aim "$uv_cold" "$ww_cold" 10)"
  echo "warm lead over uv: $(aim "$uv_warm" "$ww_warm" 20)"
else
  echo "aims (cold ≥ 10x, warm ≥ 20x faster than uv): no uv to compare with"
fi
