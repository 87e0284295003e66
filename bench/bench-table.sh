#!/usr/bin/env bash
# bench-table.sh [LOG] - every figure of the performance table of
# docs/performance.md on LOG (default target/bench-data/log-many-30M.txt;
# log-30M.txt gives the 10,000-host table), side by side in ONE hyperfine
# run, then peak RSS, then the CPU per record of each of ours, then the
# ratios the goals are stated in.
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
# With BASE=DIR (another build's connspy and connspy-stream, e.g. the
# commit before a change), that build's runs of each of ours too ("base:"),
# after checking that every one prints exactly what ours prints.
# Then one run of each of ours under /usr/bin/time -v for peak RSS (and the
# peak anonymous RSS); then CPU_RUNS rounds (3) of each of ours, and of
# connspy-stream, connspy popular and --nofastseek under `taskset -c 0`
# (one core), under /usr/bin/time: user+sys CPU per record of the log, the
# median and the worst of the rounds, and with BASE the ratio to the base
# build's run of the same round, the worst of the rounds (a round runs
# every command in turn, so both sides of a ratio met the same load).
# The summary gives medians, CPU and ratios from the JSON, the CPU table,
# and the goals. Two more sections run when their logs exist beside LOG:
#   windows: on log-3M.txt, connspy-stream with the default window against
#            --window 300s and 60s with --max-log-late-seconds 86400 (time
#            and peak RSS: memory per open window);
#   stress:  on stress-2M-sources.txt (one hour, 2M sources to `target`),
#            connspy-stream --to target --from target, time and peak RSS.
# (each with the BASE build's runs too when set).
# DuckDB is skipped when its python module is missing (pip install duckdb).
# Results: target/bench-results/table-NAME{.md,.json,-rss.md,-cpu.tsv,
# -summary.md} and windows-*/stress-*; knobs (RUNS, WARMUP, BIN, BASE,
# CPU_RUNS, ...) in bench/common.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
load_log "${1:-$ROOT/target/bench-data/log-many-30M.txt}"
have_ours connspy connspy-stream || exit 1
need taskset util-linux
if [ -n "${BASE:-}" ]; then
  for b in connspy connspy-stream; do
    [ -x "$BASE/$b" ] || { echo "no $BASE/$b (BASE must hold both tools)" >&2; exit 1; }
  done
fi
DIR=$(dirname "$LOG")

FULL=(1000000000000 9999999999999)
MIDTS=$(tail -c +$((BYTES / 2)) "$LOG" | sed -n 2p | awk '{print $1}')
HOUR=($((MIDTS / 3600000 * 3600000)) $((MIDTS / 3600000 * 3600000 + 3600000)))
echo "windows: full ${FULL[*]}, 1h ${HOUR[*]}"

