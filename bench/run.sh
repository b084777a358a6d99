#!/bin/bash
# bench/run.sh -- ndmpd's performance figures, in one command (issue 10).
#
# Builds Release in its own build directory, generates the data sets, runs
# every measurement RUNS times (median), and writes bench/RESULTS.md: one
# table with each ndmpd figure as MB/s and as a ratio to this machine's limit
# (GNU tar / cat / dd on the same data and disk) and to ndmjob's own NDMP
# server, control-path latency and requests/s, peak RSS per job, and the
# Google Benchmark micro-benchmarks. Not part of the test suite: figures are
# not pass/fail, and the suite has no timed tests.
#
# Settings (environment):
#   BENCH_DIR     directory of the data sets (default /var/tmp/ndmpd-bench; kept
#                 between runs, regenerated when the sizes change)
#   OUT_DIR       where tapes, limit outputs and restores are written (default
#                 /dev/shm/ndmpd-bench when that tmpfs has room, else
#                 BENCH_DIR/work); removed at the end
#   BUILD_DIR     Release build directory (default /tmp/ndmpd-bench-build)
#   RUNS          repetitions per figure (default 5; the median is reported)
#   SOURCE        memory (default when OUT_DIR is a tmpfs with room): the data
#                 sets are copied next to the tape and read from memory by every
#                 tool; disk: they are read where they were generated
#   LARGE_FILES, LARGE_MIB   large data set (default 2 files of 2048 MiB)
#   SMALL_FILES   small data set: files of 1..16 KiB (default 100000)
#   RECORD_BLOCKS tape record size in 512-byte blocks, ndmjob -b (default 128
#                 = 64 KiB, the most ndmjob accepts; its default is 20)
#   PORT_BASE     first of four loopback ports (default 10700)
#   RESULTS       output file (default bench/RESULTS.md beside this script)
# Needs: Debian's ndmjob (/usr/lib/amanda/ndmjob, package amanda-common).
#
# What is measured: the data path's own cost. Data sets are read from memory
# (copied into OUT_DIR; the VM this was written on keeps no more than ~2 GiB
# of file pages cached, so a "warm" 5 GiB data set on disk was re-read from
# disk at a speed that changed from run to run), and the emulated tape, the
# limits' outputs and restores go to OUT_DIR, by default memory (tmpfs), because on a machine whose disk is
# slower than the server (the VM this was written on writes ~65 MB/s) every
# figure would be the disk's and the ratios would say nothing about ndmpd.
# The disk's own write speed is reported beside (dd conv=fdatasync), as the
# bound a tape image on that disk would have. Everything written to "tape" is
# synced before a job ends (the emulated tape fdatasyncs on the closing file
# mark and rewind), so the backup limits end with the same sync.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/var/tmp/ndmpd-bench}
BUILD_DIR=${BUILD_DIR:-/tmp/ndmpd-bench-build}
RUNS=${RUNS:-5}
LARGE_FILES=${LARGE_FILES:-2}
LARGE_MIB=${LARGE_MIB:-2048}
SMALL_FILES=${SMALL_FILES:-100000}
RECORD_BLOCKS=${RECORD_BLOCKS:-128}
PORT_BASE=${PORT_BASE:-10700}
RESULTS=${RESULTS:-$HERE/RESULTS.md}
NDMJOB=/usr/lib/amanda/ndmjob
# The ndmjob helper files kept with the team's shared material beside the repository.
SHARED=${NDMP_SHARED:-$SRC/../shared/ndmjob}

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

[ -x "$NDMJOB" ] || die "$NDMJOB not found (apt-get install amanda-common; scripts/install-deps.sh)"

# --- build -------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "building Release in $BUILD_DIR"
cmake -S "$SRC" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR.cmake.log" 2>&1 ||
  die "cmake configure (see $BUILD_DIR.cmake.log)"
# ndmp_cm first: its generated protobuf headers are included by server/ sources.
ninja -C "$BUILD_DIR" -j2 ndmp_cm >"$BUILD_DIR.ninja.log" 2>&1 || die "build (see $BUILD_DIR.ninja.log)"
ninja -C "$BUILD_DIR" -j2 ndmpd ndmjob_gmalloc_shim ndmp-ctl-bench ndmp-bench-gen ndmp_bench_codec ndmp_bench_tape \
  >"$BUILD_DIR.ninja.log" 2>&1 || die "build (see $BUILD_DIR.ninja.log)"
