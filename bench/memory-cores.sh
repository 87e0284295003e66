#!/usr/bin/env bash
# memory-cores.sh [LOG...] - peak RSS of connspy-stream on one core
# (taskset -c 0) and on every core, on the log shapes that once made the
# all-cores path's memory grow with the number of windows in a chunk:
#
#   tiny-windows: one 1-second window of 2,000 hosts, then 300,000 seconds
#       of one record each (--window 1s --max-log-late-seconds 0);
#   quiet-months: a busy hour (200,000 records, 20,000 hosts), then 120
#       days of one record a minute (--window 60s).
#
# Each LOG given (e.g. target/bench-data/log-many-30M.txt) is also run with
# --window 1s and with the default window. The outputs of the two paths
# must be identical; then the table gives each run's peak RSS
# (/usr/bin/time -f %M), its user+sys CPU, and whether the all-cores peak
# is within 2x of one core's plus the 64 MiB the design allows for chunks
# in flight. The logs are written to target/bench-data/ (git-ignored).
# Memory does not depend on the machine's load; times do (the load is printed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/target/release}
DIR=$ROOT/target/bench-data
mkdir -p "$DIR"
[ -x "$BIN/connspy-stream" ] || { echo "no $BIN/connspy-stream (cargo build --release)" >&2; exit 1; }
command -v taskset > /dev/null || { echo "taskset missing (util-linux)" >&2; exit 1; }

if [ ! -s "$DIR/tiny-windows.txt" ]; then
  awk 'BEGIN { t = 1600000000
    for (i = 0; i < 2000; i++) printf "%d h%d x\n", t, i
    for (i = 1; i <= 300000; i++) printf "%d h%d x\n", t + i, i % 5000 }' > "$DIR/tiny-windows.txt"
fi
if [ ! -s "$DIR/quiet-months.txt" ]; then
  awk 'BEGIN { t = 1600000000; srand(7)
    for (i = 0; i < 200000; i++) printf "%d h%d h%d\n", t + int(i * 3600 / 200000), int(rand() * 20000), int(rand() * 20000)
    for (i = 1; i <= 120 * 1440; i++) printf "%d h%d x\n", t + 3600 + 60 * i, i % 5000 }' > "$DIR/quiet-months.txt"
fi

runs=(
  "tiny-windows" "--to x --from h1 --window 1s --max-log-late-seconds 0 $DIR/tiny-windows.txt"
  "quiet-months" "--to x --from h1 --window 60s $DIR/quiet-months.txt"
)
for log in "$@"; do
  runs+=("$(basename "$log") --window 1s" "--to x --from y --window 1s $log"
         "$(basename "$log")" "--to x --from y $log")
done

echo "load before: $(uptime)"
printf '| log | options | one core: peak RSS, CPU | all cores: peak RSS, CPU | all ≤ 2 × one + 64 MiB |\n|:---|:---|---:|---:|:---|\n'
fail=0
for ((i = 0; i < ${#runs[@]}; i += 2)); do
  name=${runs[i]} args=${runs[i + 1]}
  one=$(mktemp) all=$(mktemp) t1=$(mktemp) t2=$(mktemp)
  # shellcheck disable=SC2086  # args are split on purpose
  /usr/bin/time -f '%M %U %S' -o "$t1" taskset -c 0 "$BIN/connspy-stream" $args > "$one"
  # shellcheck disable=SC2086
  /usr/bin/time -f '%M %U %S' -o "$t2" "$BIN/connspy-stream" $args > "$all"
  cmp -s "$one" "$all" || { echo "DIFFERENT OUTPUT: $name" >&2; fail=1; }
  read -r m1 u1 s1 < "$t1"; read -r m2 u2 s2 < "$t2"
  ok=$(( m2 <= 2 * m1 + 65536 ? 1 : 0 )); [ "$ok" = 1 ] || fail=1
  opts=${args% *}
  printf '| %s | `%s` | %.1f MiB, %.2f s | %.1f MiB, %.2f s | %s |\n' "${name%% *}" "$opts" \
    "$(echo "$m1 / 1024" | bc -l)" "$(echo "$u1 + $s1" | bc -l)" \
    "$(echo "$m2 / 1024" | bc -l)" "$(echo "$u2 + $s2" | bc -l)" \
    "$([ "$ok" = 1 ] && echo yes || echo NO)"
  rm -f "$one" "$all" "$t1" "$t2"
done
echo "load after: $(uptime)"
exit "$fail"
