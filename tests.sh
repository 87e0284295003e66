#!/usr/bin/env bash
# Builds the two release binaries and runs every test of the project:
# unit, property and integration tests (the integration tests drive the
# debug builds of the binaries, which cargo test builds; the release
# binaries are what you run, and what the conformance cases check).
# Ends with one line totalling all test binaries: "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"
release_log=$(mktemp)
log=$(mktemp)
trap 'rm -f "$log" "$release_log"' EXIT
# Only the binaries in release: building the test targets in release too
# would compile every test-only dependency (the bundled SQLite among them)
# a second time. They build beside the test targets (cargo locks each
# profile on its own), so that while one build is in a single long step
# (the release crate's one codegen unit and its LTO, a link) the other
# keeps the second core busy. The tests run only once both are built.
cargo build --release --bins --locked >"$release_log" 2>&1 &
release=$!
built=0
cargo test --locked --no-run || built=$?
if ! wait "$release"; then
  cat "$release_log" >&2
  exit 1
fi
cat "$release_log"
[ "$built" -eq 0 ] || exit "$built"
# Tests run in the debug profile: overflow checks stay on, so an
# arithmetic slip fails loudly instead of printing a wrong answer.
status=0
cargo test --locked 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "%d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
