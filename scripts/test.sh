#!/bin/sh
# Builds everything and runs every test: the README's test command, which CI
# runs through .ci/run on a clean clone. Installs missing Debian packages first.
#
#  1. the normal build (RelWithDebInfo) and the whole suite, including
#     Debian's ndmjob against ndmpd and the qemu/mhvtl real-kernel SCSI guest;
#  2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#     (preset asan), except the guest, which ran the normal binaries in 1;
#  3. the suites that run every thread of a session under ThreadSanitizer:
#     server (sessions, DATA/MOVER jobs, channels), faults (in-process),
#     the Cloud Manager bridge, and ndmjob's interop suites against ndmpd;
#  4. every libFuzzer target for FUZZ_SECONDS (default 10) each.
# Steps 2 and 3 can be left out locally with NDMP_TEST_QUICK=1; CI runs all.
# About 21 minutes on a quiet 2-core machine.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
JOBS=${JOBS:-$(nproc)}

# The real-kernel guest builds mhvtl from its pinned source
# (tests/vtl-vm/mhvtl.pin): from the copy kept beside the repository when
# there is one, else fetched from upstream and checked.  Either way the
# build is cached per guest kernel.
if [ -z "${NDMP_VTL_MHVTL_SRC:-}" ] && [ -f ../shared/mhvtl/mhvtl-fc22cc6.tar.gz ]; then
  NDMP_VTL_MHVTL_SRC=$(cd ../shared/mhvtl && pwd)/mhvtl-fc22cc6.tar.gz
  export NDMP_VTL_MHVTL_SRC
fi

echo "== 1/4: build and test (RelWithDebInfo)"
cmake --preset default
cmake --build --preset default -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 900

if [ "${NDMP_TEST_QUICK:-0}" = 1 ] && [ "${CI:-}" != true ]; then
  echo "NDMP_TEST_QUICK=1: sanitizer and fuzz steps left out"
  exit 0
fi

echo "== 2/4: the suite under ASan + UBSan"
JOBS=$JOBS ./scripts/sanitize.sh asan --output-on-failure --timeout 900 -LE vtl-vm

echo "== 3/4: the threaded suites under ThreadSanitizer"
TSAN_TESTS="tests/server/server_tests tests/faults/faults_test tests/cloudmanager/cm_bridge_test
 tests/cloudmanager/cm_ndmpd_bridge_test tests/interop/interop_tests"
cmake --preset tsan
# shellcheck disable=SC2086
cmake --build --preset tsan -j"$JOBS" --target $(for t in $TSAN_TESTS; do basename "$t"; done)
for t in $TSAN_TESTS; do
  log="build-tsan/$(basename "$t").log"
  if (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "./$t") >"$log" 2>&1; then
    echo "-- TSan: $t: clean ($(grep -c '^\[       OK \]' "$log" || true) tests; log in $log)"
  else
    echo "-- TSan: $t FAILED; the end of $log:"
    tail -n 150 "$log"
    exit 1
  fi
done

echo "== 4/4: bounded fuzzing"
FUZZ_SECONDS=${FUZZ_SECONDS:-10} JOBS=$JOBS ./scripts/fuzz.sh
