#!/usr/bin/env bash
# bench-stream.sh [LOG] - times `connspy-stream` against its peers on LOG
# (default target/bench-data/log-30M.txt, from bench/make-logs.sh).
#
# One hyperfine run: `connspy-stream --to TO --from FROM LOG > /dev/null`, the
# reference awk program (bench/hourly.awk under mawk) and DuckDB; then one run
# of connspy-stream under /usr/bin/time -v for its peak RSS. TO defaults to the
# popular host and FROM to the rare one (hosts.txt beside LOG); for the stress
# log use TO=target (and FROM=target). Before timing, the output is compared
# with the awk peer's, which must match exactly on a log that keeps the
# lateness bound (a difference is a warning; VERIFY=0 skips the check).
# Without target/release/connspy-stream only the peers run. Results:
# target/bench-results/stream-NAME{.md,.json,-rss.md}; environment knobs in
# bench/common.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
load_log "${1:-}"
TO=${TO:-$POPULAR}
FROM=${FROM:-$RARE}
echo "--to $TO --from $FROM"

TAG=stream-$NAME
OURS=()
if have_ours connspy-stream; then
  OURS=(connspy-stream "$(q "$BIN/connspy-stream") --to $(q "$TO") --from $(q "$FROM") $F")
  same_output connspy-stream "${OURS[1]}" "$(awk_b "$TO" "$FROM")"
  OURS[1]="${OURS[1]} > /dev/null"
fi
set -- "mawk -f hourly.awk" "$(awk_b "$TO" "$FROM")"
if [ $HAVE_DUCK = 1 ]; then set -- "$@" duckdb "$(duck_b "$TO" "$FROM")"; fi
bench "$TAG" "${OURS[@]}" "$@"
rm -f "$RESULTS/$TAG-rss.md"
if [ ${#OURS[@]} -gt 0 ]; then rss "$TAG" "${OURS[@]}"; fi
show "$TAG"
