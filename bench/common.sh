# common.sh - shared by bench-connspy.sh and bench-stream.sh (source it).
#
# Finds the tools (installing hyperfine, ripgrep and mawk with apt-get when
# missing), the log and its hosts, and runs one hyperfine comparison plus a
# peak-RSS table. The peer commands reproduce /work/shared/bench/peers.sh so
# that these scripts work without it.
#
# Environment: RUNS (5), WARMUP (1), BIN (target/release), RESULTS
# (target/bench-results), POPULAR / RARE (default: from hosts.txt beside the
# log, written by make-logs.sh), DUCK_PY (python3), VERIFY (1: check our
# output against the mawk peer once before timing), BASE (unset: a directory
# holding another build's connspy and connspy-stream, timed beside BIN's by
# the scripts that say so), CPU_RUNS (3: runs of each command whose user+sys
# CPU cpu_runs measures), PEERS (1; 0 when a script times only the tools).

export LC_ALL=C   # byte semantics for awk and rg; hosts are ASCII
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
BIN=${BIN:-$ROOT/target/release}
RESULTS=${RESULTS:-$ROOT/target/bench-results}
DUCK_PY=${DUCK_PY:-python3}
VERIFY=${VERIFY:-1}
CPU_RUNS=${CPU_RUNS:-3}
mkdir -p "$RESULTS"

q() { printf %q "$1"; }   # shell-quote for the command strings hyperfine runs

need() {  # need COMMAND DEBIAN_PACKAGE
  command -v "$1" > /dev/null && return 0
  echo "installing $2 (for $1)" >&2
  apt-get install -y -qq "$2" > /dev/null || { echo "cannot install $2" >&2; exit 1; }
}
need hyperfine hyperfine
[ -x /usr/bin/time ] || need /usr/bin/time time
# PEERS=0 (set by a script that times only the tools): no peers to find.
if [ "${PEERS:-1}" = 1 ]; then
  need rg ripgrep
  need mawk mawk
  # DuckDB is optional: a peer, never a requirement.
  if "$DUCK_PY" -c 'import duckdb' 2> /dev/null; then HAVE_DUCK=1; else
    HAVE_DUCK=0
    echo "note: python module duckdb missing (pip install duckdb): DuckDB peers skipped" >&2
  fi
fi

# load_log [LOG]: sets LOG, F (quoted), NAME, BYTES, LINES, POPULAR, RARE.
load_log() {
  LOG=$(readlink -f "${1:-$ROOT/target/bench-data/log-30M.txt}")
  [ -f "$LOG" ] || { echo "no log $LOG (run bench/make-logs.sh)" >&2; exit 1; }
  F=$(q "$LOG"); NAME=$(basename "$LOG" .txt)
  local hosts; hosts=$(dirname "$LOG")/$NAME.hosts
  [ -f "$hosts" ] || hosts=$(dirname "$LOG")/hosts.txt
  if [ -f "$hosts" ]; then
    POPULAR=${POPULAR:-$(sed -n 's/^popular=//p' "$hosts")}
    RARE=${RARE:-$(sed -n 's/^rare=//p' "$hosts")}
  fi
  [ -n "${POPULAR:-}" ] && [ -n "${RARE:-}" ] \
    || { echo "set POPULAR and RARE (no hosts.txt beside $LOG)" >&2; exit 1; }
  BYTES=$(stat -c %s "$LOG")
  LINES=$(wc -l < "$LOG")   # also warms the page cache
  echo "log $LOG: $BYTES bytes, $LINES lines; popular=$POPULAR rare=$RARE"
}

# have_ours BINARY...: true if all are built; else says so (peers run alone).
have_ours() {
  local b
  for b in "$@"; do
    [ -x "$BIN/$b" ] || { echo "note: $BIN/$b not built: timing the peers only" >&2; return 1; }
  done
}

