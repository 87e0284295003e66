#!/usr/bin/env bash
# bench-summary.sh - what connspy --summary, the record filters and --to
# with --from cost on a 1M-record Zeek TSV conn.log, beside the plain host
# query, and connspy-stream's filters beside its default; with BASE= an
# older build, that build's default runs as rows too (the default path
# before and after). Figures: docs/performance.md, "Filters and --summary".
#
# The log (target/bench-data/formats/zeek-1M.log, as bench-formats.sh
# makes it) is made by examples/genlog.rs when missing: 1,000,000 records
# over one day, every host an IPv4 address, L = 300 s. Before timing, the
# outputs are checked: --summary lists the host query's hosts, in its
# order, and its records add up to the query's records (counted by awk);
# --dport 443 answers what awk answers; a BASE build prints the default
# outputs this one does. Timing runs in interleaved rounds (below), then
# one /usr/bin/time run per command gives its peak RSS. Environment: RUNS
# (rounds, 10), WARMUP (rounds, 2), BIN (target/release), BASE (a
# directory with older connspy and connspy-stream binaries), RESULTS
# (target/bench-results).
set -euo pipefail
export LC_ALL=C
source "$(dirname "$0")/formats-env.sh"
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
# Interleaved rounds, not hyperfine's one command after the other: the
# machine's load drifts over a run, and each round runs every command once
# within a second or so, so a ratio taken within a round compares runs
# under the same load. Per command: the fastest and the median wall time,
# the median CPU time (user + sys) and, per round, the wall and CPU time
# relative to the plain host query (connspy) or the default run
# (connspy-stream), medians over the rounds; then the peak RSS.
python3 - "$RESULTS" "$RUNS" "$WARMUP" "${cmds[@]}" << 'PY' | tee "$RESULTS/summary.md"
import os, resource, statistics, subprocess, sys, time
results, runs, warmup, rest = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
names, commands = rest[0::2], [c.split() for c in rest[1::2]]
def once(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss
for _ in range(warmup):
    for argv in commands:
        once(argv)
rounds = [[once(argv)[:2] for argv in commands] for _ in range(runs)]
# Each command's reference: the first command of its tool.
tool = lambda name: name.removeprefix("base: ").split()[0]
ref = {n: next(i for i, m in enumerate(names) if tool(m) == tool(n)) for n in names}
print(f"{runs} rounds\n")
print("| command | fastest wall [ms] | median wall [ms] | median CPU [ms] "
      "| wall vs default | CPU vs default | peak RSS [MB] |")
print("|:---|---:|---:|---:|---:|---:|---:|")
for i, name in enumerate(names):
    walls = [r[i][0] for r in rounds]
    cpus = [r[i][1] for r in rounds]
    wall_ratio = statistics.median(r[i][0] / r[ref[name]][0] for r in rounds)
    cpu_ratio = statistics.median(r[i][1] / r[ref[name]][1] for r in rounds)
    # Peak RSS of one more run on its own (getrusage's is the largest child's).
    rss = subprocess.run(["/usr/bin/time", "-f", "%M"] + commands[i], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=True).stderr.split()[-1]
    print(f"| `{name}` | {min(walls) * 1e3:.1f} | {statistics.median(walls) * 1e3:.1f} "
          f"| {statistics.median(cpus) * 1e3:.1f} | {wall_ratio:.2f} | {cpu_ratio:.2f} "
          f"| {int(rss) / 1024:.1f} |")
PY
uptime
