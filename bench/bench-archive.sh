#!/usr/bin/env bash
# bench-archive.sh [DIR] - directories as input: the goals of
# docs/performance.md#archives measured side by side.
#
# The archive: DIR/archive-30d (DIR defaults to target/bench-data), 30
# days of hourly gzipped Zeek TSV files from 2019-08-12T00:00Z as Zeek
# lays them out (DIR/archive-30d/2019-08-12/conn.00:00:00-01:00:00.log.gz,
# 720 files, 30M records, 200,000 hosts, ~1.6 GB), made by
# examples/genlog.rs --archive when missing (a minute or two), with
# DIR/archive-30d.report (genlog --report) for the queried host; and
# DIR/archive-30d.gz, the same files concatenated in order into one gzip
# file (gzip members), today's single-file case.
#
# Four hyperfine runs, each side by side, outputs checked equal first
# (but for the commands that answer another question, named "~..."):
#   archive-hour: connspy --to RARE over one hour near the end
#     (2019-09-10T12:00Z): the directory (pruned), the directory with
#     --no-fast-seek (every file from the first up to the early stop), and
#     the 720 files named in order (today's tool on the ordered list);
#     beside them, a range before every record: the first records alone.
#   archive-day: connspy-stream --time-init/--time-end over one day
#     (2019-08-27): the directory, and that day's 24 files named (which
#     lack the next day's first file, so their last hour differs).
#   archive-full: connspy --to RARE over the whole range: the directory,
#     the single .gz, and `zcat` of the 720 files into /dev/null.
#   archive-stream: connspy-stream over the whole directory, and over the
#     single .gz.
# Then peak RSS (/usr/bin/time -v) of every command of ours, and the CPU
# time per record of the full scans (user + system from hyperfine, over
# the 30M records). Results: target/bench-results/archive-*{.md,.json,-rss.md}
# and archive-cpu.md; environment knobs in bench/common.sh.
set -euo pipefail
PEERS=0   # common.sh: no awk, rg or DuckDB peers here
source "$(dirname "$0")/common.sh"
DIR=${1:-$ROOT/target/bench-data}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
ARCHIVE=$DIR/archive-30d
RECORDS=30000000
if [ ! -d "$ARCHIVE" ]; then
  (cd "$ROOT" && cargo build --release --example genlog)
  echo "making $ARCHIVE"
  rm -rf "$ARCHIVE.part"
  "$ROOT/target/release/examples/genlog" --lines $RECORDS --seed 12 --hosts 200000 \
    --ip-fraction 0.1 --zipf 1.1 --start 1565568000 --span 2592000 --log-format zeek \
    --archive "$ARCHIVE.part" --report 2> "$ARCHIVE.report"
  mv "$ARCHIVE.part" "$ARCHIVE"
