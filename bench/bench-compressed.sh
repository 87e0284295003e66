#!/usr/bin/env bash
# bench-compressed.sh [LOG] - what reading a compressed copy of LOG costs
# both tools (default target/bench-data/log-30M.txt; its copies LOG.zst and
# LOG.gz are made by bench/make-logs.sh).
#
# Two hyperfine runs, each side by side:
#   compressed-connspy-NAME: connspy --to RARE over the whole time range
#     (every line is read) and over the hour in the middle of the log, on
#     LOG (default, and --nofastseek: fast seek does not apply to compressed
#     input, so that is the like-for-like plain run), LOG.zst and LOG.gz;
#     plus `zstd -dc` and `gzip -dc` into /dev/null, decompression alone.
#   compressed-stream-NAME: connspy-stream --to POPULAR --from RARE on LOG,
#     LOG.zst and LOG.gz.
# Before timing, each compressed run's output is checked against the plain
# file's (VERIFY=0 skips that). Then peak RSS of each command of ours.
# Results: target/bench-results/compressed-*-NAME{.md,.json,-rss.md};
# environment knobs in bench/common.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
load_log "${1:-}"
need zstd zstd
need gzip gzip
ZST=$LOG.zst
GZ=$LOG.gz
for f in "$ZST" "$GZ"; do
  [ -f "$f" ] || { echo "no $f (run bench/make-logs.sh)" >&2; exit 1; }
done
echo "copies: $(stat -c %s "$ZST") bytes .zst, $(stat -c %s "$GZ") bytes .gz"
have_ours connspy connspy-stream || exit 1

MIDTS=$(tail -c +$((BYTES / 2)) "$LOG" | sed -n 2p | awk '{print $1}')
declare -A WINDOW=(
  [full]="--time_init 1000000000000 --time_end 9999999999999"
  [1h]="--time_init $((MIDTS / 3600000 * 3600000)) --time_end $((MIDTS / 3600000 * 3600000 + 3600000))"
)
# spy WINDOW FILE [OPTION]: the connspy command.
spy() { echo "$(q "$BIN/connspy") --to $(q "$RARE") ${WINDOW[$1]} ${3:+$3 }$(q "$2")"; }
# stream FILE: the connspy-stream command.
stream() { echo "$(q "$BIN/connspy-stream") --to $(q "$POPULAR") --from $(q "$RARE") $(q "$1")"; }

runs=()
for win in full 1h; do
  runs+=("connspy $win plain" "$(spy $win "$LOG")"
         "connspy $win plain --nofastseek" "$(spy $win "$LOG" --nofastseek)")
  for c in zst gz; do
    f=$LOG.$c
    same_output "connspy $win .$c" "$(spy $win "$f")" "$(spy $win "$LOG")"
    runs+=("connspy $win .$c" "$(spy $win "$f")")
  done
done
TAG=compressed-connspy-$NAME
bench "$TAG" "${runs[@]}" \
  "zstd -dc (decompression alone)" "zstd -dc $(q "$ZST") > /dev/null" \
  "gzip -dc (decompression alone)" "gzip -dc $(q "$GZ") > /dev/null"
rss "$TAG" "${runs[@]}"
show "$TAG"

runs=("connspy-stream plain" "$(stream "$LOG")")
for c in zst gz; do
  same_output "connspy-stream .$c" "$(stream "$LOG.$c")" "$(stream "$LOG")"
  runs+=("connspy-stream .$c" "$(stream "$LOG.$c")")
done
TAG=compressed-stream-$NAME
bench "$TAG" "${runs[@]}"
rss "$TAG" "${runs[@]}"
show "$TAG"