NDMPD=$BUILD_DIR/server/ndmpd
SHIM=$(find "$BUILD_DIR" -name '*ndmjob_gmalloc_shim.so' -type f | head -1)
[ -n "$SHIM" ] || die "ndmjob g_malloc shim not built"

# --- scratch and data sets -----------------------------------------------------
mkdir -p "$BENCH_DIR"
S=$BENCH_DIR
DATA=$S/data
mkdir -p "$DATA"
free_gib() { df -BG --output=avail "$1" | tail -1 | tr -dc 0-9; }
data_gib=$(( (LARGE_FILES * LARGE_MIB + SMALL_FILES * 9 / 1024) / 1024 + 1 ))
out_gib=$(( data_gib * 2 + 1 ))   # a tape image and a restore of the larger set at once
if [ -z "${OUT_DIR:-}" ]; then
  if [ -d /dev/shm ] && [ "$(free_gib /dev/shm)" -ge $((out_gib + 2)) ]; then OUT_DIR=/dev/shm/ndmpd-bench; else OUT_DIR=$S/work; fi
fi
W=$OUT_DIR
rm -rf "$W"
mkdir -p "$W"
[ "$(free_gib "$S")" -ge "$data_gib" ] || [ -f "$DATA/small.stamp" ] || die "$S has $(free_gib "$S") GiB free; the data needs ${data_gib} GiB"
SOURCE=${SOURCE:-}
if [ -z "$SOURCE" ]; then
  if [ "$(df --output=fstype "$W" | tail -1)" = tmpfs ] && [ "$(free_gib "$W")" -ge $((out_gib + data_gib + 2)) ]; then SOURCE=memory; else SOURCE=disk; fi
fi
[ "$SOURCE" = disk ] || out_gib=$((out_gib + data_gib))
[ "$(free_gib "$W")" -ge "$out_gib" ] || die "$W has $(free_gib "$W") GiB free; need about ${out_gib} GiB (set OUT_DIR or LARGE_MIB)"
OUT_FS=$(df --output=fstype "$W" | tail -1)

STAMP_L="$DATA/large.stamp" STAMP_S="$DATA/small.stamp"
if [ "$(cat "$STAMP_L" 2>/dev/null)" != "$LARGE_FILES x $LARGE_MIB" ]; then
  say "generating $LARGE_FILES x $LARGE_MIB MiB"
  rm -rf "$DATA/large"
  "$BUILD_DIR/bench/ndmp-bench-gen" large "$DATA/large" "$LARGE_FILES" "$LARGE_MIB" >/dev/null
  echo "$LARGE_FILES x $LARGE_MIB" >"$STAMP_L"
fi
if [ "$(cat "$STAMP_S" 2>/dev/null)" != "$SMALL_FILES" ]; then
  say "generating $SMALL_FILES small files"
  rm -rf "$DATA/small"
  "$BUILD_DIR/bench/ndmp-bench-gen" small "$DATA/small" "$SMALL_FILES" 1 16 >/dev/null
  echo "$SMALL_FILES" >"$STAMP_S"
fi
DATA_WHERE="$S on $(df --output=source "$S" | tail -1) ($(df --output=fstype "$S" | tail -1)), read through the page cache"
if [ "$SOURCE" = memory ]; then
  say "copying the data sets into $W/data (SOURCE=memory)"
  mkdir -p "$W/data"
  cp -a "$DATA/large" "$DATA/small" "$W/data/"
  DATA=$W/data
  DATA_WHERE="copied into $DATA (tmpfs): every tool reads them from memory"
fi
bytes_of() { du -sb --apparent-size "$1" | cut -f1; }   # file bytes + directory sizes (tiny)
LARGE_BYTES=$(find "$DATA/large" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f\n", s}')
SMALL_BYTES=$(find "$DATA/small" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f\n", s}')
SMALL_COUNT=$(find "$DATA/small" -type f | wc -l)

# --- helpers -------------------------------------------------------------------
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b/s/1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b>0) printf "%.2f", a/b; else print "n/a"}'; }
drop_dir() { rm -rf "$1"; sync -f "$S" 2>/dev/null || true; }

declare -A SECS CPU   # figure name -> median wall seconds / median CPU seconds

