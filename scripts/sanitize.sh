#!/bin/sh
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake preset `asan`, build-asan/). A UBSan report aborts the test that
# caused it (-fno-sanitize-recover), so ctest counts it as a failure; ASan's
# leak checker runs at every test binary's exit.
#
#   scripts/sanitize.sh            ASan + UBSan, every test
#   scripts/sanitize.sh tsan       ThreadSanitizer instead (build-tsan/)
#   scripts/sanitize.sh asan -R security   extra arguments go to ctest
#
# Environment: JOBS (build and ctest parallelism, default 2).
set -eu
cd "$(dirname "$0")/.."
PRESET=${1:-asan}
[ $# -gt 0 ] && shift
JOBS=${JOBS:-2}
case "$PRESET" in asan|tsan) ;; *) echo "sanitize.sh: preset must be asan or tsan" >&2; exit 2 ;; esac
./scripts/install-deps.sh
cmake --preset "$PRESET"
cmake --build --preset "$PRESET" -j"$JOBS"
ctest --preset "$PRESET" -j"$JOBS" "$@"
