#!/usr/bin/env bash
# Runs one libFuzzer target for a set time over a scratch copy of its seed
# corpus and kept regressions (never writing into the source tree); exits
# non-zero on any crash, leak, timeout or out-of-memory.
#
#   run_fuzz_target.sh FUZZER WORK_DIR SECONDS RSS_LIMIT_MB CORPUS_DIR [REGRESSIONS_DIR]
#
# Crash inputs are written to WORK_DIR/artifacts/; the grown corpus stays in
# WORK_DIR/corpus/ until the next run.
set -euo pipefail
fuzzer=$1 work=$2 seconds=$3 rss=$4 corpus=$5 regressions=${6:-}

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$corpus"/. "$work/corpus/"
if [[ -n "$regressions" && -d "$regressions" ]]; then
  # Prefixed so a regression never overwrites a seed of the same name.
  for f in "$regressions"/*; do
    [[ -f "$f" ]] && cp "$f" "$work/corpus/regression-$(basename "$f")"
  done
fi

# -timeout: one input running longer than that is a hang, reported as a failure.
exec "$fuzzer" "$work/corpus" \
  -max_total_time="$seconds" -rss_limit_mb="$rss" -timeout=25 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1