# CPU seconds so far of what a figure measures: the ndmpd processes in
# CPU_PIDS (utime + stime), or, when CPU_PIDS is empty, this shell's finished
# children (the limit commands). Less sensitive to a busy machine than wall time.
CPU_PIDS=""
# Sets CPU_NOW (not echoed: `times` in a $(...) subshell would see no children).
HZ=$(getconf CLK_TCK)
cpu_now() {
  if [ -n "$CPU_PIDS" ]; then
    local p t=0
    for p in $CPU_PIDS; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
    CPU_NOW=$(awk -v t="$t" -v hz="$HZ" 'BEGIN {print t / hz}')
  else
    times >"$W/.times"
    CPU_NOW=$(awk 'NR == 2 {gsub(/s/, ""); split($1, u, "m"); split($2, k, "m"); print u[1] * 60 + u[2] + k[1] * 60 + k[2]}' "$W/.times")
  fi
}

# time_runs NAME SETUP_FN RUN_FN: RUNS times (SETUP untimed, RUN timed); median seconds.
time_runs() {
  local name=$1 setup=$2 run=$3 i t0 t1 c0 c1 list="" clist=""
  for ((i = 1; i <= RUNS; i++)); do
    $setup
    cpu_now
    c0=$CPU_NOW
    t0=$(now)
    $run || die "$name (run $i)"
    t1=$(now)
    cpu_now
    c1=$CPU_NOW
    list+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')"$'\n'
    clist+="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b-a}')"$'\n'
  done
  SECS[$name]=$(printf '%s' "$list" | median)
  CPU[$name]=$(printf '%s' "$clist" | median)
  say "$name: median ${SECS[$name]} s wall, ${CPU[$name]} s CPU over $RUNS runs"
}
nothing() { :; }
# time_alternating NAME_A RUN_A NAME_B RUN_B: the two jobs alternate, RUNS
# times each, so that both meet the same machine: on this VM the cost of
# writing to fresh tmpfs pages drifts by 2x over minutes, which made a
# figure measured after another look better or worse than it was.
time_alternating() {
  local na=$1 ra=$2 nb=$3 rb=$4 i t0 t1 c0 c1 la="" lb="" ca="" cb=""
  for ((i = 1; i <= RUNS; i++)); do
    for pair in "$na $ra" "$nb $rb"; do
      set -- $pair
      cpu_now; c0=$CPU_NOW; t0=$(now)
      $2 || die "$1 (run $i)"
      t1=$(now); cpu_now; c1=$CPU_NOW
      if [ "$1" = "$na" ]; then
        la+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')"$'\n'; ca+="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b-a}')"$'\n'
      else
        lb+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')"$'\n'; cb+="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b-a}')"$'\n'
      fi
    done
  done
  SECS[$na]=$(printf '%s' "$la" | median); CPU[$na]=$(printf '%s' "$ca" | median)
  SECS[$nb]=$(printf '%s' "$lb" | median); CPU[$nb]=$(printf '%s' "$cb" | median)
  say "$na: median ${SECS[$na]} s wall, ${CPU[$na]} s CPU; $nb: median ${SECS[$nb]} s wall, ${CPU[$nb]} s CPU (alternating, $RUNS runs each)"
}

