#!/usr/bin/env bash
# Builds every target and runs every test of the project: unit, property
# and integration tests (the integration tests drive the built binaries).
# Ends with one line totalling all test binaries: "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --all-targets --locked
# Tests run in the debug profile: overflow checks stay on, so an
# arithmetic slip fails loudly instead of printing a wrong answer.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "%d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
