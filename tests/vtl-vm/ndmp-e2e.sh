#!/bin/bash
# ndmp-e2e.sh - inside the guest: ndmpd with the devices it discovers in sysfs,
# and Debian's ndmjob as the DMA against it (issue 8, items 2 and 3).
#   run.sh -- tests/vtl-vm/ndmp-e2e.sh NDMPD GMALLOC_SHIM
# NDMPD is the server binary (BUILD/server/ndmpd); GMALLOC_SHIM is the
# g_malloc(0) fix ndmjob needs preloaded (BUILD/tests/interop/
# ndmjob_gmalloc_shim.so; ../shared/ndmjob/NOTES.md section 3).
#
# What a user would check, in order:
#   discovery   CONFIG_GET_TAPE_INFO / SCSI_INFO (ndmjob -q, v3 and v4) list
#               both tgt drives and the changer with vendor, model and serial
#   robot       ndmjob's robot query shows the barcodes; load, label, list
#               labels, unload through ndmpd, each confirmed by mtx afterwards
#   tape        ndmjob -o test-tape against a tgt drive
# ndmjob's exit status says nothing about success (NOTES section 1), so each
# check reads its output: "Operation complete" without "had problems".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/guest-checks.sh"
: "${VTL_CHANGER_SG:?ndmp-e2e.sh runs inside the vtl-vm guest (run.sh)}"
[ $# -ge 2 ] || { echo "usage: ndmp-e2e.sh NDMPD GMALLOC_SHIM" >&2; exit 2; }
NDMPD=$1 SHIM=$2
NDMJOB=/usr/lib/amanda/ndmjob
for f in "$NDMPD" "$SHIM" "$NDMJOB"; do
    [ -e "$f" ] || { echo "FAIL - $f does not exist (build it / install amanda-common)"; exit 1; }
done

E2E=/run/ndmp-e2e
mkdir -p "$E2E/export" "$E2E/state"
PW=vtl-$RANDOM$RANDOM
echo "ndmp:$PW" > "$E2E/passwd"
chmod 600 "$E2E/passwd"
vtl_service ndmpd "$NDMPD" --config /dev/null --listen 127.0.0.1:10000 --password-file "$E2E/passwd" \
    --auth md5 --export "$E2E/export" --discover-devices true --state-dir "$E2E/state" --log-level debug
vtl_check "ndmpd with sysfs discovery listens on 127.0.0.1:10000" vtl_wait_tcp 10000 60 || {
    echo "ndmpd log:"; sed 's/^/       | /' "$VTL_LOG_DIR/ndmpd.log"; vtl_summary; exit 1; }

agent() { echo "127.0.0.1:10000/$1m,ndmp,$PW"; }
# ndmjob ARGS...: run the DMA with the shim, output in $E2E/last.out
ndmjob() { LD_PRELOAD=$SHIM timeout 300 "$NDMJOB" "$@" > "$E2E/last.out" 2>&1; }
# has TEXT...: every TEXT occurs in the last ndmjob output
has() {
    local t
    for t in "$@"; do
        grep -qF -- "$t" "$E2E/last.out" || { echo "missing: $t"; cat "$E2E/last.out"; return 1; }
    done
}
completed() {
    grep -q 'Operation complete' "$E2E/last.out" && ! grep -q 'had problems' "$E2E/last.out" ||
        { cat "$E2E/last.out"; return 1; }
}
mtx_shows() { mtx -f "$VTL_CHANGER_SG" status | grep -qE -- "$1" || { mtx -f "$VTL_CHANGER_SG" status; return 1; }; }

echo "# discovery: CONFIG_GET_TAPE_INFO and CONFIG_GET_SCSI_INFO"
IDENTITIES=("IBM ULT3580-TD6" "STK L700" "NDMPCHG000")
for ((i = 0; i < VTL_DRIVES; i++)); do s=VTL_DRIVE${i}_SERIAL; IDENTITIES+=("${!s}"); done
for v in 4 3; do
    vtl_check "v$v: ndmjob -q lists models and serials: ${IDENTITIES[*]}" \
        eval 'ndmjob -q -D "$(agent $v)" && has "${IDENTITIES[@]}"'
done
# the names a DMA uses for the devices, from the v4 answer
ndmjob -q -D "$(agent 4)"
TAPE0=$(grep -oE '\btape[0-9]+\b' "$E2E/last.out" | head -n1)
CHANGER=$(grep -oE '\bchanger[0-9]+\b' "$E2E/last.out" | head -n1)
echo "  device names: tape ${TAPE0:=tape0}, changer ${CHANGER:=changer0}"

echo "# robot through ndmpd (SCSI interface) on $VTL_CHANGER_SG"
R=(-R "$(agent 4)" -r "$CHANGER")
T=(-T "$(agent 4)" -f "$TAPE0" -o "tape-addr=$VTL_DRIVE_FIRST")
S1=$VTL_SLOT_FIRST S2=$((VTL_SLOT_FIRST + 1))
FIRST=${VTL_BARCODES%% *}
vtl_check "robot query shows the barcodes" eval 'ndmjob -q "${R[@]}" && has $VTL_BARCODES'
vtl_check "load slot $S1 into drive $VTL_DRIVE_FIRST" eval '
    ndmjob -v -o load=$S1 -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed &&
    mtx_shows "Data Transfer Element 0:Full \(Storage Element 1 Loaded\):VolumeTag = $FIRST"'
vtl_check "unload drive $VTL_DRIVE_FIRST back to slot $S1" eval '
    ndmjob -v -o unload=$S1 -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed &&
    mtx_shows "Storage Element 1:Full :VolumeTag=$FIRST"'
vtl_check "label the tapes in slots $S1 and $S2 through $TAPE0 (init-labels)" eval '
    ndmjob -v -o init-labels "${T[@]}" "${R[@]}" -m VTL001@$S1 -m VTL002@$S2 && completed'
vtl_check "read the labels back (ndmjob -l)" eval '
    ndmjob -v -l "${T[@]}" "${R[@]}" -m @$S1 -m @$S2 && has "VTL001@$S1" "VTL002@$S2"'
vtl_check "drive 0 is empty again after the label jobs" mtx_shows "Data Transfer Element 0:Empty"

echo "# tape through ndmpd (TAPE interface): ndmjob -o test-tape on $TAPE0"
mtx -f "$VTL_CHANGER_SG" load 3 0 > /dev/null
vtl_retry 10 mt -f "$VTL_DRIVE0_NST" status > /dev/null 2>&1
# test-tape prints one "Test ... Passed/Failed/Almost" line per step (with -v -v)
# and stops at the first step that is not Passed
test_tape() {
    ndmjob -v -v -o test-tape -T "$(agent $1)" -f "$TAPE0"
    local rc=$? passed bad
    passed=$(grep -c 'Passed' "$E2E/last.out")
    bad=$(grep -E '^.*Test .*(Failed|Almost)' "$E2E/last.out")
    echo "$passed steps passed"
    # a suite that never connected prints no step at all and still exits 0
    [ $rc -eq 0 ] && [ -z "$bad" ] && [ "$passed" -gt 0 ] && ! grep -q '"err ' "$E2E/last.out" ||
        { echo "$bad"; tail -n 15 "$E2E/last.out"; return 1; }
}
for v in 4 3; do vtl_check "v$v: test-tape" test_tape $v; done
mtx -f "$VTL_CHANGER_SG" unload 3 0 > /dev/null

vtl_summary
