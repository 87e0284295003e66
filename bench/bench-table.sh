#!/usr/bin/env bash
# bench-table.sh [LOG] - every figure of the performance table of
# docs/performance.md on LOG (default target/bench-data/log-many-30M.txt;
# log-30M.txt gives the 10,000-host table), side by side in ONE hyperfine
# run, then peak RSS, then the ratios the goals are stated in.
#
# Commands of the one run (popular and rare host from NAME.hosts or
# hosts.txt beside LOG, see make-logs.sh):
#   wc -l                                  the floor: reading the bytes
#   connspy full window, rare host
#   connspy full window, popular host
#   connspy --nofastseek full window, popular host
#   connspy one-hour window (the hour at the middle byte), popular host
#   rg | mawk full window, popular host    (as in bench-connspy.sh)
#   DuckDB one-hour window, popular host
#   connspy-stream --to POPULAR --from RARE
#   DuckDB, the same job as connspy-stream (bench/common.sh's SQL)
# Then one run of each of ours under /usr/bin/time -v for peak RSS (and the
# peak anonymous RSS), and a summary of medians, user+sys CPU and ratios
# from the JSON. Two more sections run when their logs exist beside LOG:
#   windows: on log-3M.txt, connspy-stream with the default window against
#            --window 300s and 60s with --max-log-late-seconds 86400 (time
#            and peak RSS: memory per open window);
#   stress:  on stress-2M-sources.txt (one hour, 2M sources to `target`),
#            connspy-stream --to target --from target, time and peak RSS.
# DuckDB is skipped when its python module is missing (pip install duckdb).
# Results: target/bench-results/table-NAME{.md,.json,-rss.md,-summary.md}
# and windows-*/stress-*; knobs (RUNS, WARMUP, BIN, ...) in bench/common.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
load_log "${1:-$ROOT/target/bench-data/log-many-30M.txt}"
have_ours connspy connspy-stream || exit 1
DIR=$(dirname "$LOG")

FULL=(1000000000000 9999999999999)
MIDTS=$(tail -c +$((BYTES / 2)) "$LOG" | sed -n 2p | awk '{print $1}')
HOUR=($((MIDTS / 3600000 * 3600000)) $((MIDTS / 3600000 * 3600000 + 3600000)))
echo "windows: full ${FULL[*]}, 1h ${HOUR[*]}"

A="$(q "$BIN/connspy")"
S="$(q "$BIN/connspy-stream") --to $(q "$POPULAR") --from $(q "$RARE")"
ours=(
  "connspy full rare" "$A --to $(q "$RARE") --time_init ${FULL[0]} --time_end ${FULL[1]} $F"
  "connspy full popular" "$A --to $(q "$POPULAR") --time_init ${FULL[0]} --time_end ${FULL[1]} $F"
  "connspy --nofastseek full popular" "$A --to $(q "$POPULAR") --time_init ${FULL[0]} --time_end ${FULL[1]} --nofastseek $F"
  "connspy 1h popular" "$A --to $(q "$POPULAR") --time_init ${HOUR[0]} --time_end ${HOUR[1]} $F"
  "connspy-stream" "$S $F"
)
same_output "connspy full popular" "${ours[3]}" "$(awk_a "$POPULAR" "${FULL[@]}")"
same_output "connspy 1h popular" "${ours[7]}" "$(awk_a "$POPULAR" "${HOUR[@]}")"
peers=("rg+mawk full popular" "$(rg_a "$POPULAR" "${FULL[@]}")")
if [ $HAVE_DUCK = 1 ]; then
  peers+=("duckdb 1h popular" "$(duck_a "$POPULAR" "${HOUR[@]}")"
    "duckdb stream job" "$(duck_b "$POPULAR" "$RARE")")
fi
# Output to /dev/null for every command (hyperfine discards it too, but the
# RSS runs below go through bash).
quiet=()
for ((i = 0; i < ${#ours[@]}; i += 2)); do quiet+=("${ours[i]}" "${ours[i + 1]} > /dev/null"); done

TAG=table-$NAME
echo "load before: $(uptime)"
bench "$TAG" wc-l "wc -l $F" "${quiet[@]}" "${peers[@]}"
echo "load after: $(uptime)"
rss "$TAG" "${quiet[@]}"

# summary TAG: medians, user+sys CPU and the goal ratios from TAG.json.
summary() {
  python3 - "$RESULTS/$1.json" > "$RESULTS/$1-summary.md" <<'EOF'
import json, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
def med(name):
    return runs[name]["median"] if name in runs else None
print("| command | median | mean ± σ | user+sys CPU |")
print("|:---|---:|---:|---:|")
for name, r in runs.items():
    print(f"| `{name}` | {r['median']:.3f} s | {r['mean']:.3f} ± {r['stddev']:.3f} s | "
          f"{r['user'] + r['system']:.3f} s |")
print()
wc = med("wc-l")
def ratio(label, a, b, goal):
    if med(a) is not None and med(b) is not None:
        print(f"- {label}: {med(a) / med(b):.2f} (goal {goal})")
ratio("connspy rare / wc -l", "connspy full rare", "wc-l", "<= 1.5")
ratio("connspy popular / wc -l", "connspy full popular", "wc-l", "<= 2")
ratio("rg|mawk / connspy popular", "rg+mawk full popular", "connspy full popular", ">= 8")
ratio("connspy --nofastseek popular / wc -l", "connspy --nofastseek full popular", "wc-l", "<= 3")
if med("connspy 1h popular") is not None:
    print(f"- connspy one-hour window: {1000 * med('connspy 1h popular'):.1f} ms (goal <= 10 ms)")
ratio("DuckDB / connspy-stream", "duckdb stream job", "connspy-stream", ">= 4")
ratio("DuckDB one hour / connspy one hour", "duckdb 1h popular", "connspy 1h popular", "none")
EOF
}
summary "$TAG"
show "$TAG"
echo; cat "$RESULTS/$TAG-summary.md"

# ---- memory per open window --------------------------------------------------
if [ -f "$DIR/log-3M.txt" ]; then
  L3=$(q "$DIR/log-3M.txt")
  late="--max-log-late-seconds 86400"
  W="$(q "$BIN/connspy-stream") --to $(q "$POPULAR") --from $(q "$RARE")"
  # (names must not start with "-": hyperfine would take them for options)
  win=("default window" "$W $L3 > /dev/null"
    "window 1h, late 86400" "$W --window 1h $late $L3 > /dev/null"
    "window 300s, late 86400" "$W --window 300s $late $L3 > /dev/null"
    "window 60s, late 86400" "$W --window 60s $late $L3 > /dev/null")
  bench "windows-$NAME" "${win[@]}"
  rss "windows-$NAME" "${win[@]}"
  summary "windows-$NAME"
  show "windows-$NAME"
  echo; cat "$RESULTS/windows-$NAME-summary.md"
fi

# ---- the 2M-source stress hour -------------------------------------------------
if [ -f "$DIR/stress-2M-sources.txt" ]; then
  ST=$(q "$DIR/stress-2M-sources.txt")
  T="$(q "$BIN/connspy-stream") --to target --from target"
  stress=("stress connspy-stream" "$T $ST > /dev/null"
    "stress connspy-stream --top-capacity 100000" "$T --top-capacity 100000 $ST > /dev/null")
  bench "stress-$NAME" "${stress[@]}"
  rss "stress-$NAME" "${stress[@]}"
  summary "stress-$NAME"
  show "stress-$NAME"
  echo; cat "$RESULTS/stress-$NAME-summary.md"
fi
