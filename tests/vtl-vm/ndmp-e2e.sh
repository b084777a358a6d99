#!/bin/bash
# ndmp-e2e.sh - inside the guest: ndmpd with the devices it discovers in sysfs,
# and Debian's ndmjob as the DMA against it (issues 8 and 16).
#   run.sh -- tests/vtl-vm/ndmp-e2e.sh NDMPD GMALLOC_SHIM
# NDMPD is the server binary (BUILD/server/ndmpd); GMALLOC_SHIM is the
# g_malloc(0) fix ndmjob needs preloaded (BUILD/tests/interop/
# ndmjob_gmalloc_shim.so; ../shared/ndmjob/NOTES.md section 3).
#
# What a user would check, in order:
#   discovery   CONFIG_GET_TAPE_INFO / SCSI_INFO (ndmjob -q, v3 and v4) list
#               both drives and the changer with vendor, model and serial
#   robot       ndmjob's robot query shows the element map and barcodes; load
#               and unload through ndmpd, each confirmed by mtx afterwards;
#               label and list labels
#   tape        ndmjob -o test-tape and -o test-mover at v2, v3 and v4
#               through /dev/sg, every step passing
#   jobs        a small tree backed up through a drive and restored into
#               an empty directory, byte-exact with modes, owners, mtimes and
#               links; two-way (one connection) and three-way (-T: a second
#               connection, DATA and MOVER joined over TCP); a direct access
#               restore of two files; the tape image grows and GNU tar reads
#               the tape back through st
# Where the backend lacks something (tgt 1.0.85: README.md) the check is an
# "xfail" that names the gap, and turns into XPASS the day the gap is gone;
# on mhvtl, the default, every check here runs.
# Debian's ndmjob needs two fixes, as in tests/interop: the g_malloc(0) shim
# (LD_PRELOAD) and, for test-tape's T-BWR #23, a copy of libndmjob whose one
# signed-char compare reads unsigned (tests/interop/ndmjob_runner.cc).
# ndmjob's exit status says nothing about success (NOTES section 1), so each
# check reads its output: "Operation complete" without "had problems".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/guest-checks.sh"
. "$HERE/test-tree.sh"
: "${VTL_CHANGER_SG:?ndmp-e2e.sh runs inside the vtl-vm guest (run.sh)}"
[ $# -ge 2 ] || { echo "usage: ndmp-e2e.sh NDMPD GMALLOC_SHIM" >&2; exit 2; }
NDMPD=$1 SHIM=$2
NDMJOB=/usr/lib/amanda/ndmjob
for f in "$NDMPD" "$SHIM" "$NDMJOB"; do
    [ -e "$f" ] || { echo "FAIL - $f does not exist (build it / install amanda-common)"; exit 1; }
done
BACKEND=${VTL_BACKEND:-tgt}
# gap CHECK-ID: why this backend cannot pass the check (empty: it must pass)
gap() {
    case $BACKEND:$1 in
        tgt:res-all) echo "tgt 1.0.85 garbles READ ELEMENT STATUS for all element types (per-type requests are right)" ;;
        tgt:labels) echo "ndmjob crashes on tgt's garbled all-types READ ELEMENT STATUS" ;;
        tgt:test-tape) echo "tgt 1.0.85 reports no residual for SPACE at end of data (T-BWR #3 expects 100)" ;;
        mhvtl:worm-kept) echo "mhvtl fc22cc6 erases a WORM tape when WRITE FILEMARKS arrives at BOT (usr/ssc.c ssc_write_filemarks, 'Erasing WORM media') while answering DATA PROTECT 7/30/0C; ndmjob writes two filemarks after the refused job, so the first backup is gone" ;;
    esac
}
check() {
    local id=$1 name=$2 why; shift 2
    why=$(gap "$id")
    if [ -n "$why" ]; then vtl_xfail "$name" "$why" "$@"; else vtl_check "$name" "$@"; fi
}