# ours BIN_DIR PREFIX: the commands of one build, named PREFIX + job, with
# their output to /dev/null (hyperfine discards it too, but the RSS and CPU
# runs go through bash); QUIET and LOUD (the same, printing) are set.
ours() {
  local A S
  A="$(q "$1/connspy")"
  S="$(q "$1/connspy-stream") --to $(q "$POPULAR") --from $(q "$RARE")"
  LOUD=(
    "${2}connspy full rare" "$A --to $(q "$RARE") --time_init ${FULL[0]} --time_end ${FULL[1]} $F"
    "${2}connspy full popular" "$A --to $(q "$POPULAR") --time_init ${FULL[0]} --time_end ${FULL[1]} $F"
    "${2}connspy --nofastseek full popular" "$A --to $(q "$POPULAR") --time_init ${FULL[0]} --time_end ${FULL[1]} --nofastseek $F"
    "${2}connspy 1h popular" "$A --to $(q "$POPULAR") --time_init ${HOUR[0]} --time_end ${HOUR[1]} $F"
    "${2}connspy-stream" "$S $F"
  )
  QUIET=()
  local i
  for ((i = 0; i < ${#LOUD[@]}; i += 2)); do QUIET+=("${LOUD[i]}" "${LOUD[i + 1]} > /dev/null"); done
}
# one_core LIST...: the one-core CPU runs of the jobs whose names (QUIET's)
# are given, as "NAME, one core" under taskset -c 0.
one_core() {
  local i want
  for ((i = 0; i < ${#QUIET[@]}; i += 2)); do
    for want in "$@"; do
      if [ "${QUIET[i]}" = "$want" ]; then
        ONE+=("${QUIET[i]}, one core" "taskset -c 0 ${QUIET[i + 1]}")
      fi
    done
  done
}
SINGLE=("connspy full popular" "connspy --nofastseek full popular" "connspy-stream")

ours "$BIN" ""
mine=("${LOUD[@]}")
timed=("${QUIET[@]}")
ONE=()
one_core "${SINGLE[@]}"
same_output "connspy full popular" "${mine[3]}" "$(awk_a "$POPULAR" "${FULL[@]}")"
same_output "connspy 1h popular" "${mine[7]}" "$(awk_a "$POPULAR" "${HOUR[@]}")"
if [ -n "${BASE:-}" ]; then
  ours "$BASE" "base: "
  for ((i = 0; i < ${#LOUD[@]}; i += 2)); do
    same_output "${mine[i]}" "${mine[i + 1]}" "${LOUD[i + 1]}"
  done
  timed+=("${QUIET[@]}")
  one_core "${SINGLE[@]/#/base: }"
fi
peers=("rg+mawk full popular" "$(rg_a "$POPULAR" "${FULL[@]}")")
if [ $HAVE_DUCK = 1 ]; then
  peers+=("duckdb 1h popular" "$(duck_a "$POPULAR" "${HOUR[@]}")"
    "duckdb stream job" "$(duck_b "$POPULAR" "$RARE")")
fi

TAG=table-$NAME
echo "load before: $(uptime)"
bench "$TAG" wc-l "wc -l $F" "${timed[@]}" "${peers[@]}"
echo "load after the timed run: $(uptime)"
rss "$TAG" "${timed[@]}"
cpu_runs "$TAG" wc-l "wc -l $F > /dev/null" "${timed[@]}" "${ONE[@]}"
echo "load after the CPU runs: $(uptime)"

# summary TAG: medians, user+sys CPU and the goal ratios from TAG.json,
# then CPU per record from TAG-cpu.tsv and peak RSS from TAG-rss.md.
summary() {
  python3 - "$RESULTS/$1" "$LINES" "${BASE:+1}" > "$RESULTS/$1-summary.md" <<'EOF'
import json, os, re, statistics, sys
from collections import defaultdict
tag, records, has_base = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
runs = {r["command"]: r for r in json.load(open(tag + ".json"))["results"]}
cpu = defaultdict(dict)  # name -> round -> seconds
if os.path.exists(tag + "-cpu.tsv"):
    for line in open(tag + "-cpu.tsv"):
        name, rnd, secs = line.rstrip("\n").split("\t")
        cpu[name][int(rnd)] = float(secs)
def med(name):
    return runs[name]["median"] if name in runs else None
def per_record(secs):
    return f"{1e9 * secs / records:.1f} ns"
def cpu_note(name):
    """The job's CPU per record (median of the CPU rounds), for a ratio."""
    if name in cpu:
        return f"{per_record(statistics.median(cpu[name].values()))}/record"
    if name in runs:
        r = runs[name]
        return f"{per_record(r['user'] + r['system'])}/record (hyperfine mean)"
    return ""
print(f"{records} records (lines) in the log.")
print()
print("| command | median | mean ± σ | user+sys CPU | CPU per record |")
print("|:---|---:|---:|---:|---:|")
for name, r in runs.items():
    c = r["user"] + r["system"]
    print(f"| `{name}` | {r['median']:.3f} s | {r['mean']:.3f} ± {r['stddev']:.3f} s | "
          f"{c:.3f} s | {per_record(c)} |")
print()
def ratio(label, a, b, goal):
    if med(a) is not None and med(b) is not None:
        notes = "; ".join(f"`{n}` {cpu_note(n)}" for n in (a, b) if cpu_note(n))
        print(f"- {label}: {med(a) / med(b):.2f} (goal {goal}); CPU: {notes}")
ratio("connspy rare / wc -l", "connspy full rare", "wc-l", "<= 1.5")
ratio("connspy popular / wc -l", "connspy full popular", "wc-l", "<= 2")
ratio("rg|mawk / connspy popular", "rg+mawk full popular", "connspy full popular", ">= 8")
ratio("connspy --nofastseek popular / wc -l", "connspy --nofastseek full popular", "wc-l", "<= 3")
if med("connspy 1h popular") is not None:
    print(f"- connspy one-hour window: {1000 * med('connspy 1h popular'):.1f} ms (goal <= 10 ms)")
ratio("DuckDB / connspy-stream", "duckdb stream job", "connspy-stream", ">= 4 (>= 8 after the CPU work)")
ratio("DuckDB one hour / connspy one hour", "duckdb 1h popular", "connspy 1h popular", "none")
if cpu:
    print()
    rounds = max(len(v) for v in cpu.values())
    if has_base:
        print(f"CPU (user+sys) per record, {rounds} rounds; after/before: this build's CPU over "
              "the base build's in the same round, the worst (highest) round and the median.")
        print()
        print("| command | before: median | after: median | after: worst | after/before: worst | median |")
        print("|:---|---:|---:|---:|---:|---:|")
    else:
        print(f"CPU (user+sys) per record, {rounds} rounds.")
        print()
        print("| command | median | worst |")
        print("|:---|---:|---:|")
    ratios = {}
    for name, by_round in cpu.items():
        if name.startswith("base: "):
            continue
        mid, worst = statistics.median(by_round.values()), max(by_round.values())
        base = cpu.get("base: " + name)
        # (a job too short for /usr/bin/time's hundredths has no ratio)
        paired = [by_round[r] / base[r] for r in by_round if base and base.get(r, 0) > 0]
        if paired:
            ratios[name] = (max(paired), statistics.median(paired))
            print(f"| `{name}` | {per_record(statistics.median(base.values()))} | {per_record(mid)} | "
                  f"{per_record(worst)} | **{max(paired):.2f}** | {statistics.median(paired):.2f} |")
        elif has_base:
            before = per_record(statistics.median(base.values())) if base else ""
            print(f"| `{name}` | {before} | {per_record(mid)} | {per_record(worst)} | | |")
        else:
            print(f"| `{name}` | {per_record(mid)} | {per_record(worst)} |")
    if ratios:
        print()
        def goal(label, name, limit):
            if name in ratios:
                worst = ratios[name][0]
                print(f"- {label}: CPU per record {worst:.2f} of before, worst round "
                      f"(goal <= {limit}): {'met' if worst <= limit else '**not met**'}")
        goal("connspy-stream", "connspy-stream", 0.45)
        goal("connspy-stream on one core", "connspy-stream, one core", 0.45)
        goal("connspy popular", "connspy full popular", 0.55)
        goal("connspy popular on one core", "connspy full popular, one core", 0.55)
if has_base and os.path.exists(tag + "-rss.md"):
    rss = {}
    for line in open(tag + "-rss.md"):
        m = re.match(r"\| `(.*)` \| ([0-9.]+) \| ([0-9.]+) \|", line)
        if m:
            rss[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    for name in [n for n in rss if not n.startswith("base: ")]:
        base = rss.get("base: " + name)
        if base:
            mine = rss[name]
            # One run each: a difference within 2% is run-to-run noise (how
            # many chunks happened to be in flight, pages of a mapped log).
            verdict = "no higher" if mine[0] <= base[0] * 1.02 else "**higher**"
            print(f"- peak RSS of `{name}`: {mine[0]:.1f} MiB (anonymous {mine[1]:.1f}) against "
                  f"{base[0]:.1f} ({base[1]:.1f}) before: {verdict} "
                  f"({100 * (mine[0] / base[0] - 1):+.1f}%)")
EOF
}
summary "$TAG"
show "$TAG"
echo; cat "$RESULTS/$TAG-summary.md"

# section TAG LOG NAME OPTIONS...: one connspy-stream command per
# NAME/OPTIONS pair on LOG, with the BASE build's beside it when set (its
# output checked against ours first); timed, peak RSS, summary.
section() {
  local tag=$1 log=$2; shift 2
  local runs=() W
  while [ $# -gt 0 ]; do
    W="$(q "$BIN/connspy-stream") $2 $log"
    runs+=("$1" "$W > /dev/null")
    if [ -n "${BASE:-}" ]; then
      same_output "$1" "$W" "$(q "$BASE/connspy-stream") $2 $log"
      runs+=("base: $1" "$(q "$BASE/connspy-stream") $2 $log > /dev/null")
    fi
    shift 2
  done
  bench "$tag" "${runs[@]}"
  rss "$tag" "${runs[@]}"
  summary "$tag"
  show "$tag"
  echo; cat "$RESULTS/$tag-summary.md"
}

# ---- memory per open window --------------------------------------------------
if [ -f "$DIR/log-3M.txt" ]; then
  late="--max-log-late-seconds 86400"
  P="--to $(q "$POPULAR") --from $(q "$RARE")"
  # (names must not start with "-": hyperfine would take them for options)
  LINES=$(wc -l < "$DIR/log-3M.txt") section "windows-$NAME" "$(q "$DIR/log-3M.txt")" \
    "default window" "$P" \
    "window 1h, late 86400" "$P --window 1h $late" \
    "window 300s, late 86400" "$P --window 300s $late" \
    "window 60s, late 86400" "$P --window 60s $late"
fi

# ---- the 2M-source stress hour -------------------------------------------------
if [ -f "$DIR/stress-2M-sources.txt" ]; then
  LINES=$(wc -l < "$DIR/stress-2M-sources.txt") section "stress-$NAME" "$(q "$DIR/stress-2M-sources.txt")" \
    "stress connspy-stream" "--to target --from target" \
    "stress connspy-stream --top-capacity 100000" "--to target --from target --top-capacity 100000"
fi
