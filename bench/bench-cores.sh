#!/usr/bin/env bash
# bench-cores.sh [LOG] - connspy-stream on one core (taskset -c 0) and on
# every core, side by side in one hyperfine run; with BASE=DIR (a directory
# holding another build's connspy-stream, e.g. the commit before a change)
# that build's two runs too. LOG defaults to target/bench-data/log-many-30M.txt.
#
# Before timing, the outputs of all the runs must be byte-identical (the
# chunks counted on several cores add up to one pass). After it, the
# summary gives each run's median, user+sys CPU, and CPU over wall time
# (how many cores' worth the run kept busy), then peak RSS of each.
# TO and FROM default to the popular and the rare host (see make-logs.sh);
# EXTRA adds options (e.g. EXTRA="--window 5m --max-log-late-seconds 0",
# a bound the 10,000-host log breaks in every chunk) and TAG names the run.
# Results: target/bench-results/cores-NAME{.md,.json,-rss.md,-summary.md};
# knobs (RUNS, WARMUP, BIN, ...) in bench/common.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
load_log "${1:-$ROOT/target/bench-data/log-many-30M.txt}"
have_ours connspy-stream || exit 1
need taskset util-linux
TO=${TO:-$POPULAR}
FROM=${FROM:-$RARE}
echo "--to $TO --from $FROM"

ARGS="--to $(q "$TO") --from $(q "$FROM") ${EXTRA:-} $F"
runs=(
  "one core" "taskset -c 0 $(q "$BIN/connspy-stream") $ARGS"
  "all cores" "$(q "$BIN/connspy-stream") $ARGS"
)
if [ -n "${BASE:-}" ]; then
  runs+=(
    "base, one core" "taskset -c 0 $(q "$BASE/connspy-stream") $ARGS"
    "base, all cores" "$(q "$BASE/connspy-stream") $ARGS"
  )
fi
for ((i = 2; i < ${#runs[@]}; i += 2)); do
  same_output "${runs[i]}" "${runs[i + 1]}" "${runs[1]}"
done
quiet=()
for ((i = 0; i < ${#runs[@]}; i += 2)); do quiet+=("${runs[i]}" "${runs[i + 1]} > /dev/null"); done

TAG=${TAG:-cores-$NAME}
echo "load before: $(uptime)"
bench "$TAG" "${quiet[@]}"
echo "load after: $(uptime)"
rss "$TAG" "${quiet[@]}"
python3 - "$RESULTS/$TAG.json" > "$RESULTS/$TAG-summary.md" <<'EOF'
import json, sys
print("| run | median | user+sys CPU | CPU / wall |")
print("|:---|---:|---:|---:|")
for r in json.load(open(sys.argv[1]))["results"]:
    cpu = r["user"] + r["system"]
    print(f"| `{r['command']}` | {r['median']:.3f} s | {cpu:.3f} s | {cpu / r['mean']:.2f} |")
EOF
show "$TAG"
echo
cat "$RESULTS/$TAG-summary.md"
