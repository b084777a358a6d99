#!/bin/sh
# Builds the libFuzzer targets (CMake preset `fuzz`: clang-16, NDMP_FUZZ=ON,
# ASan+UBSan) and runs each for a bounded time; fails if any target crashes,
# leaks, times out or breaks a harness invariant.
#
#   scripts/fuzz.sh                 every target, FUZZ_SECONDS (default 60) each
#   scripts/fuzz.sh cm_frame ...    only the named targets
#   scripts/fuzz.sh --seeds         regenerate fuzz/corpus/ from real sessions
#                                   first (needs the normal build's fuzz_seedgen)
#
# Environment: FUZZ_SECONDS, BUILD (default build-fuzz), JOBS (build
# parallelism, default 2), SEED_BUILD (normal build dir for --seeds, default build).
#
# The committed corpus (fuzz/corpus/<t>/) is copied to a work corpus under
# $BUILD/corpus-work/<t>/ so a run never rewrites the repository. A crash
# input lands in $BUILD/crashes/<t>/: copy it into fuzz/regressions/<t>/ so
# tests/security's fuzz_replay_tests keeps it fixed.
set -eu
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD=${BUILD:-build-fuzz}
JOBS=${JOBS:-2}
ALL="record_reader message_decoder cm_frame emulated_cdb restore_tar"

if [ "${1:-}" = "--seeds" ]; then
  shift
  SEED_BUILD=${SEED_BUILD:-build}
  cmake --preset default -B "$SEED_BUILD" >/dev/null
  cmake --build "$SEED_BUILD" -j"$JOBS" --target fuzz_seedgen
  "$SEED_BUILD/tests/security/fuzz_seedgen" fuzz/corpus
fi
TARGETS=${*:-$ALL}

cmake --preset fuzz -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target fuzz_all

# Largest input worth trying per target: records and archives need room,
# CDB sequences and frames do not.
max_len() {
  case "$1" in
    record_reader|message_decoder) echo 65536 ;;
    restore_tar) echo 262144 ;;
    *) echo 16384 ;;
  esac
}

failed=""
for t in $TARGETS; do
  case " $ALL " in *" $t "*) ;; *) echo "fuzz.sh: unknown target $t (known: $ALL)" >&2; exit 2 ;; esac
  work="$BUILD/corpus-work/$t"
  crashes="$BUILD/crashes/$t"
  mkdir -p "$work" "$crashes"
  [ -d "fuzz/corpus/$t" ] && cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  [ -d "fuzz/regressions/$t" ] && cp -n fuzz/regressions/"$t"/* "$work"/ 2>/dev/null || true
  echo "=== fuzz_$t for ${FUZZ_SECONDS}s"
  if ! "$BUILD/fuzz/fuzz_$t" "$work" \
        -max_total_time="$FUZZ_SECONDS" -timeout=30 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
        -artifact_prefix="$crashes/" -print_final_stats=1 >"$BUILD/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t FAILED; log: $BUILD/fuzz_$t.log; inputs:" >&2
    ls -1 "$crashes" >&2 || true
    grep -E "ERROR|invariant broken|SUMMARY" "$BUILD/fuzz_$t.log" | head -5 >&2 || true
    failed="$failed $t"
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/fuzz_$t.log" | tr '\n' ' '
    echo
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz.sh: crashes in:$failed (copy the inputs into fuzz/regressions/<target>/)" >&2
  exit 1
fi
echo "fuzz.sh: every target ran ${FUZZ_SECONDS}s without a finding"
