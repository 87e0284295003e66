#!/usr/bin/env bash
# Runs the fuzz targets, each for SECONDS (default 600), one after the
# other: `fuzz/run.sh [SECONDS] [TARGET...]` (all three when none named).
# Needs cargo-fuzz (`cargo install cargo-fuzz`); see fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parse_line seek_query aggregator)
fi
# cargo-fuzz builds with AddressSanitizer, whose flag is nightly-only;
# the stable toolchain accepts it this way.
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  # Targets that start threads: std::thread::scope returns once a thread's
  # work is done, before the thread has exited and freed its thread-local
  # state, so LeakSanitizer's check after an input races with that and
  # reports a false leak. Memory is bounded by the limits below instead.
  case $target in
    parse_line) leaks=1 ;;
    *) leaks=0 ;;
  esac
  mkdir -p "fuzz/target/corpus/$target"
  log="fuzz/target/$target.log"
  echo "fuzz: $target for ${seconds}s (log: $log)"
  # New inputs go to the working corpus under fuzz/target (first
  # directory); the committed seeds in fuzz/corpus are only read.
  if ! cargo fuzz run --debug-assertions "$target" \
      "fuzz/target/corpus/$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -max_len=4096 \
      -rss_limit_mb=1024 -malloc_limit_mb=128 -detect_leaks=$leaks \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target FAILED (see $log; a failing input is saved under fuzz/artifacts/$target/)"
    exit 1
  fi
  grep -E '^(Done|#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log"
done