# ---- peers (as in peers.sh) ---------------------------------------------------
# connspy's job as an awk program, with its stop rule (stop once the newest TS
# seen >= T2 + 300 s); prints hosts in first-seen order. Timestamps in ms.
LATE_MS=300000
AWK_A='BEGIN{a+=0; b+=0; stop=b+late} NF==3{t=$1+0; if(t>m)m=t; if(m>=stop)exit; if(t>=a && t<b && tolower($3)==h){f=tolower($2); if(!(f in s)){s[f]; print f}}}'
awk_a() { echo "mawk -v h=$(q "$1") -v a=$2 -v b=$3 -v late=$LATE_MS $(q "$AWK_A") $F"; }
rg_a() { echo "rg --no-config -i -F -- $(q "$1") $F | mawk -v h=$(q "$1") -v a=$2 -v b=$3 -v late=$LATE_MS $(q "$AWK_A")"; }

# DuckDB reads single-space separated lines with millisecond timestamps.
DUCK_SRC=$(cat <<'EOF'
import sys, duckdb
def src(path):
    p = path.replace("'", "''")
    return (f"read_csv('{p}', delim=' ', header=false, auto_detect=false, "
            "columns={'ts':'BIGINT','f':'VARCHAR','t':'VARCHAR'}, ignore_errors=true)")
EOF
)
# Job A: first-seen order approximated by the earliest timestamp.
DUCK_A=$DUCK_SRC$'\n'$(cat <<'EOF'
path, host, t1, t2 = sys.argv[1], sys.argv[2].lower(), int(sys.argv[3]), int(sys.argv[4])
rows = duckdb.connect().execute(f"""SELECT lower(f) AS host FROM {src(path)}
    WHERE lower(t) = $host AND ts >= $t1 AND ts < $t2 GROUP BY host ORDER BY min(ts)""",
    {"host": host, "t1": t1, "t2": t2}).fetchall()
sys.stdout.write("".join(r[0] + "\n" for r in rows))
EOF
)
duck_a() { echo "$(q "$DUCK_PY") -c $(q "$DUCK_A") $F $(q "$1") $2 $3"; }

# Job B: one scan; each line gives two (hour, host) rows, grouped once by
# (hour, host) for the count and set membership, then by hour.
DUCK_B=$DUCK_SRC$'\n'$(cat <<'EOF'
path, to, frm = sys.argv[1], sys.argv[2].lower(), sys.argv[3].lower()
rows = duckdb.connect().execute(f"""
WITH l AS (SELECT (ts // 3600000) * 3600 AS h, lower(f) AS f, lower(t) AS t FROM {src(path)}),
hh AS (
  SELECT h, host, count(*) AS c,
         bool_or(r = 0 AND o = $to) AS in_to, bool_or(r = 1 AND o = $frm) AS in_from
  FROM (SELECT h, unnest([f, t]) AS host, unnest([0, 1]) AS r, unnest([t, f]) AS o FROM l)
  GROUP BY h, host)
SELECT h, list(host) FILTER (WHERE in_to), list(host) FILTER (WHERE in_from), arg_max(host, c)
FROM hh GROUP BY h ORDER BY h""", {"to": to, "frm": frm}).fetchall()
out = []
for h, to_set, from_set, most in rows:
    out += [f"{h}.0\tTO\t{x}\n" for x in to_set or ()]
    out += [f"{h}.0\tFROM\t{x}\n" for x in from_set or ()]
    out.append(f"{h}.0\tMOST\t{most}\n")
sys.stdout.write("".join(out))
EOF
)
duck_b() { echo "$(q "$DUCK_PY") -c $(q "$DUCK_B") $F $(q "$1") $(q "$2")"; }
awk_b() { echo "mawk -v X=$(q "$1") -v Y=$(q "$2") -f $(q "$BENCH/hourly.awk") $F"; }

