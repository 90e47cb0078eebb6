#!/usr/bin/env bash
# Runs the coverage-guided fuzz harness in fuzz/ over every parser of outside input.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Each target runs for SECONDS_PER_TARGET (default 100, so the eight targets take 13 minutes),
# seeded from tests/fixtures and fuzz/seeds; new inputs go to fuzz/corpus/<target>, crashes to
# fuzz/artifacts/<target>. A slow input (over 10 s) counts as a hang, and 2 GB of memory as a
# leak. Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain the nightly-only
# sanitizer flags are let through with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-100}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(requirements_txt pyproject uv_lock pylock metadata pep508 installer_log page_cache resolution_cache)

seeds() {
  case "$1" in
    requirements_txt) echo tests/fixtures/requirements/txt tests/fixtures/requirements/discover ;;
    pyproject) echo tests/fixtures/requirements/pyproject tests/fixtures/requirements/discover ;;
    uv_lock | pylock) echo tests/fixtures/requirements/lock ;;
    metadata) echo fuzz/seeds/metadata "$(ls -d tests/fixtures/metadata 2>/dev/null || true)" ;;
    installer_log) echo "$(ls -d tests/fixtures/installer-logs 2>/dev/null || true)" ;;
    pep508) echo fuzz/seeds/pep508 tests/fixtures/requirements/txt ;;
    page_cache) echo tests/fixtures/page-cache ;;
    resolution_cache) echo tests/fixtures/resolution-cache ;;
  esac
}

export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  # shellcheck disable=SC2046
  cargo fuzz run -O "$target" "fuzz/corpus/$target" $(seeds "$target") -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
    -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1
done
