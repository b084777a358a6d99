#!/bin/bash
# vtl-throughput.sh - tape write throughput through a real kernel SCSI stack:
# ndmpd's backup (the mover writes records with SG_IO on /dev/sg) against dd
# to the same drive through st (/dev/nst), same data, same record size, side
# by side in one guest run, alternating, median of N.  The guest is emulated
# (qemu TCG, mhvtl), so the ratio matters, not the MB/s.
#
# From the repository, as root, after building:
#   tests/vtl-vm/run.sh --tape-mb 2048 -m 2048 -- bench/vtl-throughput.sh \
#       build/server/ndmpd build/tests/interop/ndmjob_gmalloc_shim.so [MB] [RUNS]
# MB (default 128) of random bytes (mhvtl compresses with LZO, so random
# data keeps the drive honest), RUNS (default 3) of each.  Records: 64 KiB.
#
# ndmpd's time is the job's own, from its log: "backup ... started" to
# "mover: backup stream complete" (the DMA's start-up over 9p and ndmjob's
# fixed 2 s wait after a job are not the server's).  dd's time is dd's,
# including the closing filemark st writes.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/vtl-ndmpd.sh"
: "${VTL_CHANGER_SG:?runs inside the vtl-vm guest (tests/vtl-vm/run.sh)}"
[ $# -ge 2 ] || { echo "usage: vtl-throughput.sh NDMPD GMALLOC_SHIM [MB] [RUNS]" >&2; exit 2; }
NDMPD=$1 SHIM=$2 MB=${3:-128} RUNS=${4:-3}
NDMJOB=/usr/lib/amanda/ndmjob
RECORD=65536   # ndmjob -b takes at most 254 blocks of 512 bytes: 64 KiB is the largest round size
B=/run/vtl-bench
mkdir -p "$B/export/src" "$B/state"
NST=$VTL_DRIVE0_NST CHG=$VTL_CHANGER_SG

ms_since() { echo $(( (${EPOCHREALTIME/./} - ${1/./}) / 1000 )); }
# epoch milliseconds of an ndmpd log timestamp (2026-12-07T21:28:17.297Z)
log_ms() { local t; t=$(date -u -d "${1%Z}" +%s%3N) && echo "$t"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "# $(date -u +%FT%TZ), guest kernel $(uname -r), $(nproc) vCPU, $VTL_BACKEND $VTL_PERSONALITY ($VTL_DRIVE_VENDOR $VTL_DRIVE_PRODUCT)"
head -c $((MB * 1048576)) /dev/urandom > "$B/export/src/data.bin" || exit 1
mtx -f "$CHG" load 1 0 > /dev/null || { echo "mtx load failed"; exit 1; }
until mt -f "$NST" status > /dev/null 2>&1; do sleep 0.2; done
mt -f "$NST" setblk 0

vtl_bench_ndmpd "$B" "$NDMPD" info
TAPE=$(vtl_bench_tape "$B" "$SHIM")
[ -n "$TAPE" ] || { echo "ndmpd does not offer drive $VTL_DRIVE0_SERIAL"; cat "$B/q.out"; exit 1; }

: > "$B/dd.ms"; : > "$B/ndmpd.ms"
for ((r = 1; r <= RUNS; r++)); do
    mt -f "$NST" rewind
    t0=$EPOCHREALTIME
    dd if="$B/export/src/data.bin" of="$NST" bs=$RECORD status=none || { echo "dd failed"; exit 1; }
    echo "$(ms_since "$t0")" >> "$B/dd.ms"
    mt -f "$NST" rewind
    lines=$(wc -l < "$B/ndmpd.log")
    LD_PRELOAD=$SHIM "$NDMJOB" -c -D "$A" -f "$TAPE" -B tar -b $((RECORD / 512)) -C "$B/export/src" \
        -I "$B/index" > "$B/job.out" 2>&1
    grep -q 'Operation ended OKAY' "$B/job.out" || { echo "backup failed"; tail -n 20 "$B/job.out"; exit 1; }
    start=$(tail -n +$((lines + 1)) "$B/ndmpd.log" | grep -m1 'backup of .* started' | cut -d' ' -f1)
    end=$(tail -n +$((lines + 1)) "$B/ndmpd.log" | grep -m1 'backup stream complete' | cut -d' ' -f1)
    [ -n "$start" ] && [ -n "$end" ] || { echo "no start/end in ndmpd's log"; tail -n 20 "$B/ndmpd.log"; exit 1; }
    echo $(($(log_ms "$end") - $(log_ms "$start"))) >> "$B/ndmpd.ms"
    echo "run $r: dd $(tail -n1 "$B/dd.ms") ms, ndmpd $(tail -n1 "$B/ndmpd.ms") ms"
done
dd_ms=$(median < "$B/dd.ms") nd_ms=$(median < "$B/ndmpd.ms")
awk -v mb="$MB" -v d="$dd_ms" -v n="$nd_ms" -v runs="$RUNS" -v rec=$((RECORD / 1024)) 'BEGIN {
    printf "%d MB random, %d KiB records, median of %d: dd to st %.1f MB/s (%d ms), ndmpd over SG_IO %.1f MB/s (%d ms): ndmpd/dd %.2f\n",
        mb, rec, runs, mb * 1000 / d, d, mb * 1000 / n, n, d / n }'
grep 'backup stream complete' "$B/ndmpd.log" | tail -n 1 | sed 's/^/ndmpd: /'
mt -f "$NST" offline; mtx -f "$CHG" unload 1 0 > /dev/null