E2E=/run/ndmp-e2e
mkdir -p "$E2E/export" "$E2E/state" "$E2E/lib"
# ndmjob's T-BWR #23 fix (tests/interop/ndmjob_runner.cc): movsbl -> movzbl
# at one known offset, only when the bytes there are the known ones
LIBNDMJOB=/usr/lib/x86_64-linux-gnu/amanda/libndmjob-3.5.1.so
NDMJOB_LIBDIR=
if [ "$(od -An -tx1 -j $((0x1a302)) -N 5 "$LIBNDMJOB" 2> /dev/null | tr -d ' ')" = 430fbe043c ]; then
    cp "$LIBNDMJOB" "$E2E/lib/" &&
        printf '\xb6' | dd of="$E2E/lib/${LIBNDMJOB##*/}" bs=1 seek=$((0x1a302 + 2)) conv=notrunc status=none &&
        NDMJOB_LIBDIR=$E2E/lib
fi
[ -n "$NDMJOB_LIBDIR" ] || echo "NOTE: $LIBNDMJOB is not the build we know; ndmjob runs unpatched (test-tape T-BWR #23 may fail on its signed-char compare)"
PW=vtl-$RANDOM$RANDOM
echo "ndmp:$PW" > "$E2E/passwd"
chmod 600 "$E2E/passwd"
# tgt: --max-tape-record 65536: ndmpd reads each record with a buffer of
# twice that size (tgt needs twice the record, README), and tgt moves the
# whole buffer over iSCSI for every record; at the default 256 KiB a 5 MB
# restore moved 270 MB and took 42 s under TCG.  64 KiB still covers
# test-tape's largest record (32 KiB) and the jobs' records (64 KiB,
# JOB_BLOCKS below).  mhvtl runs ndmpd's default.
RECORD_OPT=(); [ "$BACKEND" = tgt ] && RECORD_OPT=(--max-tape-record 65536)
vtl_service ndmpd "$NDMPD" --config /dev/null --listen 127.0.0.1:10000 --password-file "$E2E/passwd" \
    --auth md5 --export "$E2E/export" --library none --discover-devices true "${RECORD_OPT[@]}" --state-dir "$E2E/state" --log-level debug
vtl_check "ndmpd with sysfs discovery listens on 127.0.0.1:10000" vtl_wait_tcp 10000 60 || {
    echo "ndmpd log:"; sed 's/^/       | /' "$VTL_LOG_DIR/ndmpd.log"; vtl_summary; exit 1; }

agent() { echo "127.0.0.1:10000/$1m,ndmp,$PW"; }
# ndmjob ARGS...: run the DMA with the shim, output in $E2E/last.out
ndmjob() {
    LD_PRELOAD=$SHIM LD_LIBRARY_PATH=$NDMJOB_LIBDIR timeout 300 "$NDMJOB" "$@" > "$E2E/last.out" 2>&1
    local rc=$?
    # job modes exit 0 even on failure; anything else (a crash, a timeout) is shown
    [ $rc -eq 0 ] || [ $rc -eq 1 ] || { echo "ndmjob exited $rc; its last lines:"; tail -n 12 "$E2E/last.out"; }
    return $rc
}
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
IDENTITIES=("$VTL_DRIVE_VENDOR $VTL_DRIVE_PRODUCT" "$VTL_CHANGER_VENDOR $VTL_CHANGER_PRODUCT" "NDMPCHG000")
for ((i = 0; i < VTL_DRIVES; i++)); do s=VTL_DRIVE${i}_SERIAL; IDENTITIES+=("${!s}"); done
for v in 4 3; do
    vtl_check "v$v: ndmjob -q lists models and serials: ${IDENTITIES[*]}" \
        eval 'ndmjob -q -T "$(agent $v)" -R "$(agent $v)" && has "${IDENTITIES[@]}"'
