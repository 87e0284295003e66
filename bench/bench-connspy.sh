#!/usr/bin/env bash
# bench-connspy.sh [LOG] - times `connspy` against its peers on LOG
# (default target/bench-data/log-30M.txt, from bench/make-logs.sh).
#
# One hyperfine run holds, for the popular and the rare host (hosts.txt, or
# env POPULAR / RARE) and for two windows - "full" (1000000000000 ..
# 9999999999999 ms) and "1h" (the hour-aligned hour of the line at the middle
# byte of LOG) - connspy and its peers (mawk one-liner, rg -F -i | mawk,
# DuckDB), plus connspy --nofastseek on the full window and `wc -l` as the
# floor. Then one run of each connspy command under /usr/bin/time -v for its
# peak RSS. Before timing, each connspy output is checked against the mawk
# peer (VERIFY=0 skips that). Without target/release/connspy only the peers
# run. Results: target/bench-results/connspy-NAME{.md,.json,-rss.md}; the
# environment knobs are listed in bench/common.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
load_log "${1:-}"

FULL=(1000000000000 9999999999999)
MIDTS=$(tail -c +$((BYTES / 2)) "$LOG" | sed -n 2p | awk '{print $1}')
HOUR=($((MIDTS / 3600000 * 3600000)) $((MIDTS / 3600000 * 3600000 + 3600000)))
echo "windows: full ${FULL[*]}, 1h ${HOUR[*]}"

ours() {  # ours HOST T1 T2 [OPTION]: the connspy command
  echo "$(q "$BIN/connspy") --to $(q "$1") --time_init $2 --time_end $3 ${4:+$4 }$F"
}

TAG=connspy-$NAME
have_ours connspy && OURS=1 || OURS=0
set -- wc-l "wc -l $F"
timed=()   # name/command pairs of our commands, for the RSS table
for kind in popular rare; do
  if [ $kind = popular ]; then host=$POPULAR; else host=$RARE; fi
  for win in full 1h; do
    if [ $win = full ]; then w=("${FULL[@]}"); else w=("${HOUR[@]}"); fi
    if [ $OURS = 1 ]; then
      same_output "connspy $win $kind" "$(ours "$host" "${w[@]}")" "$(awk_a "$host" "${w[@]}")"
      timed+=("connspy $win $kind" "$(ours "$host" "${w[@]}")")
      if [ $win = full ]; then
        same_output "connspy --nofastseek $win $kind" "$(ours "$host" "${w[@]}" --nofastseek)" \
          "$(ours "$host" "${w[@]}")"
        timed+=("connspy --nofastseek $win $kind" "$(ours "$host" "${w[@]}" --nofastseek)")
      fi
    fi
    set -- "$@" "mawk $win $kind" "$(awk_a "$host" "${w[@]}")" \
      "rg+mawk $win $kind" "$(rg_a "$host" "${w[@]}")"
    if [ $HAVE_DUCK = 1 ]; then set -- "$@" "duckdb $win $kind" "$(duck_a "$host" "${w[@]}")"; fi
  done
done
bench "$TAG" "${timed[@]}" "$@"
rm -f "$RESULTS/$TAG-rss.md"
if [ $OURS = 1 ]; then rss "$TAG" "${timed[@]}"; fi
show "$TAG"
