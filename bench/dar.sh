#!/bin/bash
# dar.sh - direct access recovery on a real kernel SCSI stack: the time ndmpd
# takes to restore the last file of a long tape with DIRECT=y (the mover
# LOCATEs to the record the file history gave) against restoring the whole
# backup (reading the tape through to it), in one guest run, alternating,
# median of N.  The guest is emulated (qemu TCG, mhvtl): the ratio matters.
#
# From the repository, as root, after building:
#   tests/vtl-vm/run.sh --tape-mb 1024 -m 2048 -- bench/dar.sh \
#       build/server/ndmpd build/tests/interop/ndmjob_gmalloc_shim.so [MB] [RUNS]
# The backup: MB (default 64) of random bytes in a.bin, then zz-last.txt
# (ndmpd archives names in sorted order, so zz-last.txt is the last file on
# the tape).  Records: 64 KiB.  Times are the server's own, from its log:
# "restore into ... started" to "restore into ... done".
set -u
. "$(dirname "${BASH_SOURCE[0]}")/vtl-ndmpd.sh"
: "${VTL_CHANGER_SG:?runs inside the vtl-vm guest (tests/vtl-vm/run.sh)}"
[ $# -ge 2 ] || { echo "usage: dar.sh NDMPD GMALLOC_SHIM [MB] [RUNS]" >&2; exit 2; }
NDMPD=$1 SHIM=$2 MB=${3:-64} RUNS=${4:-3}
NDMJOB=/usr/lib/amanda/ndmjob
RECORD=65536
B=/run/vtl-dar
mkdir -p "$B/export/src" "$B/state"
NST=$VTL_DRIVE0_NST CHG=$VTL_CHANGER_SG

log_ms() { date -u -d "${1%Z}" +%s%3N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# job_ms FROM_LINE: the last restore's server time, from ndmpd's log after FROM_LINE
job_ms() {
    local start end
    start=$(tail -n +$(($1 + 1)) "$B/ndmpd.log" | grep -m1 'restore into .* started' | cut -d' ' -f1)
    end=$(tail -n +$(($1 + 1)) "$B/ndmpd.log" | grep -m1 'restore into .* done' | cut -d' ' -f1)
    [ -n "$start" ] && [ -n "$end" ] || { echo "no start/end in ndmpd's log" >&2; tail -n 20 "$B/ndmpd.log" >&2; return 1; }
    echo $(($(log_ms "$end") - $(log_ms "$start")))
}

echo "# $(date -u +%FT%TZ), guest kernel $(uname -r), $(nproc) vCPU, $VTL_BACKEND $VTL_PERSONALITY ($VTL_DRIVE_VENDOR $VTL_DRIVE_PRODUCT)"
head -c $((MB * 1048576)) /dev/urandom > "$B/export/src/a.bin" || exit 1
echo "the last file on the tape" > "$B/export/src/zz-last.txt"
mtx -f "$CHG" load 1 0 > /dev/null || { echo "mtx load failed"; exit 1; }
until mt -f "$NST" status > /dev/null 2>&1; do sleep 0.2; done

vtl_bench_ndmpd "$B" "$NDMPD" debug
TAPE=$(vtl_bench_tape "$B" "$SHIM")
[ -n "$TAPE" ] || { echo "ndmpd does not offer drive $VTL_DRIVE0_SERIAL"; cat "$B/q.out"; exit 1; }
JOB=(-D "$A" -f "$TAPE" -B tar -b $((RECORD / 512)))

LD_PRELOAD=$SHIM "$NDMJOB" -c "${JOB[@]}" -C "$B/export/src" -I "$B/index" > "$B/job.out" 2>&1
grep -q 'Operation ended OKAY' "$B/job.out" || { echo "backup failed"; tail -n 20 "$B/job.out"; exit 1; }
grep 'backup stream complete' "$B/ndmpd.log" | tail -n 1 | sed 's/^/ndmpd: /'

: > "$B/dar.ms"; : > "$B/full.ms"
for ((r = 1; r <= RUNS; r++)); do
    rm -rf "$B/export/out"; mkdir -p "$B/export/out"
    lines=$(wc -l < "$B/ndmpd.log")
    LD_PRELOAD=$SHIM "$NDMJOB" -x "${JOB[@]}" -C "$B/export/out" -J "$B/index" -E DIRECT=y /zz-last.txt > "$B/job.out" 2>&1
    grep -q 'Operation ended OKAY' "$B/job.out" && cmp -s "$B/export/src/zz-last.txt" "$B/export/out/zz-last.txt" &&
        [ ! -e "$B/export/out/a.bin" ] || { echo "direct access restore failed"; tail -n 20 "$B/job.out"; exit 1; }
    job_ms "$lines" >> "$B/dar.ms" || exit 1
    locates=$(tail -n +$((lines + 1)) "$B/ndmpd.log" | grep -c 'LOCATE to object')
    rm -rf "$B/export/out"; mkdir -p "$B/export/out"
    lines=$(wc -l < "$B/ndmpd.log")
    LD_PRELOAD=$SHIM "$NDMJOB" -x "${JOB[@]}" -C "$B/export/out" -J "$B/index" > "$B/job.out" 2>&1
    grep -q 'Operation ended OKAY' "$B/job.out" && cmp -s "$B/export/src/zz-last.txt" "$B/export/out/zz-last.txt" ||
        { echo "full restore failed"; tail -n 20 "$B/job.out"; exit 1; }
    job_ms "$lines" >> "$B/full.ms" || exit 1
    echo "run $r: direct access of the last file $(tail -n1 "$B/dar.ms") ms ($locates LOCATE), whole restore $(tail -n1 "$B/full.ms") ms"
done
dar_ms=$(median < "$B/dar.ms") full_ms=$(median < "$B/full.ms")
awk -v mb="$MB" -v d="$dar_ms" -v f="$full_ms" -v runs="$RUNS" 'BEGIN {
    printf "%d MB before the last file, 64 KiB records, median of %d: direct access %d ms, reading through %d ms: %.1fx faster\n",
        mb, runs, d, f, f / d }'
grep 'LOCATE to object' "$B/ndmpd.log" | tail -n 1 | sed 's/^/ndmpd: /'
mt -f "$NST" offline; mtx -f "$CHG" unload 1 0 > /dev/null
