# shellcheck shell=bash
# guest-checks.sh - sourced by scripts that run inside the guest (smoke.sh,
# suite.sh, later the ndmpd/ndmjob end-to-end script): counted checks and
# background services that are cleaned up on exit.
#
#   vtl_check NAME CMD...      run CMD; "ok - NAME (N.N s)" or "FAIL - NAME" with
#                              its output indented; returns CMD's status.  The
#                              time is there because the CTest budget is tight
#   vtl_xfail NAME WHY CMD...  a check that a known emulator gap makes fail:
#                              "xfail - NAME: WHY" (counted as skipped), or
#                              "XPASS" (counted as passed) once the gap is gone
#   vtl_summary                prints "N passed, N failed, N skipped" and
#                              returns 1 when anything failed
#   vtl_service NAME CMD...    start CMD in the background (own session, log
#                              in $VTL_LOG_DIR/NAME.log); stopped by PID at exit
#   vtl_wait_tcp PORT SECONDS  wait until something accepts on 127.0.0.1:PORT
#   vtl_retry SECONDS CMD...   retry CMD every 0.2 s (e.g. past the UNIT
#                              ATTENTION a drive reports after a media change)
# Keep forks few: each exec costs ~40 ms in the guest under TCG.

VTL_PASSED=0 VTL_FAILED=0 VTL_XFAILED=0
: "${VTL_LOG_DIR:=/vtl}"
declare -A VTL_SERVICES=()

# seconds since $1 (an $EPOCHREALTIME), one decimal, without forking
_vtl_since() {
    local us=$(( (${EPOCHREALTIME/./} - ${1/./}) / 100000 ))
    echo "$((us / 10)).$((us % 10)) s"
}

vtl_check() {
    local name=$1 out rc t0=$EPOCHREALTIME; shift
    out=$("$@" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then
        VTL_PASSED=$((VTL_PASSED + 1)); echo "ok   - $name ($(_vtl_since "$t0"))"
    else
        VTL_FAILED=$((VTL_FAILED + 1)); echo "FAIL - $name (exit $rc, $(_vtl_since "$t0"))"
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/       | /'
    fi
    return $rc
}

vtl_xfail() {
    local name=$1 why=$2 t0=$EPOCHREALTIME; shift 2
    if "$@" > /dev/null 2>&1; then
        VTL_PASSED=$((VTL_PASSED + 1)); echo "XPASS - $name (expected to fail: $why)"
    else
        VTL_XFAILED=$((VTL_XFAILED + 1)); echo "xfail - $name: $why ($(_vtl_since "$t0"))"
    fi
}

vtl_summary() {
    echo "$VTL_PASSED passed, $VTL_FAILED failed, $VTL_XFAILED skipped"
    [ "$VTL_FAILED" -eq 0 ]
}

vtl_retry() {
    local tries=$(($1 * 5)); shift
    until "$@"; do
        tries=$((tries - 1)); [ $tries -gt 0 ] || return 1
        sleep 0.2
    done
}

_vtl_stop_services() {
    local name pid
    for name in "${!VTL_SERVICES[@]}"; do
        pid=${VTL_SERVICES[$name]}
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
}
trap _vtl_stop_services EXIT

vtl_service() {
    local name=$1; shift
    setsid "$@" >> "$VTL_LOG_DIR/$name.log" 2>&1 < /dev/null &
    VTL_SERVICES[$name]=$!
}

vtl_wait_tcp() {
    local port=$1 tries=$(($2 * 10))
    until (exec 3<> "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        tries=$((tries - 1)); [ $tries -gt 0 ] || return 1
        sleep 0.1
    done
}