# --- the limits ------------------------------------------------------------------
say "limits: tar, cat, dd on the same data and disk"
LIM=$W/limit.out
tar_large() { tar -C "$DATA/large" -cf - . >"$LIM" && sync "$LIM"; }
tar_small() { tar -C "$DATA/small" -cf - . >"$LIM" && sync "$LIM"; }
cat_large() { cat "$DATA"/large/* >"$LIM" && sync "$LIM"; }
dd_large() { dd if="$DATA/large/big0.bin" of="$LIM" bs=1M conv=fdatasync status=none; }
DISK_MIB=512
dd_disk() { dd if="$DATA/large/big0.bin" of="$S/dd.out" bs=1M count=$DISK_MIB conv=fdatasync status=none; }
clear_lim() { rm -f "$LIM" "$S/dd.out"; }
# The limits overwrite their previous output, as a backup overwrites the tape
# from BOT (the emulated tape then truncates its image): both pay for freeing
# the old bytes inside the timed region.
# Warm the page cache before each group of figures on a data set: a busy
# machine (tmpfs tapes, other work) may have evicted it since.
warm() { tar -C "$DATA/$1" -cf - . | cat >/dev/null; }
warm large
time_runs tar_large nothing tar_large
time_runs cat_large nothing cat_large
time_runs dd_large nothing dd_large
time_runs dd_disk nothing dd_disk
rm -f "$S/dd.out"
warm small
time_runs tar_small nothing tar_small
tar -C "$DATA/small" -cf "$W/small.tar" .
SMALL_TAR_BYTES=$(stat -c %s "$W/small.tar")
cat_small() { cat "$W/small.tar" >"$LIM" && sync "$LIM"; }
time_runs cat_small nothing cat_small
rm -f "$W/small.tar"
REST_LIM=$W/limit-restore
tar -C "$DATA/large" -cf "$W/large.tar" .
untar_large() { mkdir -p "$REST_LIM" && tar -C "$REST_LIM" -xf "$W/large.tar"; }
warm large
time_runs untar_large "drop_dir $REST_LIM" untar_large
drop_dir "$REST_LIM"
rm -f "$W/large.tar" "$LIM"
tar -C "$DATA/small" -cf "$W/small.tar" .
untar_small() { mkdir -p "$REST_LIM" && tar -C "$REST_LIM" -xf "$W/small.tar"; }
time_runs untar_small "drop_dir $REST_LIM" untar_small
drop_dir "$REST_LIM"
rm -f "$W/small.tar"

# --- ndmpd servers ----------------------------------------------------------------
PW=$W/passwd
printf 'bench:bench\n' >"$PW"
chmod 600 "$PW"
TAPE_PORT=$PORT_BASE DATA_PORT=$((PORT_BASE + 1)) PEER_PORT=$((PORT_BASE + 2))
TAPE_MIB=$(( (LARGE_FILES * LARGE_MIB) * 3 / 2 + 1024 ))
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
start_ndmpd() {  # PORT NAME [extra flags...]; sets STARTED_PID
  local port=$1 name=$2
  shift 2
  mkdir -p "$W/$name/state"
  "$NDMPD" --listen "127.0.0.1:$port" --password-file "$PW" --auth md5,text --export "$DATA" --export "$W" \
    --state-dir "$W/$name/state" --log-level warning --log-file "$W/$name/ndmpd.log" "$@" </dev/null >/dev/null 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  wait_port "$port" || die "ndmpd $name did not start (see $W/$name/ndmpd.log)"
}
ndmjob() { LD_PRELOAD=$SHIM "$NDMJOB" "$@"; }
# Runs an ndmjob job; fails unless it ends "Operation complete" with no problems.
job() {
  local out
  out=$(ndmjob "$@" 2>&1) || true
  if ! grep -q '^SESS "Operation complete"$' <<<"$out" || grep -q 'had problems' <<<"$out"; then
    printf '%s\n' "$out" | tail -20 >&2
    return 1
  fi
}

start_ndmpd "$TAPE_PORT" tape --library "$W/tape/library" --library-drives 2 --library-slots 4 \
  --library-tape-size "$TAPE_MIB"
TAPE_PID=$STARTED_PID
start_ndmpd "$DATA_PORT" data
DATA_PID=$STARTED_PID
A=127.0.0.1:$TAPE_PORT/4,bench,bench
B=127.0.0.1:$DATA_PORT/4,bench,bench
job -v -o load=1000 -R "$A" -r emu-changer || die "loading a tape into emu-drive0"

# Peak RSS of one job: reset the high-water mark (clear_refs 5), read VmHWM after.
reset_hwm() { local p; for p in "$@"; do echo 5 >"/proc/$p/clear_refs"; done; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
declare -A HWM_MAX
track_rss() {  # NAME PID... : after a job, keep the largest VmHWM seen for NAME
  local name=$1 p v
  shift
  for p in "$@"; do
    v=$(hwm_kib "$p")
    if [ -z "${HWM_MAX[$name]:-}" ] || [ "$v" -gt "${HWM_MAX[$name]}" ]; then HWM_MAX[$name]=$v; fi
  done
}

B_FLAGS=(-b "$RECORD_BLOCKS" -B tar)
CPU_PIDS="$TAPE_PID $DATA_PID"
IDX=$W/index
RESTORE=$W/restore

for set in large small; do
  src=$DATA/$set
  bk_local() { reset_hwm "$TAPE_PID"; job -v -c -D "$A" -f emu-drive0 -C "$src" "${B_FLAGS[@]}" -I "$IDX.$set" && track_rss "local_$set" "$TAPE_PID"; }
  rs_local() { reset_hwm "$TAPE_PID"; job -v -x -D "$A" -f emu-drive0 -C "$RESTORE" "${B_FLAGS[@]}" -J "$IDX.$set" && track_rss "restore_$set" "$TAPE_PID"; }
  bk_nohist() { job -v -c -D "$A" -f emu-drive0 -C "$src" "${B_FLAGS[@]}"; }
  bk_3way() { reset_hwm "$TAPE_PID" "$DATA_PID"; job -v -c -D "$B" -T "$A" -f emu-drive0 -C "$src" "${B_FLAGS[@]}" -I "$IDX.3$set" && track_rss "3way_$set" "$TAPE_PID" "$DATA_PID"; }
  warm "$set"
  say "ndmpd: $set backup, two-way and three-way (two ndmpd over loopback TCP) alternating, file history on"
  time_alternating "ndmpd_backup_$set" bk_local "ndmpd_3way_$set" bk_3way
  if [ "$set" = small ]; then
    say "ndmpd: $set backup (two-way, file history off): what file history costs"
    time_runs "ndmpd_nohist_$set" nothing bk_nohist
  fi
  say "ndmpd: $set restore (two-way)"
  time_runs "ndmpd_restore_$set" "drop_dir $RESTORE" rs_local
  diff -rq "$src" "$RESTORE" >/dev/null || die "restore of $set differs from the source"
  drop_dir "$RESTORE"
done

# --- control path ------------------------------------------------------------------
say "control path: CONFIG_GET_HOST_INFO round trips"
CTL=$BUILD_DIR/bench/ndmp-ctl-bench
CTL1=$("$CTL" --port "$TAPE_PORT" --user bench --password bench --connections 1 --requests 20000) || die "ctl bench (1)"
CTL64=$("$CTL" --port "$TAPE_PORT" --user bench --password bench --connections 64 --requests 500) || die "ctl bench (64)"
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
say "1 connection: $CTL1"
say "64 connections: $CTL64"

# The tape server's library is not needed any more: free its memory for the peer.
kill "$TAPE_PID" "$DATA_PID"
wait "$TAPE_PID" "$DATA_PID" 2>/dev/null || true
rm -rf "$W/tape/library"

# --- ndmjob's own server (the peer) ------------------------------------------------
CPU_PIDS=""   # its work runs in forked, never reaped children: wall time only
say "peer: ndmjob -o daemon on port $PEER_PORT"
PEER=$W/peer
mkdir -p "$PEER/bin"
cp "$SHARED/wrap_tar" "$PEER/bin/wrap_tar"
chmod +x "$PEER/bin/wrap_tar"
# Its DATA agent runs wrap_tar from PATH; its tape is a plain file.
(cd "$PEER" && exec env PATH="$PEER/bin:/usr/bin:/bin" LD_PRELOAD="$SHIM" "$NDMJOB" -o daemon -p "$PEER_PORT" \
  -o "config-file=$SHARED/ndmjob.conf" >"$PEER/daemon.log" 2>&1) &
PEER_PID=$!
PIDS+=("$PEER_PID")
wait_port "$PEER_PORT" || die "ndmjob daemon did not start (see $PEER/daemon.log)"
P=127.0.0.1:$PEER_PORT/4,ndmp,ndmp
peer_tape() { rm -f "$PEER/tape" "$PEER/tape.lck" "$PEER/tape.pos"; : >"$PEER/tape"; }
for set in large small; do
  src=$DATA/$set
  bk_peer() { job -v -c -D "$P" -f "$PEER/tape" -C "$src" "${B_FLAGS[@]}" -I "$IDX.p$set"; }
  warm "$set"
  say "peer: $set backup (two-way, file history on)"
  time_runs "peer_backup_$set" peer_tape bk_peer
done
rm -f "$PEER/tape"

# --- micro-benchmarks ----------------------------------------------------------------
say "micro-benchmarks"
MICRO=$W/micro.txt
{
  "$BUILD_DIR/bench/ndmp_bench_codec" --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true
  NDMP_BENCH_DIR=$W "$BUILD_DIR/bench/ndmp_bench_tape" --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true
} 2>&1 | grep -E '^(BM_|Benchmark|-)' | grep -vE '_(mean|stddev|cv) ' >"$MICRO" || die "micro-benchmarks"

# --- report ----------------------------------------------------------------------------
cleanup
trap - EXIT
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
say "writing $RESULTS"
row() {  # LABEL SECONDS_KEY BYTES LIMIT_KEY PEER_KEY TARGET_LIMIT TARGET_PEER RSS_KEY [files]
  local label=$1 key=$2 bytes=$3 lim=$4 peer=$5 tl=$6 tp=$7 rss=$8 files=${9:-}
  local s=${SECS[$key]} v l="" p="" fs="" r="" met=""
  v=$(mbps "$bytes" "$s")
  if [ -n "$lim" ]; then l="$(ratio "$v" "$(mbps "$bytes" "${SECS[$lim]}")")"; fi
  if [ -n "$peer" ]; then p="$(ratio "$v" "$(mbps "$bytes" "${SECS[$peer]}")")"; fi
  if [ -n "$files" ]; then fs=$(awk -v n="$files" -v s="$s" 'BEGIN {printf "%.0f", n/s}'); fi
  if [ -n "$rss" ] && [ -n "${HWM_MAX[$rss]:-}" ]; then r=$(( HWM_MAX[$rss] / 1024 )); fi
  met=""
  if [ -n "$tl" ]; then met+=$(awk -v x="$l" -v t="$tl" 'BEGIN {print (x>=t) ? "limit ≥" t " met" : "limit ≥" t " MISSED"}'); fi
  if [ -n "$tp" ]; then met+="${met:+; }"$(awk -v x="$p" -v t="$tp" 'BEGIN {print (x>=t) ? "peer ≥" t "× met" : "peer ≥" t "× MISSED"}'); fi
  if [ -n "$r" ]; then met+="${met:+; }"$([ "$r" -lt 64 ] && echo "RSS <64 MiB met" || echo "RSS <64 MiB MISSED"); fi
  local c="-"
  case "$key" in peer_*) ;; *) c=$(printf '%.2f' "${CPU[$key]}") ;; esac
  printf '| %s | %.2f | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$s" "$c" "$v" "${fs:--}" "${l:--}" "${p:--}" "${r:--}" "${met:--}"
}
lim_row() {  # LABEL KEY BYTES
  printf '| %s | %.2f | %.2f | %s | - | 1.00 | - | - | - |\n' "$1" "${SECS[$2]}" "${CPU[$2]}" "$(mbps "$3" "${SECS[$2]}")"
}
mem_total=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
disk_dev=$(df --output=source "$S" | tail -1)
disk_fs=$(df --output=fstype "$S" | tail -1)
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
threeway_ratio_l=$(ratio "${SECS[ndmpd_backup_large]}" "${SECS[ndmpd_3way_large]}")
threeway_ratio_s=$(ratio "${SECS[ndmpd_backup_small]}" "${SECS[ndmpd_3way_small]}")
tw() { awk -v x="$1" 'BEGIN {print (x>=0.8) ? "met" : "MISSED"}'; }
{
  cat <<EOF
# ndmpd benchmark results

Produced by \`bench/run.sh\` (one command; settings in its header). Do not edit by hand:
the next run rewrites this file. Targets are those of issue 10.

## Machine

| | |
|---|---|
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| commit | $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$SRC" diff --quiet HEAD -- 2>/dev/null || echo " (+ local changes)") |
| CPU | $cpu, $(nproc) cores (shared with other work while measured) |
| RAM | $mem_total |
| kernel | $(uname -sr) |
| data sets | $DATA_WHERE (generated in $S on $disk_dev, $disk_fs) |
| tape, limits, restores | $W ($OUT_FS) |
| disk write speed | $(mbps "$((DISK_MIB << 20))" "${SECS[dd_disk]}") MB/s (\`dd bs=1M count=$DISK_MIB conv=fdatasync\` to $S) |
| runs | median of $RUNS per figure |
| load average | $LOAD_START at start, $LOAD_END at end (other work on the machine: figures are noisy) |
| tape record | $((RECORD_BLOCKS * 512)) bytes (ndmjob -b $RECORD_BLOCKS) |

Data: **large** = $LARGE_FILES files of $LARGE_MIB MiB ($LARGE_BYTES bytes); **small** =
$SMALL_COUNT files of 1-16 KiB in directories of 1000 ($SMALL_BYTES bytes of file data;
as a tar stream $SMALL_TAR_BYTES bytes). MB/s = file data bytes / wall seconds (10^6 bytes),
the same numerator for every row of a data set, so the ratios are ratios of times.
CPU s = CPU time (user + system) of the ndmpd process(es) for ndmpd rows, of the
command for limit rows (median): the cost of the work, less disturbed by a busy machine
than wall time.
Backups run with file history on (\`ndmjob -I\`); DMA = Debian's ndmjob on the same machine;
the tape = ndmpd's emulated library on the same disk (\`--library\`). Ratios ≥ 1 are faster
than the reference. RSS = peak resident set of the ndmpd process(es) during the job
(VmHWM after clear_refs), the largest of the runs.

## Results

| figure | s | CPU s | MB/s | files/s | × limit | × ndmjob server | peak RSS MiB | targets |
|---|---:|---:|---:|---:|---:|---:|---:|---|
EOF
  lim_row "limit: \`tar -cf - large > file; sync\`" tar_large "$LARGE_BYTES"
  lim_row "limit: \`cat large/* > file; sync\`" cat_large "$LARGE_BYTES"
  printf '| limit: `dd bs=1M conv=fdatasync` of one large file | %.2f | %.2f | %s | - | - | - | - | - |\n' \
    "${SECS[dd_large]}" "${CPU[dd_large]}" "$(mbps "$((LARGE_BYTES / LARGE_FILES))" "${SECS[dd_large]}")"
  row "ndmpd backup large, two-way" ndmpd_backup_large "$LARGE_BYTES" tar_large peer_backup_large 0.9 2 local_large
  row "ndmpd backup large, three-way (2 ndmpd, TCP)" ndmpd_3way_large "$LARGE_BYTES" tar_large peer_backup_large "" "" 3way_large
  row "ndmjob server backup large, two-way" peer_backup_large "$LARGE_BYTES" tar_large "" "" "" ""
  lim_row "limit: \`tar -xf\` large" untar_large "$LARGE_BYTES"
  row "ndmpd restore large, two-way" ndmpd_restore_large "$LARGE_BYTES" untar_large "" "" "" restore_large
  lim_row "limit: \`tar -cf - small > file; sync\`" tar_small "$SMALL_BYTES"
  printf '| limit: `cat` of the small tar stream; sync | %.2f | %.2f | %s | - | - | - | - | - |\n' \
    "${SECS[cat_small]}" "${CPU[cat_small]}" "$(mbps "$SMALL_BYTES" "${SECS[cat_small]}")"
  row "ndmpd backup small, two-way" ndmpd_backup_small "$SMALL_BYTES" tar_small peer_backup_small 0.8 2 local_small "$SMALL_COUNT"
  row "ndmpd backup small, two-way, file history off" ndmpd_nohist_small "$SMALL_BYTES" tar_small peer_backup_small "" "" "" "$SMALL_COUNT"
  row "ndmpd backup small, three-way (2 ndmpd, TCP)" ndmpd_3way_small "$SMALL_BYTES" tar_small peer_backup_small "" "" 3way_small "$SMALL_COUNT"
  row "ndmjob server backup small, two-way" peer_backup_small "$SMALL_BYTES" tar_small "" "" "" "" "$SMALL_COUNT"
  lim_row "limit: \`tar -xf\` small" untar_small "$SMALL_BYTES"
  row "ndmpd restore small, two-way" ndmpd_restore_small "$SMALL_BYTES" untar_small "" "" "" restore_small "$SMALL_COUNT"
  cat <<EOF

Three-way vs two-way (target ≥ 0.80): large $threeway_ratio_l ($(tw "$threeway_ratio_l")),
small $threeway_ratio_s ($(tw "$threeway_ratio_s")).

Control path (CONFIG_GET_HOST_INFO, NDMP v4, MD5 login, loopback; ndmp-ctl-bench):

| connections | requests | requests/s | median µs | p99 µs | max µs |
|---:|---:|---:|---:|---:|---:|
| 1 | $(field requests "$CTL1") | $(field rps "$CTL1") | $(field p50_us "$CTL1") | $(field p99_us "$CTL1") | $(field max_us "$CTL1") |
| 64 | $(field requests "$CTL64") | $(field rps "$CTL64") | $(field p50_us "$CTL64") | $(field p99_us "$CTL64") | $(field max_us "$CTL64") |

## Micro-benchmarks (Google Benchmark, median of $RUNS repetitions)

\`\`\`
$(cat "$MICRO")
\`\`\`
EOF
  if [ -f "$HERE/ANALYSIS.md" ]; then
    echo
    cat "$HERE/ANALYSIS.md"
  fi
} >"$RESULTS"
rm -rf "$W"   # tapes and outputs; the data sets stay in $S for the next run
say "done: $RESULTS"
