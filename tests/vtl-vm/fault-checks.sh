#!/bin/bash
# fault-checks.sh - inside the guest: a fault from the real stack in the
# middle of an NDMP backup (issue 16).
#   run.sh -- tests/vtl-vm/fault-checks.sh NDMPD GMALLOC_SHIM
# The tape is unloaded behind ndmpd's back (mhvtl's vtlcmd, as an operator
# or a library's own robot would) while a three-way backup writes to it.
# What must hold: the job halts with the drive's reason (NOT READY, medium
# not present: the mover halts MEDIA_ERROR, ndmjob does not end OKAY), and
# the tape, loaded again, holds exactly the records ndmpd reported written,
# readable by GNU tar up to the cut.
#
# A known point in the middle without timing: the DATA side is a second
# ndmpd process, stopped with SIGSTOP once the tape has grown (the backup
# is 64 MB, far more than the 8 MB ring and the socket buffers hold, so the job
# cannot end while it is stopped); the unload then lands between two
# records whatever the machine's speed, and SIGCONT lets the job meet it.
# The tape has grown by 10 MB first, so part0.bin (8 MB, first in the
# archive) is whole on it.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/guest-checks.sh"
: "${VTL_CHANGER_SG:?fault-checks.sh runs inside the vtl-vm guest (run.sh)}"
[ $# -ge 2 ] || { echo "usage: fault-checks.sh NDMPD GMALLOC_SHIM" >&2; exit 2; }
NDMPD=$1 SHIM=$2
NDMJOB=/usr/lib/amanda/ndmjob
[ "${VTL_BACKEND:-}" = mhvtl ] || { echo "FAIL - fault-checks.sh needs mhvtl (vtlcmd); backend is ${VTL_BACKEND:-unset}"; exit 1; }
VTLCMD() { LD_LIBRARY_PATH=$MHVTL_BUILD/lib "$MHVTL_BUILD/bin/vtlcmd" "$@"; }
F=/run/ndmp-faults
mkdir -p "$F/export/src" "$F/state-tape" "$F/state-data"
PW=vtl-$RANDOM$RANDOM
echo "ndmp:$PW" > "$F/passwd"; chmod 600 "$F/passwd"
common=(--config /dev/null --password-file "$F/passwd" --auth md5 --export "$F/export" --log-level debug)
vtl_service ndmpd-tape "$NDMPD" "${common[@]}" --listen 127.0.0.1:10000 --library none --discover-devices true \
    --state-dir "$F/state-tape"
vtl_service ndmpd-data "$NDMPD" "${common[@]}" --listen 127.0.0.1:10001 --library none --discover-devices false \
    --state-dir "$F/state-data"
DATA_PID=${VTL_SERVICES[ndmpd-data]}
TAPE_LOG=$VTL_LOG_DIR/ndmpd-tape.log
vtl_check "the tape agent and the data agent listen" eval 'vtl_wait_tcp 10000 60 && vtl_wait_tcp 10001 60' ||
    { vtl_summary; exit 1; }
agent() { echo "127.0.0.1:$1/4m,ndmp,$PW"; }
LD_PRELOAD=$SHIM "$NDMJOB" -q -T "$(agent 10000)" > "$F/q.out" 2>&1
TAPE=$(awk -v want="SERIAL_NUMBER=$VTL_DRIVE0_SERIAL" '
    match($0, /device +[^ "]+/) { d = substr($0, RSTART, RLENGTH); sub(/device +/, "", d) }
    index($0, want) { print d; exit }' "$F/q.out")
[ -n "$TAPE" ] || { echo "FAIL - ndmpd offers no drive with serial $VTL_DRIVE0_SERIAL"; cat "$F/q.out"; exit 1; }

read -r _ _ _ _ BC _ <<< "$VTL_BARCODES"
IMAGE=$VTL_MEDIA_DIR/$BC
for i in 0 1 2 3 4 5 6 7; do head -c $((8 * 1048576)) /dev/urandom > "$F/export/src/part$i.bin"; done
vtl_check "load $BC (slot 5) into drive 0" eval 'mtx -f "$VTL_CHANGER_SG" load 5 0 > /dev/null && vtl_retry 30 mt -f "$VTL_DRIVE0_NST" status > /dev/null'
image_bytes() { du -sB1 "$IMAGE" | cut -f1; }
BEFORE=$(image_bytes)
grown() { [ $(($(image_bytes) - BEFORE)) -ge $((10 * 1048576)) ]; }

LD_PRELOAD=$SHIM "$NDMJOB" -v -c -D "$(agent 10001)" -T "$(agent 10000)" -f "$TAPE" -B tar -b 128 \
    -C "$F/export/src" -I "$F/idx" > "$F/job.out" 2>&1 &
JOB=$!
unload_mid_job() {
    vtl_retry 120 grown || { echo "the tape did not grow by 10 MB"; return 1; }
    kill -STOP "$DATA_PID" || return 1
    VTLCMD 11 unload "$BC"
    local rc=$?
    kill -CONT "$DATA_PID"
    return $rc
}
vtl_check "vtlcmd unloads $BC while the backup writes to it (data agent held at a point in the middle)" unload_mid_job
wait "$JOB"
cp "$F/job.out" "$VTL_LOG_DIR/ndmjob-backup-unloaded.out"
halted_with_reason() {
    ! grep -q 'Operation ended OKAY' "$F/job.out" || { echo "the job ended OKAY without its tape"; return 1; }
    grep -qE 'mover: tape error: .*2/3a/00' "$TAPE_LOG" && grep -q 'MOVER halted: MEDIA_ERROR' "$TAPE_LOG" ||
        { echo "ndmpd's log lacks the drive's NOT READY 3a/00 or the MEDIA_ERROR halt"; grep -E 'mover|MOVER' "$TAPE_LOG" | tail; return 1; }
}
vtl_check "the job halts with the drive's reason (NOT READY 3a/00: mover MEDIA_ERROR; not OKAY)" halted_with_reason
WRITTEN=$(grep -oE 'mover: tape error: .*\(([0-9]+) records written\)' "$TAPE_LOG" | tail -n1 | grep -oE '[0-9]+ records written' | cut -d' ' -f1)
readable_to_the_cut() {
    [ -n "$WRITTEN" ] && [ "$WRITTEN" -gt 0 ] || { echo "no record count in ndmpd's log"; return 1; }
    VTLCMD 11 load "$BC" || return 1
    vtl_retry 30 mt -f "$VTL_DRIVE0_NST" rewind || { echo "the reloaded tape is not ready"; return 1; }
    dd if="$VTL_DRIVE0_NST" of="$F/back.img" bs=65536 2> "$F/dd.err"
    local got; got=$(grep -oE '^[0-9]+\+0 records in' "$F/dd.err" | cut -d+ -f1)
    echo "ndmpd reported $WRITTEN records written; the tape holds $got"
    [ "$got" = "$WRITTEN" ] || { cat "$F/dd.err"; return 1; }
    mkdir -p "$F/out" && (cd "$F/out" && tar -xf "$F/back.img" 2> "$F/tar.err")
    cmp "$F/export/src/part0.bin" "$F/out/part0.bin" || { cat "$F/tar.err"; return 1; }
}
vtl_check "the tape holds exactly the records ndmpd reported written, and part0.bin reads back byte-exact" readable_to_the_cut
mt -f "$VTL_DRIVE0_NST" offline > /dev/null 2>&1
vtl_summary
