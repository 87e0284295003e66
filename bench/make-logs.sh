#!/usr/bin/env bash
# make-logs.sh [DIR] - benchmark logs, made by examples/genlog.rs when missing.
#
#   DIR/log-3M.txt, DIR/log-30M.txt   default generator options: one day from
#       2019-08-12T22:00Z, ms timestamps, single spaces, 10000 hosts (Zipf 1.05),
#       10% of records up to 300 s late; DIR/log-*.report is genlog's --report.
#   DIR/stress-2M-sources.txt         3M lines within one hour, 2M of them
#       from 2M distinct sources to the host `target` (the rest background).
#   DIR/log-30M.txt.zst, DIR/log-30M.txt.gz   compressed copies of log-30M
#       (zstd level 3, gzip level 6: each tool's default level) for
#       bench-compressed.sh; made with two threads (zstd -T2, pigz).
#   DIR/log-many-30M.txt              the many-host shape real logs have: 30M
#       lines over 30 days, 200,000 hosts (10% of them IPs), Zipf 1.1, seed 12
#       (~909 MB); its popular host takes ~13% of the records.
#   DIR/hosts.txt                     popular=NAME (largest TO share, ~12.6%)
#       and rare=NAME (TO share nearest 0.5%) of log-30M, for the bench scripts;
#       DIR/log-many-30M.hosts the same for the many-host log (the scripts
#       read NAME.hosts beside a log first, then hosts.txt).
#
# DIR defaults to target/bench-data (git-ignored). The generator is
# deterministic: deleting a file and rerunning recreates it byte for byte.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/target/bench-data}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

(cd "$ROOT" && cargo build --release --example genlog)
GENLOG=$ROOT/target/release/examples/genlog

# gen NAME GENLOG-OPTIONS...: writes DIR/NAME.txt and DIR/NAME.report unless
# both exist; through a temporary name, so an interrupted run leaves no log.
gen() {
  local name=$1; shift
  if [ -s "$DIR/$name.txt" ] && [ -s "$DIR/$name.report" ]; then
    echo "have $DIR/$name.txt"
    return
  fi
  echo "making $DIR/$name.txt: genlog $*"
  local start=$SECONDS
  "$GENLOG" "$@" --report --out "$DIR/$name.txt.part" 2> "$DIR/$name.report.part"
  mv "$DIR/$name.report.part" "$DIR/$name.report"
  mv "$DIR/$name.txt.part" "$DIR/$name.txt"
  echo "  $(stat -c %s "$DIR/$name.txt") bytes in $((SECONDS - start)) s"
}

gen log-3M --lines 3000000
gen log-30M --lines 30000000
gen log-many-30M --lines 30000000 --seed 12 --hosts 200000 --ip-fraction 0.1 \
  --span 2592000 --zipf 1.1
# Base times 22:05:00..22:59:59 and lateness up to 300 s keep every record in
# the hour 22:00-23:00 (2019-08-12).
gen stress-2M-sources --lines 3000000 --start 1565647500 --span 3300 \
  --fan-in-host target --fan-in-sources 2000000

# compress EXT COMMAND...: DIR/log-30M.txt.EXT from COMMAND (a filter),
# unless it exists; through a temporary name, like gen.
compress() {
  local ext=$1; shift
  local out=$DIR/log-30M.txt.$ext
  if [ -s "$out" ]; then echo "have $out"; return; fi
  command -v "$1" > /dev/null || apt-get install -y -qq "$1" > /dev/null \
    || { echo "cannot install $1" >&2; exit 1; }
  echo "making $out: $*"
  "$@" < "$DIR/log-30M.txt" > "$out.part"
  mv "$out.part" "$out"
}
compress zst zstd -T2 -3 -q -c
compress gz pigz -p 2 -6 -c

# pick KIND REPORT: host of the first report row of that kind.
pick() { awk -F'\t' -v k="$1" '$1 == k { print $3; exit }' "$2"; }
# share LOG: one comment line with the popular and rare hosts' shares.
share() {
  awk -F'\t' -v name="$1" '
    $1 == "top" && $2 == 1 { p = $3 " " $5 }
    $1 == "rare" && $2 == 1 { r = $3 " " $5 }
    END { print "# " name ": top " p ", nearest 0.5% " r }' "$DIR/$1.report"
}
{
  echo "popular=$(pick top "$DIR/log-30M.report")"
  echo "rare=$(pick rare "$DIR/log-30M.report")"
  share log-3M
  share log-30M
} > "$DIR/hosts.txt"
cat "$DIR/hosts.txt"
{
  echo "popular=$(pick top "$DIR/log-many-30M.report")"
  echo "rare=$(pick rare "$DIR/log-many-30M.report")"
  share log-many-30M
} > "$DIR/log-many-30M.hosts"
cat "$DIR/log-many-30M.hosts"
