#!/usr/bin/env bash
# bench-measures.sh - connspy-stream --by on a 1M-record Zeek TSV conn.log,
# in one hyperfine run (the measures' speed goals; figures in
# docs/performance.md, "Measures"): --by records (the default path),
# bytes, packets, and the exact distinct counts peers and out, then the
# peak RSS of each and the ratios the goals are stated in (bytes within
# 1.3x of records, peers within 2x).
#
# The log (target/bench-data/formats/zeek-1M.log, shared with
# bench-formats.sh) is made by examples/genlog.rs when missing. Before
# timing, --by records is checked to print what no --by prints.
# Environment: RUNS (10), WARMUP (2), BIN (target/release), RESULTS
# (target/bench-results).
set -euo pipefail
source "$(dirname "$0")/formats-env.sh"
command -v hyperfine > /dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$BIN/connspy-stream" ] && [ -x "$BIN/examples/genlog" ] \
  || { echo "build first: cargo build --release --bins --examples" >&2; exit 1; }
ZEEK=$DATA/zeek-1M.log
[ -f "$ZEEK" ] || "$BIN/examples/genlog" --lines 1000000 --ip-fraction 1.0 --log-format zeek --out "$ZEEK"
cat "$ZEEK" > /dev/null   # warm the page cache

S="$BIN/connspy-stream --to 10.6.177.146 --from 10.113.125.2 --top 10"
if ! cmp -s <($S "$ZEEK") <($S --by records "$ZEEK"); then
  echo "--by records differs from the default" >&2; exit 1
fi
names=(records bytes packets peers out)
args=()
for by in "${names[@]}"; do args+=(-n "by $by" "$S --by $by $ZEEK"); done
uptime
hyperfine -N -w "$WARMUP" -r "$RUNS" --export-json "$RESULTS/measures.json" "${args[@]}"
uptime
# Peak RSS of each, one run apiece.
for by in "${names[@]}"; do
  /usr/bin/time -f "%M" -o "$RESULTS/measures-rss-$by" $S --by "$by" "$ZEEK" > /dev/null
done
python3 - "$RESULTS" "${names[@]}" << 'PY'
import json, statistics, sys
results, names = sys.argv[1], sys.argv[2:]
runs = {r["command"]: r for r in json.load(open(f"{results}/measures.json"))["results"]}
base = statistics.median(runs["by records"]["times"])
print(f"{'command':14} {'median ms':>10} {'cpu ms (mean)':>14} {'x records':>10} {'peak RSS MiB':>13}")
for by in names:
    r = runs[f"by {by}"]
    med = statistics.median(r["times"])
    cpu = (r["user"] + r["system"]) * 1000  # hyperfine gives their means
    rss = int(open(f"{results}/measures-rss-{by}").read().split()[-1]) / 1024
    print(f"--by {by:9} {med * 1000:10.1f} {cpu:14.1f} {med / base:10.2f} {rss:13.1f}")
PY