done
# the names a DMA uses for the devices, from the v4 answer
ndmjob -q -T "$(agent 4)" -R "$(agent 4)"
# the drive the jobs load (element $VTL_DRIVE_FIRST) by its serial: ndmjob
# prints 'device NAME' and then its 'SERIAL_NUMBER=...'
TAPE0=$(awk -v want="SERIAL_NUMBER=$VTL_DRIVE0_SERIAL" '
    match($0, /device +[^ "]+/) { d = substr($0, RSTART, RLENGTH); sub(/device +/, "", d) }
    index($0, want) { print d; exit }' "$E2E/last.out")
CHANGER=$(grep -oE '\bchanger[0-9]+\b' "$E2E/last.out" | head -n1)
[ -n "$TAPE0" ] || { echo "  no device reports serial $VTL_DRIVE0_SERIAL; guessing tape0"; TAPE0=tape0; }
echo "  device names: tape $TAPE0 (serial $VTL_DRIVE0_SERIAL), changer ${CHANGER:=changer0}"

echo "# robot through ndmpd (SCSI interface) on $VTL_CHANGER_SG"
R=(-R "$(agent 4)" -r "$CHANGER")
# shellcheck disable=SC2034  # R and T are expanded inside the eval'd checks
T=(-T "$(agent 4)" -f "$TAPE0")
S1=$VTL_SLOT_FIRST S2=$((VTL_SLOT_FIRST + 1))
FIRST=${VTL_BARCODES%% *}
vtl_check "robot query: element map from MODE SENSE through ndmpd" eval '
    ndmjob -q "${R[@]}" && has "slots $VTL_SLOTS@$VTL_SLOT_FIRST  drive $VTL_DRIVES@$VTL_DRIVE_FIRST  arm 1@$VTL_PICKER  i/e $VTL_IE@$VTL_IE_FIRST"'
# ndmjob asks READ ELEMENT STATUS for all element types at once; ndmpd
# passes the DMA's CDB through unchanged, as it must (tgt 1.0.85 lays that
# answer out with overlapping pages, README)
check res-all "robot query: element status lists the barcodes" \
    eval 'ndmjob -q "${R[@]}" && has $VTL_BARCODES'
vtl_check "load slot $S1 into drive $VTL_DRIVE_FIRST" eval '
    ndmjob -v -o load=$S1 -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed &&
    mtx_shows "Data Transfer Element 0:Full \(Storage Element 1 Loaded\):VolumeTag = $FIRST"'
vtl_check "unload drive $VTL_DRIVE_FIRST back to slot $S1" eval '
    ndmjob -v -o unload=$S1 -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed &&
    mtx_shows "Storage Element 1:Full :VolumeTag=$FIRST"'
# init-labels and -l read the element status the same way (on tgt ndmjob
# dies of SIGSEGV right after that READ ELEMENT STATUS)
check labels "label the tapes in slots $S1 and $S2 through $TAPE0 (init-labels)" \
    eval 'ndmjob -v -o init-labels "${T[@]}" "${R[@]}" -m VTL001@$S1 -m VTL002@$S2 && completed'
check labels "read the labels back (ndmjob -l)" \
    eval 'ndmjob -v -l "${T[@]}" "${R[@]}" -m @$S1 -m @$S2 && has "VTL001@$S1" "VTL002@$S2"'
vtl_check "drive 0 is empty again after the label jobs" mtx_shows "Data Transfer Element 0:Empty"

echo "# tape through ndmpd (TAPE and MOVER interfaces): ndmjob -o test-tape, -o test-mover on $TAPE0"
mtx -f "$VTL_CHANGER_SG" load 3 0 > /dev/null
vtl_retry 10 mt -f "$VTL_DRIVE0_NST" status > /dev/null 2>&1
# The suites print one "Test ... Passed/Failed/Almost" line per step (with
# -v -v), stop at the first step that is not Passed, and end with "FINAL
# test-tape Passed"; ndmjob's exit status alone says nothing.
suite_passes() {
    local suite=$1 v=$2 out=$E2E/$1-v$2.out passed rc
    ndmjob -v -v -o "$suite" -T "$(agent $v)" -f "$TAPE0"; rc=$?
    cp "$E2E/last.out" "$out"; cp "$out" "$VTL_LOG_DIR/ndmjob-$suite-v$v.out"
    passed=$(grep -c -- '-- Passed' "$out")
    echo "$passed steps passed"
    [ $rc -eq 0 ] && [ "$passed" -gt 0 ] && grep -q "FINAL $suite Passed" "$out" &&
        ! grep -qE 'Test .*(Failed|Almost)' "$out" && ! grep -q '"err ' "$out" ||
        { grep -E 'Test .*(Failed|Almost)' "$out"; tail -n 15 "$out"; return 1; }
}
if [ "$BACKEND" = tgt ]; then
    # tgt 1.0.85 answers SPACE at end of data with NO SENSE + EOD and no
    # VALID information field (a real drive gives BLANK CHECK with the
    # residual), so no server can report the residual that step T-BWR #3
    # expects: that step is the named gap, and the check is that every step
    # before it passes.
    TGT_SPACE_GAP='T-BWR #3 -- Failed NDMP[34]_TAPE_MTIO/NDMP9_NO_ERR Residual incorrect, got 0 expected 100'
    test_tape_until_gap() {
        local out=$E2E/test-tape-v$1.out passed bad
        ndmjob -v -v -o test-tape -T "$(agent $1)" -f "$TAPE0"
        cp "$E2E/last.out" "$out"
        passed=$(grep -c -- '-- Passed' "$out")
        bad=$(grep -E 'Test .*(Failed|Almost)' "$out" | grep -vE "$TGT_SPACE_GAP")
        echo "$passed steps passed"
        [ -z "$bad" ] && [ "$passed" -gt 0 ] && ! grep -q '"err ' "$out" ||
            { echo "$bad"; tail -n 15 "$out"; return 1; }
    }
    for v in 4 3; do
        vtl_check "v$v: test-tape passes every step up to the tgt SPACE-at-EOD gap" test_tape_until_gap $v
        check test-tape "v$v: test-tape as a whole" eval "grep -q 'FINAL test-tape Passed' $E2E/test-tape-v$v.out"
    done
else
    for v in 2 3 4; do
        vtl_check "v$v: test-tape through $TAPE0 ($VTL_DRIVE0_SG): every step passes" suite_passes test-tape $v
        vtl_check "v$v: test-mover through $TAPE0 ($VTL_DRIVE0_SG): every step passes" suite_passes test-mover $v
    done
fi
mtx -f "$VTL_CHANGER_SG" unload 3 0 > /dev/null

echo "# jobs through ndmpd (DATA + MOVER + TAPE) on $TAPE0, drive $VTL_DRIVE_FIRST"
# A fresh tape that test-tape did not touch; loaded by ndmjob through
# ndmpd's SCSI interface, as a DMA does before a job.
S4=$((VTL_SLOT_FIRST + 3))
read -r _ _ _ TAPE4 _ <<< "$VTL_BARCODES"
SRC=$E2E/export/src
vtl_check "generate the tree to back up" vtl_make_tree "$SRC"
SRC_BYTES=$(vtl_tree_bytes "$SRC")
IMAGE=$VTL_MEDIA_DIR/$TAPE4
image_bytes() { du -sB1 "$IMAGE" | cut -f1; }
IMAGE_BEFORE=$(image_bytes)
vtl_check "load slot $S4 ($TAPE4) into drive $VTL_DRIVE_FIRST through $CHANGER" eval '
    ndmjob -v -o load=$S4 -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed &&
    mtx_shows "Data Transfer Element 0:Full \(Storage Element 4 Loaded\):VolumeTag = $TAPE4"'
# ended_okay: the job's own verdict (ndmjob's exit status says nothing)
ended_okay() { grep -q 'Operation ended OKAY' "$E2E/last.out" && completed; }
# 64 KiB records (-b 128 blocks of 512), as many DMAs use, rather than
# ndmjob's 10 KiB default (tests/interop covers that one): each record costs
# ~20 ms through tgt under TCG whatever its size (README), so the 5 MB tree
# takes 82 records instead of 522.
JOB_BLOCKS=128
# job backup NAME [ARGS...]: back up $SRC with index $E2E/NAME.index
# job restore NAME INDEX [ARGS...]: restore into the empty export/NAME with
# the index of backup INDEX.  At v4; ARGS add e.g. -T for three-way.
job() {
    local mode=$1 name=$2 index=$2; shift 2
    [ "$mode" = backup ] || { index=$1; shift; }
    local -a a=(-v -D "$(agent 4)" -f "$TAPE0" -B tar -b "$JOB_BLOCKS")
    if [ "$mode" = backup ]; then
        ndmjob "${a[@]}" -c -C "$SRC" -I "$E2E/$name.index" "$@"
    else
        mkdir -p "$E2E/export/$name" && [ -z "$(ls -A "$E2E/export/$name")" ] || return 1
        ndmjob "${a[@]}" -x -C "$E2E/export/$name" -J "$E2E/$index.index" "$@"
    fi
    local rc=$?
    # kept with run.sh -k: the DMA's view of the job (media, positions, env)
    cp "$E2E/last.out" "$VTL_LOG_DIR/ndmjob-$mode-$name.out"
    [ "$mode" = restore ] || cp "$E2E/$name.index" "$VTL_LOG_DIR/$name.index"
    [ $rc -eq 0 ] && ended_okay
}
for way in two three; do
    extra=(); [ $way = three ] && extra=(-T "$(agent 4)")
    vtl_check "$way-way: back up $SRC ($SRC_BYTES bytes) to $TAPE4" job backup $way "${extra[@]}"
    vtl_check "$way-way: restore into an empty directory" job restore $way-restored $way "${extra[@]}"
    vtl_check "$way-way: restored tree is byte-exact (content, types, modes, owners, mtimes, links)" \
        vtl_compare_trees "$SRC" "$E2E/export/$way-restored"
done
# Direct access restore of two files: ndmjob takes their offsets from the
# index and ndmpd's mover goes to them by LOCATE (mhvtl) or by spacing over
# records (tgt has no LOCATE) instead of reading the tape through.
DAR_FILES=(/sub/deeper/deep.txt /private/secret)
NDMPD_LOG=$VTL_LOG_DIR/ndmpd.log
dar_restore() {
    local from; from=$(wc -l < "$NDMPD_LOG")
    job restore dar-restored three -E DIRECT=y "${DAR_FILES[@]}" || return 1
    if [ "$BACKEND" = mhvtl ]; then
        tail -n +$((from + 1)) "$NDMPD_LOG" | grep -q 'LOCATE to object' ||
            { echo "ndmpd's log shows no LOCATE for the direct access restore"; return 1; }
    fi
    grep -q 'LOG_FILE messages: 2 OK, 0 ERROR' "$E2E/last.out" || { cat "$E2E/last.out"; return 1; }
    local f
    for f in "${DAR_FILES[@]}"; do
        cmp "$SRC$f" "$E2E/export/dar-restored$f" || return 1
        [ "$(stat -c '%a %u:%g %Y' "$SRC$f")" = "$(stat -c '%a %u:%g %Y' "$E2E/export/dar-restored$f")" ] ||
            { echo "$f: mode, owner or mtime differ"; return 1; }
    done
    [ ! -e "$E2E/export/dar-restored/big.bin" ] || { echo "big.bin came back too: not a direct access restore"; return 1; }
}
vtl_check "direct access restore of ${DAR_FILES[*]} only, byte-exact$([ "$BACKEND" = mhvtl ] && echo ', reached by LOCATE')" dar_restore
# TapeAlert: flags raised in the drive the way mhvtl's own tool does it
# (vtlcmd TapeAlert MASK: bit n-1 = flag n; drive 0 is vtltape 11) reach
# the DMA by number and name in LOG messages after the job.  vtlcmd only
# queues the message, but vtltape reads its queue before every command it
# takes, so the flags are set from the job's second SCSI command on, long
# before the TapeAlert page is read at the job's end.
tape_alert_reported() {
    LD_LIBRARY_PATH=$MHVTL_BUILD/lib "$MHVTL_BUILD/bin/vtlcmd" 11 TapeAlert 80004 || return 1
    job restore alert-restored three -E DIRECT=y /private/secret || return 1
    has "TapeAlert 3 (Hard error)" "TapeAlert 20 (Clean now)"
}
if [ "$BACKEND" = mhvtl ]; then
    vtl_check "TapeAlert flags 3 and 20 raised with vtlcmd reach ndmjob as LOG messages after the job" tape_alert_reported
fi
# The bytes went through the emulator, not somewhere else: its image of the
# tape grew by a backup (ndmjob rewinds before each backup, so the second
# one overwrote the first), and the tape holds a tar archive that GNU tar
# reads through the kernel's st driver, in the jobs' record size.  mhvtl
# compresses each record with LZO: only the tree's random file (big.bin)
# is sure to keep its size.
MIN_GROWTH=$SRC_BYTES; [ "$BACKEND" = mhvtl ] && MIN_GROWTH=$(stat -c %s "$SRC/big.bin")
vtl_check "$BACKEND's image of $TAPE4 grew by the backup (>= $MIN_GROWTH bytes)" eval '
    grow=$(($(image_bytes) - IMAGE_BEFORE)); echo "grew by $grow bytes"; [ $grow -ge $MIN_GROWTH ]'
tar_lists_tape() {
    vtl_retry 10 mt -f "$VTL_DRIVE0_NST" rewind || return 1
    tar -tvf "$VTL_DRIVE0_NST" -b "$JOB_BLOCKS" > "$E2E/tar.out" 2>&1 || { cat "$E2E/tar.out"; return 1; }
    grep -qE ' 5242999 .*big\.bin$' "$E2E/tar.out" && grep -q 'sub/deeper/deep\.txt' "$E2E/tar.out" &&
        grep -q 'link-to-big -> big\.bin' "$E2E/tar.out" || { cat "$E2E/tar.out"; return 1; }
}
vtl_check "GNU tar lists the backup on $VTL_DRIVE0_NST" tar_lists_tape
vtl_check "unload $TAPE4 back to slot $S4 through $CHANGER" eval '
    ndmjob -v -o unload=$S4 -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed &&
    mtx_shows "Storage Element 4:Full :VolumeTag=$TAPE4"'

# Real end of medium: the last VTL_SMALL_TAPES tapes hold 8 MB (run.sh
# --small-tapes), of which mhvtl lets 6 MB be written before its early
# warning, so a backup of ~9 MB of mostly random bytes (LZO cannot shrink
# them) meets the drive's early warning on the first; ndmpd pauses the
# mover, ndmjob changes the tape through the robot and the backup ends on
# the second.
if [ "${VTL_SMALL_TAPES:-0}" -ge 2 ]; then
    echo "# multi-volume: a backup across two ${VTL_SMALL_TAPE_MB} MB tapes, end of medium from the drive"
    read -r -a BCS <<< "$VTL_BARCODES"
    SA=$((VTL_SLOT_FIRST + VTL_TAPES - 2)) SB=$((VTL_SLOT_FIRST + VTL_TAPES - 1))
    MV=(-m "MV0001@$SA" -m "MV0002@$SB")
    SRC2=$E2E/export/multi
    vtl_check "generate a tree larger than one ${VTL_SMALL_TAPE_MB} MB tape" eval '
        vtl_make_tree "$SRC2" && head -c 3670017 /dev/urandom > "$SRC2/big2.bin"'
    vtl_check "label ${BCS[-2]} (slot $SA) and ${BCS[-1]} (slot $SB) through $TAPE0" eval '
        ndmjob -v -o init-labels "${T[@]}" "${R[@]}" "${MV[@]}" && completed'
    multi_backup() {
        ndmjob -v -c -D "$(agent 4)" -f "$TAPE0" -B tar -b "$JOB_BLOCKS" -C "$SRC2" -I "$E2E/multi.index" \
            "${MV[@]}" "${R[@]}"
        cp "$E2E/last.out" "$VTL_LOG_DIR/ndmjob-backup-multi.out"
        ended_okay && has "media #2" || { tail -n 25 "$E2E/last.out"; return 1; }
        grep -q 'reached early warning' "$VTL_LOG_DIR/ndmpd.log" ||
            { echo "ndmpd logged no early warning from the drive"; return 1; }
    }
    vtl_check "back up $(vtl_tree_bytes "$SRC2") bytes across both tapes (early warning, tape change by the DMA)" multi_backup
    multi_restore() {
        mkdir -p "$E2E/export/multi-restored" &&
            ndmjob -v -x -D "$(agent 4)" -f "$TAPE0" -B tar -b "$JOB_BLOCKS" -C "$E2E/export/multi-restored" \
                -J "$E2E/multi.index" "${MV[@]}" "${R[@]}"
        cp "$E2E/last.out" "$VTL_LOG_DIR/ndmjob-restore-multi.out"
        ended_okay
    }
    vtl_check "restore from both tapes into an empty directory" multi_restore
    vtl_check "multi-volume restore is byte-exact" vtl_compare_trees "$SRC2" "$E2E/export/multi-restored"
    vtl_check "drive 0 is empty after the multi-volume jobs" mtx_shows "Data Transfer Element 0:Empty"
fi

# WORM and cleaning cartridges (run.sh --special-tapes): media a drive must
# refuse, refused with the NDMP error a DMA can act on, and the data
# already on the WORM tape left readable.
if [ -n "${VTL_WORM_BARCODE:-}" ]; then
    echo "# WORM ($VTL_WORM_BARCODE, slot $VTL_WORM_SLOT) and cleaning ($VTL_CLEANING_BARCODE, slot $VTL_CLEANING_SLOT) cartridges"
    # log_since N PATTERN: PATTERN in ndmpd's log after line N
    log_since() { tail -n +$(($1 + 1)) "$NDMPD_LOG" | grep -qE -- "$2" || { echo "ndmpd's log lacks: $2"; return 1; }; }
    vtl_check "load the WORM tape $VTL_WORM_BARCODE into drive $VTL_DRIVE_FIRST through $CHANGER" eval '
        ndmjob -v -o load=$VTL_WORM_SLOT -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed'
    vtl_check "WORM: a first backup writes from BOT and ends OKAY" job backup worm
    worm_overwrite_refused() {
        local from; from=$(wc -l < "$NDMPD_LOG")
        ndmjob -v -c -D "$(agent 4)" -f "$TAPE0" -B tar -b "$JOB_BLOCKS" -C "$SRC" -I "$E2E/worm2.index"
        cp "$E2E/last.out" "$VTL_LOG_DIR/ndmjob-backup-worm2.out"
        ! grep -q 'Operation ended OKAY' "$E2E/last.out" || { echo "the overwrite of a WORM tape ended OKAY"; return 1; }
        log_since "$from" 'mover: tape error: write_protected: WRITE\(6\) .*7/30/0c' &&
            log_since "$from" 'MOVER halted: MEDIA_ERROR' &&
            log_since "$from" 'TAPE_MTIO answered NDMP_WRITE_PROTECT_ERR'
    }
    vtl_check "WORM: a second backup over it is refused (DATA PROTECT 7/30/0C: mover halts MEDIA_ERROR, filemarks NDMP_WRITE_PROTECT_ERR)" \
        worm_overwrite_refused
    # ndmjob writes two filemarks after the failed job, at BOT where the
    # refused write left the tape; a WORM drive refuses them (it does: 7/30/0C)
    # but mhvtl wipes the tape first
    check worm-kept "WORM: the first backup still restores byte-exact after the refused overwrite" eval '
        job restore worm-restored worm && vtl_compare_trees "$SRC" "$E2E/export/worm-restored"'
    vtl_check "unload $VTL_WORM_BARCODE back to slot $VTL_WORM_SLOT" eval '
        ndmjob -v -o unload=$VTL_WORM_SLOT -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed'
    vtl_check "load the cleaning cartridge $VTL_CLEANING_BARCODE into drive $VTL_DRIVE_FIRST" eval '
        ndmjob -v -o load=$VTL_CLEANING_SLOT -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed'
    cleaning_refused() {
        local from; from=$(wc -l < "$NDMPD_LOG")
        ndmjob -v -c -D "$(agent 4)" -f "$TAPE0" -B tar -b "$JOB_BLOCKS" -C "$SRC" -I "$E2E/cln.index"
        ! grep -q 'Operation ended OKAY' "$E2E/last.out" && grep -q 'failed open tape drive' "$E2E/last.out" ||
            { tail -n 12 "$E2E/last.out"; return 1; }
        log_since "$from" 'TAPE_OPEN .* refused: not_ready: .* 2/30/03 .*NDMP_NO_TAPE_LOADED_ERR'
    }
    vtl_check "a backup onto the cleaning cartridge is refused at TAPE_OPEN (NOT READY 30/03: NDMP_NO_TAPE_LOADED_ERR)" \
        cleaning_refused
    vtl_check "unload $VTL_CLEANING_BARCODE back to slot $VTL_CLEANING_SLOT" eval '
        ndmjob -v -o unload=$VTL_CLEANING_SLOT -o tape-addr=$VTL_DRIVE_FIRST "${R[@]}" && completed'
fi

vtl_summary
