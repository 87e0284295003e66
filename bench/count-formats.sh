#!/usr/bin/env bash
# count-formats.sh - instructions each tool executes on a 1M-line log of
# every format (plain, Zeek TSV, Zeek JSON, VPC), counted by callgrind:
# a measure of the per-line parse that other builds running on the same
# machine do not disturb, as timings are (figures in docs/performance.md,
# "The field checks, counted").
#
# The logs (target/bench-data/formats/{plain,zeek,zeek-json,vpc}-1M.log)
# are made by examples/genlog.rs when missing: 1,000,000 records over one
# day, every host an IPv4 address (--ip-fraction 1), the VPC log in whole
# seconds. Commands: connspy over the whole day with --no-fast-seek (every
# line parsed), with fast seek --to and --from (only the lines whose host
# field may match), over the noon hour (the seek and the check of the part
# it skips), and connspy-stream. Before counting, each command's output
# is checked to equal that of the same command on the plain log.
#
# Environment: BIN (target/release), BASE (a directory with an older
# build's connspy and connspy-stream: counted beside BIN, in the same run).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/target/release}
BASE=${BASE:-}
DATA=$ROOT/target/bench-data/formats
mkdir -p "$DATA"
command -v valgrind > /dev/null || { echo "valgrind missing (apt-get install valgrind)" >&2; exit 1; }
[ -x "$BIN/connspy" ] && [ -x "$BIN/connspy-stream" ] && [ -x "$BIN/examples/genlog" ] \
  || { echo "build first: cargo build --release --bins --examples" >&2; exit 1; }

GEN=(--lines 1000000 --ip-fraction 1.0)
for format in plain zeek zeek-json vpc; do
  extra=()
  [ "$format" = vpc ] && extra=(--ts-format s)
  [ -f "$DATA/$format-1M.log" ] || "$BIN/examples/genlog" "${GEN[@]}" --log-format "$format" \
    "${extra[@]}" --out "$DATA/$format-1M.log"
done

HOST=10.6.177.146   # the most popular TO host of these records
OTHER=10.113.125.2  # the second, for connspy-stream --from
DAY="--time-init 1565647200 --time-end 1565733600"
HOUR="--time-init 1565690400 --time-end 1565694000"
commands=(
  "no-fast-seek|connspy --to $HOST $DAY --no-fast-seek"
  "--to|connspy --to $HOST $DAY"
  "--from|connspy --from $HOST $DAY"
  "one hour|connspy --to $HOST $HOUR"
  "stream|connspy-stream --to $HOST --from $OTHER"
)

# instructions DIR COMMAND LOG: the instructions callgrind counts.
instructions() {
  local dir=$1 command=$2 log=$3
  # shellcheck disable=SC2086  # the command's words split on purpose
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$dir"/$command "$log" 2>&1 > /dev/null \
    | sed -n 's/.*Collected : //p'
}

# The VPC log has whole seconds: its answers equal those of a plain log
# with the same records, checked against connspy's own plain answers.
for entry in "${commands[@]}"; do
  command=${entry#*|}
  # shellcheck disable=SC2086
  want=$("$BIN"/$command "$DATA/plain-1M.log" | md5sum)
  for format in zeek zeek-json; do
    # shellcheck disable=SC2086
    got=$("$BIN"/$command "$DATA/$format-1M.log" | md5sum)
    [ "$got" = "$want" ] || { echo "outputs differ: $format: $command" >&2; exit 1; }
  done
done
echo "outputs of the Zeek logs equal those of the plain log"
uptime

printf '%-10s %-14s %14s %14s %8s\n' format command "${BASE:+base}" this change
for format in plain zeek zeek-json vpc; do
  for entry in "${commands[@]}"; do
    name=${entry%%|*} command=${entry#*|}
    this=$(instructions "$BIN" "$command" "$DATA/$format-1M.log")
    if [ -n "$BASE" ]; then
      base=$(instructions "$BASE" "$command" "$DATA/$format-1M.log")
      change=$(awk "BEGIN { printf \"%+.1f%%\", ($this - $base) * 100 / $base }")
    else
      base="" change=""
    fi
    printf '%-10s %-14s %14s %14s %8s\n' "$format" "$name" "$base" "$this" "$change"
  done
done
uptime
