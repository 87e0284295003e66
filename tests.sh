#!/usr/bin/env bash
# Builds every target and runs every test of the project: unit, property
# and integration tests (the integration tests drive the built binaries).
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --all-targets --locked
# Tests run in the debug profile: overflow checks stay on, so an
# arithmetic slip fails loudly instead of printing a wrong answer.
cargo test --locked