# ---- running --------------------------------------------------------------------
# bench TAG NAME CMD [NAME CMD]...: one hyperfine run over all the commands
# (through bash: the DuckDB commands use its $'...' quoting).
bench() {
  local tag=$1; shift
  local args=()
  while [ $# -gt 0 ]; do args+=(-n "$1" "$2"); shift 2; done
  hyperfine --shell bash --style basic --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$RESULTS/$tag.json" --export-markdown "$RESULTS/$tag.md" "${args[@]}"
}

# rss TAG NAME CMD [NAME CMD]...: peak RSS and wall time of one run of each,
# as a markdown table in RESULTS/TAG-rss.md. Max RSS (/usr/bin/time -v)
# counts the pages of a memory-mapped log too; the anonymous column is the
# process's own memory (heap, stacks), the peak of RssAnon sampled from
# /proc every 2 ms during a second run.
rss() {
  local tag=$1; shift
  local table=$RESULTS/$tag-rss.md log
  log=$(mktemp)
  printf '| Command | Max RSS [MiB] | Peak anonymous RSS [MiB] | Wall time |\n|:---|---:|---:|---:|\n' > "$table"
  while [ $# -gt 0 ]; do
    /usr/bin/time -v bash -c "$2" > /dev/null 2> "$log" || echo "warning: '$1' failed" >&2
    printf '| `%s` | %s | %s | %s |\n' "$1" \
      "$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2 / 1024}' "$log")" \
      "$(peak_anon_mib "$2")" \
      "$(awk -F'): ' '/Elapsed \(wall clock\)/{print $2}' "$log")" >> "$table"
    shift 2
  done
  rm -f "$log"
}

# peak_anon_mib CMD: the largest RssAnon of CMD's process while it runs,
# sampled every 2 ms (CMD is exec'd so that its pid is the one sampled).
peak_anon_mib() {
  bash -c "exec $1" > /dev/null 2>&1 &
  local pid=$! peak=0 kb
  while kb=$(awk '/^RssAnon:/{print $2}' "/proc/$pid/status" 2> /dev/null) && [ -n "$kb" ]; do
    [ "$kb" -gt "$peak" ] && peak=$kb
    sleep 0.002
  done
  wait "$pid" || true
  awk -v k="$peak" 'BEGIN{printf "%.1f", k / 1024}'
}

# cpu_runs TAG NAME CMD [NAME CMD]...: the user+sys CPU of every command,
# CPU_RUNS times, the commands taking turns in each round (so that a change
# of load falls on all of them alike), each under /usr/bin/time. Writes
# RESULTS/TAG-cpu.tsv: name, round, seconds; one line per run.
cpu_runs() {
  local tag=$1; shift
  local tsv=$RESULTS/$tag-cpu.tsv log r i
  local args=("$@")
  log=$(mktemp)
  : > "$tsv"
  for ((r = 1; r <= CPU_RUNS; r++)); do
    for ((i = 0; i < ${#args[@]}; i += 2)); do
      /usr/bin/time -f "%U %S" -o "$log" bash -c "${args[i + 1]}" > /dev/null 2>&1 \
        || echo "warning: '${args[i]}' failed" >&2
      printf '%s\t%s\t%s\n' "${args[i]}" "$r" "$(awk 'END {print $1 + $2}' "$log")" >> "$tsv"
    done
  done
  rm -f "$log"
}

# same_output NAME CMD REFERENCE_CMD: warns unless both print the same bytes.
same_output() {
  [ "$VERIFY" = 1 ] || return 0
  if cmp -s <(bash -c "$2") <(bash -c "$3"); then echo "verified: $1 prints what the reference prints"
  else echo "WARNING: $1 differs from the reference: $3" >&2; fi
}

# show TAG: prints the tables of a finished run.
show() {
  echo; echo "## $1 (runs=$RUNS warmup=$WARMUP, $(nproc) cores)"; echo
  cat "$RESULTS/$1.md"
  echo; echo "(table in $RESULTS/$1.md)"
  if [ -f "$RESULTS/$1-rss.md" ]; then echo; cat "$RESULTS/$1-rss.md"; echo; echo "(table in $RESULTS/$1-rss.md)"; fi
}
