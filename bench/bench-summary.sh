#!/usr/bin/env bash
# bench-summary.sh - what connspy --summary, the record filters and --to
# with --from cost on a 1M-record Zeek TSV conn.log, beside the plain host
# query, in one hyperfine run; with BASE= an older build, that build's
# default runs as rows too (the default path before and after). Figures:
# docs/performance.md, "Filters and --summary".
#
# The log (target/bench-data/formats/zeek-1M.log, as bench-formats.sh
# makes it) is made by examples/genlog.rs when missing: 1,000,000 records
# over one day, every host an IPv4 address, L = 300 s. Before timing, the
# outputs are checked: --summary lists the host query's hosts, in its
# order, and its records add up to the query's records (counted by awk);
# --dport 443 answers what awk answers. Peak RSS: one /usr/bin/time run
# per command. Environment: RUNS (10), WARMUP (2), BIN (target/release),
# BASE (a directory with older connspy and connspy-stream binaries),
# RESULTS (target/bench-results).
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/target/release}
RESULTS=${RESULTS:-$ROOT/target/bench-results}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
DATA=$ROOT/target/bench-data/formats
mkdir -p "$DATA" "$RESULTS"
command -v hyperfine > /dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ -x "$BIN/connspy" ] && [ -x "$BIN/connspy-stream" ] && [ -x "$BIN/examples/genlog" ] \
  || { echo "build first: cargo build --release --bins --examples" >&2; exit 1; }

ZEEK=$DATA/zeek-1M.log
[ -f "$ZEEK" ] || "$BIN/examples/genlog" --lines 1000000 --ip-fraction 1.0 --log-format zeek --out "$ZEEK"
cat "$ZEEK" > /dev/null   # warm the page cache

HOST=10.6.177.146   # the most popular TO host of these records
OTHER=10.113.125.2  # the second, for connspy-stream --from
DAY="--time-init 1565647200 --time-end 1565733600"
q() { echo "$1/connspy --to $HOST $DAY $2 $ZEEK"; }
s() { echo "$1/connspy-stream --to $HOST --from $OTHER $2 $ZEEK"; }

# The checks: awk reads the Zeek fields by position (ts 1, id.orig_h 3,
# id.resp_h 5, id.resp_p 6, as genlog writes them).
hosts=$(eval "$(q "$BIN" "")")
summary=$(eval "$(q "$BIN" --summary)")
[ "$(tail -n +2 <<< "$summary" | cut -f1)" = "$hosts" ] \
  || { echo "--summary lists other hosts than the host query" >&2; exit 1; }
records=$(awk -F'\t' -v h=$HOST '!/^#/ && $5 == h && $1 >= 1565647200 && $1 < 1565733600' "$ZEEK" | wc -l)
[ "$(tail -n +2 <<< "$summary" | awk -F'\t' '{n += $4} END {print n}')" = "$records" ] \
  || { echo "--summary's records do not add up to the $records records to $HOST" >&2; exit 1; }
awk_443=$(awk -F'\t' -v h=$HOST '!/^#/ && $5 == h && $6 == 443 && $1 >= 1565647200 && $1 < 1565733600 \
  && !seen[$3]++ {print $3}' "$ZEEK")
[ "$(eval "$(q "$BIN" "--dport 443")")" = "$awk_443" ] \
  || { echo "--dport 443 answers otherwise than awk" >&2; exit 1; }
echo "checked: --summary has the host query's $(wc -l <<< "$hosts") hosts and $records records;" \
  "--dport 443 answers as awk ($(wc -l <<< "$awk_443") hosts)"

cmds=(
  "connspy --to host" "$(q "$BIN" "")"
  "connspy --to host --summary" "$(q "$BIN" --summary)"
  "connspy --to host --dport 443" "$(q "$BIN" "--dport 443")"
  "connspy --to host --from /8 --summary" "$(q "$BIN" "--from 10.0.0.0/8 --summary")"
  "connspy-stream" "$(s "$BIN" "")"
  "connspy-stream --dport 443" "$(s "$BIN" "--dport 443")"
  "connspy-stream --proto udp" "$(s "$BIN" "--proto udp")"
)
if [ -n "${BASE:-}" ]; then
  cmds+=(
    "base: connspy --to host" "$(q "$BASE" "")"
    "base: connspy-stream" "$(s "$BASE" "")"
  )
  for b in connspy connspy-stream; do
    cmp -s <(eval "$( [ $b = connspy ] && q "$BIN" "" || s "$BIN" "")") \
           <(eval "$( [ $b = connspy ] && q "$BASE" "" || s "$BASE" "")") \
      || { echo "the base $b prints otherwise" >&2; exit 1; }
  done
  echo "checked: the base build prints the same default output"
fi

uptime
args=()
for ((i = 0; i < ${#cmds[@]}; i += 2)); do args+=(-n "${cmds[i]}" "${cmds[i + 1]}"); done
hyperfine -N -w "$WARMUP" -r "$RUNS" --export-json "$RESULTS/summary.json" "${args[@]}" > /dev/null
uptime
for ((i = 0; i < ${#cmds[@]}; i += 2)); do
  /usr/bin/time -f "%M" -o "$RESULTS/summary-rss-$((i / 2)).txt" ${cmds[i + 1]} > /dev/null
done
# Median wall and mean CPU (user + sys) per command, each relative to the
# plain host query (connspy) or the default run (connspy-stream), and the
# peak RSS.
python3 - "$RESULTS" "${#cmds[@]}" << 'PY' | tee "$RESULTS/summary.md"
import json, sys
results, n = sys.argv[1], int(sys.argv[2]) // 2
runs = json.load(open(f"{results}/summary.json"))["results"]
rss = [int(open(f"{results}/summary-rss-{i}.txt").read().split()[-1]) for i in range(n)]
cpu = lambda r: r["user"] + r["system"]
base = {"connspy": runs[0], "connspy-stream": runs[4]}
print("| command | median wall [ms] | vs default | mean CPU [ms] | vs default | peak RSS [MB] |")
print("|:---|---:|---:|---:|---:|---:|")
for r, kb in zip(runs, rss):
    ref = base[r["command"].removeprefix("base: ").split()[0]]
    print(f"| `{r['command']}` | {r['median'] * 1e3:.1f} | {r['median'] / ref['median']:.2f} "
          f"| {cpu(r) * 1e3:.1f} | {cpu(r) / cpu(ref):.2f} | {kb / 1024:.1f} |")
PY
