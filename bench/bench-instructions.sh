#!/usr/bin/env bash
# bench-instructions.sh - instructions executed (valgrind --tool=callgrind)
# by connspy-stream (all cores and one core) and connspy (popular host,
# --no-fast-seek, rare host) on 2M lines of each log shape, for this build
# and, with BASE=DIR, another build beside it: a count that the load of a
# shared machine does not change, for comparing builds where timings are
# too noisy (figures in docs/performance.md, "CPU per record").
#
# The logs (made when missing, in target/bench-data/):
#   many-2M.txt  the many-host shape of make-logs.sh (seed 12, 200,000 hosts,
#                10% IPs, Zipf 1.1) over 2 days instead of 30, so that an
#                hour holds as many lines as in log-many-30M.txt;
#   k10-2M.txt   the first 2M lines of log-30M.txt (the 10,000-host log).
# Hosts: nodrouk (popular) on both, beemir (rare) on the many-host one and
# cheezer on the other. Environment: BIN (target/release), BASE (unset).
# Installs valgrind with apt when missing. Takes a few minutes per build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/target/release}
DATA=$ROOT/target/bench-data
command -v valgrind > /dev/null || apt-get install -y -qq valgrind > /dev/null \
  || { echo "cannot install valgrind" >&2; exit 1; }
[ -x "$BIN/examples/genlog" ] || (cd "$ROOT" && cargo build --release --example genlog)
[ -f "$DATA/many-2M.txt" ] || "$BIN/examples/genlog" --lines 2000000 --seed 12 \
  --hosts 200000 --ip-fraction 0.1 --span 172800 --zipf 1.1 --out "$DATA/many-2M.txt"
[ -f "$DATA/k10-2M.txt" ] || {
  [ -f "$DATA/log-30M.txt" ] || { echo "no $DATA/log-30M.txt (run bench/make-logs.sh)" >&2; exit 1; }
  head -n 2000000 "$DATA/log-30M.txt" > "$DATA/k10-2M.txt"
}

# instructions CMD...: the instructions callgrind counts for CMD (run
# under $ON, e.g. "taskset -c 0", when set).
instructions() {
  ${ON:-} valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 > /dev/null \
    | awk '/refs:/ {gsub(",", "", $NF); print $NF}'
}

FULL=(--time-init 1000000000000 --time-end 9999999999999)
printf '| build | log | job | instructions |\n|:---|:---|:---|---:|\n'
for build in "$BIN" ${BASE:+"$BASE"}; do
  for log in many-2M k10-2M; do
    L=$DATA/$log.txt
    rare=beemir
    [ "$log" = k10-2M ] && rare=cheezer
    S=("$build/connspy-stream" --to nodrouk --from "$rare" "$L")
    C=("$build/connspy" "${FULL[@]}" "$L")
    row() { printf '| %s | %s | %s | %s |\n' "$build" "$log" "$1" "$2"; }
    row "connspy-stream" "$(instructions "${S[@]}")"
    row "connspy-stream, one core" "$(ON="taskset -c 0" instructions "${S[@]}")"
    row "connspy popular" "$(instructions "${C[@]}" --to nodrouk)"
    row "connspy --no-fast-seek popular" "$(instructions "${C[@]}" --to nodrouk --no-fast-seek)"
    row "connspy rare" "$(instructions "${C[@]}" --to "$rare")"
  done
done
