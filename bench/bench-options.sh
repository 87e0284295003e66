#!/usr/bin/env bash
# bench-options.sh [LOG] - what the opt-in options of `connspy-stream` cost,
# timed side by side with the default in one hyperfine run on LOG (default
# target/bench-data/log-30M.txt, from bench/make-logs.sh).
#
# Commands (all `--to TO --from FROM LOG > /dev/null`, TO and FROM as in
# bench-stream.sh): the default; --format csv; --format jsonl; --top 10;
# --top 10 --format jsonl; --emit-counts --format jsonl; --window 5m;
# --top 10 --top-capacity 100000 (room for every host of an hour), with
# Bloom lists and with --exact ones, and 1000 (fewer counters than an
# hour's hosts: it evicts).
# BASE=/path/to/an/older/connspy-stream adds that build's default run as a
# row, to see that the default did not slow down. Before timing it checks
# that the JSON Lines output has the default's rows and that --top-capacity
# with room for every host prints what exact counts print (VERIFY=0 skips
# that). Results: target/bench-results/options-NAME{.md,.json,-cpu.md};
# knobs in bench/common.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
load_log "${1:-}"
TO=${TO:-$POPULAR}
FROM=${FROM:-$RARE}
have_ours connspy-stream || exit 1
S="$(q "$BIN/connspy-stream") --to $(q "$TO") --from $(q "$FROM")"
run() { echo "$S $* $F"; }

if [ "$VERIFY" = 1 ]; then
  tsv=$(bash -c "$(run) | wc -l")
  jsonl=$(bash -c "$(run --format jsonl) | wc -l")
  [ "$tsv" = "$jsonl" ] && echo "verified: --format jsonl prints the default's $tsv rows" \
    || echo "WARNING: $tsv TSV rows but $jsonl JSON Lines rows" >&2
  same_output "--top-capacity 1000000" "$(run --top 10 --top-capacity 1000000)" "$(run --top 10)"
fi

TAG=options-$NAME
set --
if [ -n "${BASE:-}" ]; then
  set -- "base: connspy-stream (default)" "$(q "$BASE") --to $(q "$TO") --from $(q "$FROM") $F > /dev/null"
fi
for opts in "" "--format csv" "--format jsonl" "--top 10" "--top 10 --format jsonl" \
    "--emit-counts --format jsonl" "--window 5m" "--top 10 --top-capacity 100000" \
    "--top 10 --top-capacity 100000 --exact" "--top 10 --top-capacity 1000"; do
  set -- "$@" "connspy-stream ${opts:-(default)}" "$(run $opts) > /dev/null"
done
bench "$TAG" "$@"
show "$TAG"

# Wall time on a shared machine moves with the neighbours' load; CPU time
# (user + system, both threads) much less. A second table, from hyperfine's
# JSON: median wall time and mean CPU time, each relative to the default.
python3 - "$RESULTS/$TAG.json" > "$RESULTS/$TAG-cpu.md" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
cpu = lambda r: r["user"] + r["system"]  # means over the runs
base = next(r for r in runs if r["command"] == "connspy-stream (default)")
print("| Command | Median wall [s] | vs default | Mean CPU [s] | vs default |")
print("|:---|---:|---:|---:|---:|")
for r in runs:
    print(f"| `{r['command']}` | {r['median']:.3f} | {r['median'] / base['median']:.2f} "
          f"| {cpu(r):.3f} | {cpu(r) / cpu(base):.2f} |")
PY
echo; cat "$RESULTS/$TAG-cpu.md"; echo; echo "(table in $RESULTS/$TAG-cpu.md)"