fi
mapfile -t FILES < <(find "$ARCHIVE" -type f -name '*.log.gz' | sort)
[ ${#FILES[@]} = 720 ] || { echo "expected 720 files in $ARCHIVE, found ${#FILES[@]}" >&2; exit 1; }
if [ ! -s "$ARCHIVE.gz" ]; then
  echo "making $ARCHIVE.gz"
  cat "${FILES[@]}" > "$ARCHIVE.gz.part" && mv "$ARCHIVE.gz.part" "$ARCHIVE.gz"
fi
RARE=${RARE:-$(awk -F'\t' '$1 == "rare" { print $3; exit }' "$ARCHIVE.report")}
POPULAR=${POPULAR:-$(awk -F'\t' '$1 == "top" { print $3; exit }' "$ARCHIVE.report")}
have_ours connspy connspy-stream || exit 1
cat "${FILES[@]}" > /dev/null   # warm the page cache
echo "archive $ARCHIVE: ${#FILES[@]} files, $(du -sb "$ARCHIVE" | cut -f1) bytes; rare=$RARE popular=$POPULAR"
echo "load: $(uptime)"

A=$(q "$ARCHIVE")
NAMED=$(printf '%q ' "${FILES[@]}")
DAY=$(printf '%q ' "$ARCHIVE"/2019-08-27/*.log.gz)
SPY="$(q "$BIN/connspy") --to $(q "$RARE")"
STREAM="$(q "$BIN/connspy-stream") --to $(q "$POPULAR") --from $(q "$RARE") --max-log-late-seconds 300"
HOUR="--time-init 2019-09-10T12:00:00Z --time-end 2019-09-10T13:00:00Z"
ONEDAY="--time-init 2019-08-27T00:00:00Z --time-end 2019-08-28T00:00:00Z"
ALL="--time-init 2019-08-01T00:00:00Z --time-end 2019-10-01T00:00:00Z"
BEFORE="--time-init 2019-01-01T00:00:00Z --time-end 2019-01-01T01:00:00Z"

# run TAG NAME CMD [NAME CMD]...: the first command's output is the
# reference of the others' (except those whose name starts with "~": a
# different question timed beside), then one hyperfine run and the RSS
# table of every command of ours (those not named "~zcat").
run() {
  local tag=$1; shift
  local ref=$2 all=("$@") ours=()
  while [ $# -gt 0 ]; do
    [ "${1:0:1}" = "~" ] || same_output "$1" "$2" "$ref"
    [ "$1" = "~zcat" ] || ours+=("$1" "$2")
    shift 2
  done
  local timed=() i
  for ((i = 0; i < ${#all[@]}; i += 2)); do timed+=("${all[i]}" "${all[i + 1]} > /dev/null"); done
  bench "$tag" "${timed[@]}"
  rss "$tag" "${ours[@]}"
  show "$tag"
}

run archive-hour \
  "connspy DIR, 1 h" "$SPY $HOUR $A" \
  "connspy DIR --no-fast-seek, 1 h" "$SPY $HOUR --no-fast-seek $A" \
  "connspy 720 files named, 1 h" "$SPY $HOUR $NAMED" \
  "~connspy DIR, a range before every record (first records only)" "$SPY $BEFORE $A"
"$BIN/connspy" --to "$RARE" $HOUR --stats "$ARCHIVE" 2>&1 > /dev/null | tail -1

# The day's 24 files alone lack the records of its last hour written
# after midnight, in the next day's first file: timed, not compared.
run archive-day \
  "connspy-stream DIR, 1 day" "$STREAM $ONEDAY $A" \
  "~connspy-stream the day's 24 files, 1 day" "$STREAM $ONEDAY $DAY"
"$BIN/connspy-stream" --to "$POPULAR" --from "$RARE" $ONEDAY --stats "$ARCHIVE" 2>&1 > /dev/null | tail -1

run archive-full \
  "connspy DIR, all" "$SPY $ALL $A" \
  "connspy one .gz, all" "$SPY $ALL $(q "$ARCHIVE.gz")" \
  "~zcat" "zcat $NAMED"

run archive-stream \
  "connspy-stream DIR" "$STREAM $A" \
  "connspy-stream one .gz" "$STREAM $(q "$ARCHIVE.gz")"

# CPU time per record (user + system, mean of the runs) of the full scans.
python3 - "$RESULTS" "$RECORDS" > "$RESULTS/archive-cpu.md" <<'EOF'
import json, sys
results, records = sys.argv[1], int(sys.argv[2])
print("| command | CPU time (user + system) | per record |")
print("|:---|---:|---:|")
for tag in ("archive-full", "archive-stream"):
    for r in json.load(open(f"{results}/{tag}.json"))["results"]:
        cpu = r["user"] + r["system"]
        print(f"| {r['command']} | {cpu:.2f} s | {cpu / records * 1e9:.0f} ns |")
EOF
echo; cat "$RESULTS/archive-cpu.md"
echo "load: $(uptime)"
