# Sourced by the benchmarks on the generated format logs (bench-formats.sh,
# bench-measures.sh, bench-summary.sh): where the builds, the logs and the
# results are, and how many runs. Environment: RUNS (10), WARMUP (2), BIN
# (target/release), RESULTS (target/bench-results).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/target/release}
RESULTS=${RESULTS:-$ROOT/target/bench-results}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
DATA=$ROOT/target/bench-data/formats
mkdir -p "$DATA" "$RESULTS"
