#!/usr/bin/env bash
# bench-formats.sh - times both tools on a 1M-line Zeek TSV conn.log beside
# the plain log of the same records, in one hyperfine run (the formats'
# speed goals; figures in docs/performance.md, "Log formats").
#
# The logs (target/bench-data/formats/{plain,zeek}-1M.log) are made by
# examples/genlog.rs when missing: 1,000,000 records over one day, every
# host an IPv4 address (--ip-fraction 1), L = 300 s. Before timing, each
# Zeek command's output is checked to equal the plain one's.
#
# Commands: connspy on a one-hour window (L = 300 s, and L = 3600 s as
# docs/formats.md advises for real Zeek logs), connspy and connspy-stream
# over the whole day, and --to with the popular host's /16 network beside
# --to the host alone. Environment: RUNS (10), WARMUP (2), BIN
# (target/release), RESULTS (target/bench-results), BASE (unset: a directory
# holding another build's connspy and connspy-stream; each command's output
# is then checked to equal that build's, whose runs join the timed one as
# "base: ...", with the CPU per record of both).
set -euo pipefail
source "$(dirname "$0")/formats-env.sh"
command -v hyperfine > /dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$BIN/connspy" ] && [ -x "$BIN/connspy-stream" ] && [ -x "$BIN/examples/genlog" ] \
  || { echo "build first: cargo build --release --bins --examples" >&2; exit 1; }

GEN=(--lines 1000000 --ip-fraction 1.0)
[ -f "$DATA/plain-1M.log" ] || "$BIN/examples/genlog" "${GEN[@]}" --out "$DATA/plain-1M.log"
[ -f "$DATA/zeek-1M.log" ] || "$BIN/examples/genlog" "${GEN[@]}" --log-format zeek --out "$DATA/zeek-1M.log"
PLAIN=$DATA/plain-1M.log
ZEEK=$DATA/zeek-1M.log
cat "$PLAIN" "$ZEEK" > /dev/null   # warm the page cache

HOST=10.6.177.146   # the most popular TO host of these records
NET=10.6.0.0/16
OTHER=10.113.125.2  # the second, for connspy-stream --from
HOUR=(--time-init 1565690400 --time-end 1565694000)        # 12:00-13:00 of the day
DAY=(--time-init 1565647200 --time-end 1565733600)
PB=$(stat -c %s "$PLAIN"); ZB=$(stat -c %s "$ZEEK")
echo "plain: $PB bytes; zeek: $ZB bytes ($(awk "BEGIN{printf \"%.2f\", $ZB/$PB}")x)"

q() { echo "$BIN/connspy $*"; }
s() { echo "$BIN/connspy-stream $*"; }
same() {  # same NAME PLAIN_CMD ZEEK_CMD
  if ! cmp -s <(eval "$2" 2> /dev/null) <(eval "$3" 2> /dev/null); then
    echo "outputs differ: $1" >&2; exit 1
  fi
}
cmds=(
  "plain 1h" "$(q --to $HOST "${HOUR[*]}" "$PLAIN")"
  "zeek 1h" "$(q --to $HOST "${HOUR[*]}" "$ZEEK")"
  "zeek 1h L=3600" "$(q --to $HOST "${HOUR[*]}" --max-log-late-seconds 3600 "$ZEEK")"
  "plain full --to host" "$(q --to $HOST "${DAY[*]}" "$PLAIN")"
  "zeek full --to host" "$(q --to $HOST "${DAY[*]}" "$ZEEK")"
  "plain full --to /16" "$(q --to $NET "${DAY[*]}" "$PLAIN")"
  "zeek full --to /16" "$(q --to $NET "${DAY[*]}" "$ZEEK")"
  "plain full --no-fast-seek" "$(q --to $HOST "${DAY[*]}" --no-fast-seek "$PLAIN")"
  "zeek full --no-fast-seek" "$(q --to $HOST "${DAY[*]}" --no-fast-seek "$ZEEK")"
  "plain stream" "$(s --to $HOST --from $OTHER "$PLAIN")"
  "zeek stream" "$(s --to $HOST --from $OTHER "$ZEEK")"
  "plain stream /16" "$(s --to $NET --from $OTHER "$PLAIN")"
  "zeek stream /16" "$(s --to $NET --from $OTHER "$ZEEK")"
)
same "1h" "${cmds[1]}" "${cmds[3]}"
same "full host" "${cmds[7]}" "${cmds[9]}"
same "full /16" "${cmds[11]}" "${cmds[13]}"
same "no-fast-seek" "${cmds[15]}" "${cmds[17]}"
same "stream" "${cmds[19]}" "${cmds[21]}"
same "stream /16" "${cmds[23]}" "${cmds[25]}"
echo "outputs of the Zeek log equal those of the plain log"
if [ -n "${BASE:-}" ]; then
  n=${#cmds[@]}
  for ((i = 0; i < n; i += 2)); do
    base_cmd=${cmds[i + 1]//"$BIN/"/"$BASE/"}
    same "${cmds[i]}, this build against the base build" "${cmds[i + 1]}" "$base_cmd"
    cmds+=("base: ${cmds[i]}" "$base_cmd")
  done
  echo "every output equals the base build's"
fi
uptime
args=()
for ((i = 0; i < ${#cmds[@]}; i += 2)); do args+=(-n "${cmds[i]}" "${cmds[i + 1]}"); done
hyperfine -N -w "$WARMUP" -r "$RUNS" --export-markdown "$RESULTS/formats.md" \
  --export-json "$RESULTS/formats.json" "${args[@]}"
uptime
# Median wall and user+sys CPU per command, and per MB of its log.
python3 - "$RESULTS/formats.json" "$PB" "$ZB" << 'PY'
import json, statistics, sys
runs = json.load(open(sys.argv[1]))["results"]
pb, zb = int(sys.argv[2]), int(sys.argv[3])
records = 1_000_000
print(f"{'command':34} {'median ms':>10} {'cpu ms (mean)':>14} {'ms/100MB':>9} {'cpu ns/record':>14}")
for r in runs:
    name = r["command"]
    med = statistics.median(r["times"]) * 1000
    cpu = (r["user"] + r["system"]) * 1000  # hyperfine gives their means
    size = zb if name.removeprefix("base: ").startswith("zeek") else pb
    print(f"{name:34} {med:10.1f} {cpu:14.1f} {med / size * 1e8:9.1f} {cpu * 1e6 / records:14.1f}")
PY
