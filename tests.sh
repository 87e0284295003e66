#!/usr/bin/env bash
# Builds the two release binaries and runs every test of the project:
# unit, property and integration tests (the integration tests drive the
# debug builds of the binaries, which cargo test builds; the release
# binaries are what you run, and what the conformance cases check).
# Ends with one line totalling all test binaries: "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"
# Only the binaries: building the test targets in release too would compile
# every test-only dependency (the bundled SQLite among them) twice.
cargo build --release --bins --locked
# Tests run in the debug profile: overflow checks stay on, so an
# arithmetic slip fails loudly instead of printing a wrong answer.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "%d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
