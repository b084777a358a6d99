#!/bin/bash
# bench/run.sh -- ndmpd's performance figures, in one command (issues 10, 19).
#
# Builds Release in its own build directory, generates the data sets, runs
# every measurement RUNS times and writes bench/RESULTS.md: each figure as
# min / median / max seconds, CPU seconds and CPU seconds per GB, as MB/s and
# as a ratio to this machine's limit (GNU tar / cat on the same data) and to
# ndmjob's own NDMP server, the same backup with several drives at once,
# control-path latency, peak RSS per process, and the Google Benchmark
# micro-benchmarks. Not part of the test suite: figures are not pass/fail,
# and the suite has no timed tests.
#
# Two clocks per job (issue 19): the end-to-end time the DMA took, and the
# server's own job time, from the DATA service's "started" line to the last
# of its "done" line and the tape server's end-of-stream line (ndmpd's log,
# millisecond timestamps), which leaves out the DMA's connecting and its
# polling (ndmjob sits out a 2 s poll at the end of some jobs). Every job runs
# with two DMAs: Debian's ndmjob and ndmpctl (which does not poll). The peer,
# ndmjob's own server, is timed the same way: its DATA agent's formatter
# (wrap_tar), started at DATA_START and ended before its halt, is wrapped to
# log its start and end. Ratios use the server's job time. All compared
# jobs (limits, ndmpd, the peer) run interleaved, one of each per round, so
# that they meet the same machine.
#
# Settings (environment):
#   BENCH_DIR     directory of the data sets (default /var/tmp/ndmpd-bench; kept
#                 between runs, regenerated when the sizes change)
#   OUT_DIR       where tapes, limit outputs and restores are written (default
#                 /dev/shm/ndmpd-bench when that tmpfs has room, else
#                 BENCH_DIR/work); removed at the end
#   BUILD_DIR     Release build directory (default /tmp/ndmpd-bench-build)
#   RUNS          rounds (default 5; min, median and max are reported)
#   BUILD         no: use the binaries already in BUILD_DIR as they are (any
#                 build type; the report says which) instead of configuring
#                 and building Release there
#   SOURCE        memory (default when OUT_DIR is a tmpfs with room): the data
#                 sets are copied next to the tape and read from memory by every
#                 tool; disk: they are read where they were generated
#   LARGE_FILES, LARGE_MIB   large data set (default 2 files of 2048 MiB)
#   SMALL_FILES   small data set: files of 1..16 KiB (default 100000)
#   RECORD_BLOCKS tape record size in 512-byte blocks, ndmjob -b (default 128
#                 = 64 KiB, the most ndmjob accepts; its default is 20)
#   PORT_BASE     first of four loopback ports (default 10700)
#   DRIVES        job counts for the many-drives figure (default "1 2 4")
#   RESULTS       output file (default bench/RESULTS.md beside this script)
# Needs: Debian's ndmjob (/usr/lib/amanda/ndmjob, package amanda-common) and
# its helper files (wrap_tar, ndmjob.conf) from NDMP_SHARED, by default
# ../shared/ndmjob beside the repository.
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
DRIVES=${DRIVES:-1 2 4}
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
UPTIME_START=$(uptime)
if [ "${BUILD:-yes}" != no ]; then
  say "building Release in $BUILD_DIR"
  cmake -S "$SRC" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR.cmake.log" 2>&1 ||
    die "cmake configure (see $BUILD_DIR.cmake.log)"
  # ndmp_cm first: its generated protobuf headers are included by server/ sources.
  ninja -C "$BUILD_DIR" -j2 ndmp_cm >"$BUILD_DIR.ninja.log" 2>&1 || die "build (see $BUILD_DIR.ninja.log)"
  ninja -C "$BUILD_DIR" -j2 ndmpd ndmpctl ndmjob_gmalloc_shim ndmp-ctl-bench ndmp-bench-gen ndmp-bench-restore \
    ndmp_bench_codec ndmp_bench_tape >"$BUILD_DIR.ninja.log" 2>&1 || die "build (see $BUILD_DIR.ninja.log)"
fi
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
NDMPD=$BUILD_DIR/server/ndmpd
NDMPCTL=$BUILD_DIR/tools/ndmpctl/ndmpctl
RESTORE_BENCH=$BUILD_DIR/bench/ndmp-bench-restore
for b in "$NDMPD" "$NDMPCTL" "$RESTORE_BENCH"; do [ -x "$b" ] || die "$b not built"; done
[ -f "$SHARED/wrap_tar" ] && [ -f "$SHARED/ndmjob.conf" ] || die "ndmjob helper files not in $SHARED (set NDMP_SHARED)"
SHIM=$(find "$BUILD_DIR" -name '*ndmjob_gmalloc_shim.so' -type f | head -1)
[ -n "$SHIM" ] || die "ndmjob g_malloc shim not built"

# --- scratch and data sets -----------------------------------------------------
mkdir -p "$BENCH_DIR"
S=$BENCH_DIR
DATA=$S/data
mkdir -p "$DATA"
free_gib() { df -BG --output=avail "$1" | tail -1 | tr -dc 0-9; }
data_gib=$(( (LARGE_FILES * LARGE_MIB + SMALL_FILES * 9 / 1024) / 1024 + 1 ))
out_gib=$(( data_gib * 3 + 1 ))   # a tape image, the peer's tape and a restore of the larger set at once
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
# min median max of a newline-separated list
stats() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan nan nan"; exit} m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print a[1], m, a[NR]}'; }
med() { stats | cut -d' ' -f2; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {if (s>0) printf "%.0f", b/s/1e6; else print "n/a"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b>0 && a>0) printf "%.2f", a/b; else print "n/a"}'; }
drop_dir() { rm -rf "$1"; sync -f "$S" 2>/dev/null || true; }

# figure name -> newline-separated samples: end-to-end wall seconds, the
# server's own job seconds (for limits: the wall time again), CPU seconds
declare -A WALL SRV CPUS

HZ=$(getconf CLK_TCK)
# CPU seconds so far of what a figure measures (sets CPU_NOW; a $(...)
# subshell would not see this shell's children):
#   limit   this shell's finished children (the limit commands)
#   ndmpd   the ndmpd processes in CPU_PIDS (all their threads)
#   peer    ndmjob's daemon and every session child it forked: it never
#           reaps them, so a finished session's totals (with its formatter's,
#           reaped by the session) stay readable in /proc as a zombie's
CPU_PIDS=""
PEER_PID=""
cpu_now() {
  case $1 in
    limit)
      times >"$W/.times"
      CPU_NOW=$(awk 'NR == 2 {gsub(/s/, ""); split($1, u, "m"); split($2, k, "m"); print u[1] * 60 + u[2] + k[1] * 60 + k[2]}' "$W/.times") ;;
    ndmpd)
      local p t=0
      for p in $CPU_PIDS; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
      CPU_NOW=$(awk -v t="$t" -v hz="$HZ" 'BEGIN {print t / hz}') ;;
    peer)
      # (a process may vanish between the glob and the read: not an error)
      CPU_NOW=$({ cat /proc/[0-9]*/stat 2>/dev/null || true; } |
        awk -v p="$PEER_PID" -v hz="$HZ" '$1 == p {t += $14 + $15} $4 == p {t += $14 + $15 + $16 + $17} END {print t / hz}') ;;
  esac
}

# The server's job time of what ran since log_marks: ndmpd logs in LOGS (first
# "started" line to the last "done" or end-of-stream line), the peer's wrap log.
LOGS=()
log_marks() {
  MARKS=()
  local f
  for f in "${LOGS[@]}" "$PEER_TIMES"; do MARKS+=("$(stat -c %s "$f" 2>/dev/null || echo 0)"); done
}
since_mark() { tail -c +"$((MARKS[$1] + 1))" "$2" 2>/dev/null || true; }
# Seconds from the first job start to the last job end in ndmpd log lines on
# stdin (timestamps 2026-12-08T00:31:42.665Z: to the millisecond).
job_span() {
  awk '
    function ts(s, t) { split(substr(s, 12, 12), t, ":"); return substr(s, 9, 2) * 86400 + t[1] * 3600 + t[2] * 60 + t[3] }
    / (backup of .* started|restore into .* started) \(/ { v = ts($1); if (start == "" || v < start) start = v }
    / (backup of .* done: |restore into .* done: |mover: backup stream complete|mover: end of the backup stream)/ { v = ts($1); if (v > end) end = v }
    END { if (start == "" || end == "") print "nan"; else printf "%.3f\n", end - start }'
}
ndmpd_job_secs() {
  local i
  for i in "${!LOGS[@]}"; do since_mark "$i" "${LOGS[i]}"; done | job_span
}
peer_job_secs() {
  since_mark "${#LOGS[@]}" "$PEER_TIMES" |
    awk '$1 == "start" && s == "" {s = $2} $1 == "end" {e = $2} END {if (s == "" || e == "") print "nan"; else printf "%.3f\n", e - s}'
}

# run_one NAME KIND FN [SETUP]: one timed run (SETUP untimed), samples appended.
run_one() {
  local name=$1 kind=$2 fn=$3 setup=${4:-} t0 t1 c0 w s
  [ -n "$setup" ] && $setup
  log_marks
  cpu_now "$kind"; c0=$CPU_NOW
  t0=$(now)
  $fn || die "$name"
  t1=$(now)
  cpu_now "$kind"
  w=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  case $kind in
    limit) s=$w ;;
    ndmpd) s=$(ndmpd_job_secs) ;;
    peer) s=$(peer_job_secs) ;;
  esac
  WALL[$name]+="$w"$'\n'
  SRV[$name]+="$s"$'\n'
  CPUS[$name]+="$(awk -v a="$c0" -v b="$CPU_NOW" 'BEGIN {printf "%.3f", b - a}')"$'\n'
  say "$name: $w s end to end, $s s job, $(awk -v a="$c0" -v b="$CPU_NOW" 'BEGIN {printf "%.2f", b - a}') s CPU"
}

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

# --- limits outside the rounds: informational ----------------------------------------
say "disk: dd to $S"
DISK_MIB=512
t0=$(now)
dd if="$(find "$DATA/large" -type f | head -1)" of="$S/dd.out" bs=1M count=$DISK_MIB conv=fdatasync status=none
DISK_SECS=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {print b - a}')
rm -f "$S/dd.out"

# --- servers -----------------------------------------------------------------------
PW=$W/passwd
printf 'bench:bench\n' >"$PW"
PW_CTL=$W/ctl-password
printf 'bench\n' >"$PW_CTL"
PW_PEER=$W/peer-password
printf 'ndmp\n' >"$PW_PEER"
chmod 600 "$PW" "$PW_CTL" "$PW_PEER"
TAPE_PORT=$PORT_BASE DATA_PORT=$((PORT_BASE + 1)) PEER_PORT=$((PORT_BASE + 2)) MANY_PORT=$((PORT_BASE + 3))
TAPE_MIB=$(( (LARGE_FILES * LARGE_MIB) * 3 / 2 + 1024 ))
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# Info level: the job time is read from the "started"/"done" lines.
start_ndmpd() {  # PORT NAME [extra flags...]; sets STARTED_PID
  local port=$1 name=$2
  shift 2
  mkdir -p "$W/$name/state"
  "$NDMPD" --listen "127.0.0.1:$port" --password-file "$PW" --auth md5,text --export "$DATA" --export "$W" \
    --state-dir "$W/$name/state" --log-level info --log-file "$W/$name/ndmpd.log" "$@" </dev/null >/dev/null 2>&1 &
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
# ndmpctl as the DMA: ctl PASSWORD_FILE USER ARGS...
ctl() {
  local pwf=$1 user=$2
  shift 2
  "$NDMPCTL" --user "$user" --password-file "$pwf" "$@" >"$W/ctl.out" 2>&1 ||
    { tail -20 "$W/ctl.out" >&2; return 1; }
}

start_ndmpd "$TAPE_PORT" tape --library "$W/tape/library" --library-drives 2 --library-slots 4 \
  --library-tape-size "$TAPE_MIB"
TAPE_PID=$STARTED_PID
start_ndmpd "$DATA_PORT" data
DATA_PID=$STARTED_PID
LOGS=("$W/tape/ndmpd.log" "$W/data/ndmpd.log")
A=127.0.0.1:$TAPE_PORT/4,bench,bench
B=127.0.0.1:$DATA_PORT/4,bench,bench
job -v -o load=1000 -R "$A" -r emu-changer || die "loading a tape into emu-drive0"
CPU_PIDS="$TAPE_PID $DATA_PID"

# --- ndmjob's own server (the peer) ----------------------------------------------------
say "peer: ndmjob -o daemon on port $PEER_PORT"
PEER=$W/peer
PEER_TIMES=$PEER/wrap.times
mkdir -p "$PEER/bin"
cp "$SHARED/wrap_tar" "$PEER/bin/wrap_tar.real"
# Its DATA agent runs wrap_tar from PATH: this one logs when the formatter
# (the peer's whole data path) starts and ends, for the peer's job time.
cat >"$PEER/bin/wrap_tar" <<WRAP
#!/bin/sh
echo "start \$(date +%s.%N)" >>"$PEER_TIMES"
"$PEER/bin/wrap_tar.real" "\$@"
rc=\$?
echo "end \$(date +%s.%N)" >>"$PEER_TIMES"
exit \$rc
WRAP
chmod +x "$PEER/bin/wrap_tar" "$PEER/bin/wrap_tar.real"
: >"$PEER_TIMES"
(cd "$PEER" && exec env PATH="$PEER/bin:/usr/bin:/bin" LD_PRELOAD="$SHIM" "$NDMJOB" -o daemon -p "$PEER_PORT" \
  -o "config-file=$SHARED/ndmjob.conf" >"$PEER/daemon.log" 2>&1) &
PEER_SHELL=$!
PIDS+=("$PEER_SHELL")
wait_port "$PEER_PORT" || die "ndmjob daemon did not start (see $PEER/daemon.log)"
PEER_PID=$PEER_SHELL   # the subshell exec'd ndmjob
P=127.0.0.1:$PEER_PORT/4,ndmp,ndmp
peer_tape() { rm -f "$PEER/tape" "$PEER/tape.lck" "$PEER/tape.pos"; : >"$PEER/tape"; }

# --- the rounds ------------------------------------------------------------------------
B_FLAGS=(-b "$RECORD_BLOCKS" -B tar)
RECORD_BYTES=$((RECORD_BLOCKS * 512))
IDX=$W/index
CAT=$W/catalog
RESTORE=$W/restore
LIM=$W/limit.out
REST_LIM=$W/limit-restore
SET_BYTES_large=$LARGE_BYTES
SET_BYTES_small=$SMALL_BYTES
warm() { tar -C "$DATA/$1" -cf - . | cat >/dev/null; }
fresh_restore() { drop_dir "$RESTORE"; mkdir -p "$RESTORE"; }
fresh_limit_restore() { drop_dir "$REST_LIM"; mkdir -p "$REST_LIM"; }

for set in large small; do
  src=$DATA/$set
  tar -C "$src" -cf "$W/$set.tar" .
  [ "$set" = small ] && SMALL_TAR_BYTES=$(stat -c %s "$W/$set.tar")
  # limits
  lim_tar() { tar -C "$src" -cf - . >"$LIM" && sync "$LIM"; }
  lim_cat() { find "$src" -type f -print0 | xargs -0 cat >"$LIM" && sync "$LIM"; }
  lim_untar() { tar -C "$REST_LIM" -xf "$W/$set.tar"; }
  engine_restore() { "$RESTORE_BENCH" "$W/$set.tar" "$REST_LIM" >/dev/null; }
  # ndmpd, ndmjob as the DMA
  bk2_ndmjob() { rm -f "$IDX.$set"; reset_hwm "$TAPE_PID"; job -v -c -D "$A" -f emu-drive0 -C "$src" "${B_FLAGS[@]}" -I "$IDX.$set" && track_rss "bk2_$set" "$TAPE_PID"; }
  bk3_ndmjob() { rm -f "$IDX.$set"; reset_hwm "$TAPE_PID" "$DATA_PID"; job -v -c -D "$B" -T "$A" -f emu-drive0 -C "$src" "${B_FLAGS[@]}" -I "$IDX.$set" && track_rss "bk3_$set" "$TAPE_PID" "$DATA_PID"; }
  rs_ndmjob() { reset_hwm "$TAPE_PID"; job -v -x -D "$A" -f emu-drive0 -C "$RESTORE" "${B_FLAGS[@]}" -J "$IDX.$set" && track_rss "rs_$set" "$TAPE_PID"; }
  # ndmpd, ndmpctl as the DMA
  bk2_ctl() { reset_hwm "$TAPE_PID"; ctl "$PW_CTL" bench --server "127.0.0.1:$TAPE_PORT" backup "$src" --drive emu-drive0 --record-size "$RECORD_BYTES" --catalog "$CAT.$set" --progress none && track_rss "bk2_$set" "$TAPE_PID"; }
  bk3_ctl() { reset_hwm "$TAPE_PID" "$DATA_PID"; ctl "$PW_CTL" bench backup "$src" --data-server "127.0.0.1:$DATA_PORT" --tape-server "127.0.0.1:$TAPE_PORT" --drive emu-drive0 --record-size "$RECORD_BYTES" --catalog "$CAT.$set" --progress none && track_rss "bk3_$set" "$TAPE_PID" "$DATA_PID"; }
  rs_ctl() { reset_hwm "$TAPE_PID"; ctl "$PW_CTL" bench --server "127.0.0.1:$TAPE_PORT" restore --drive emu-drive0 --to "$RESTORE" --catalog "$CAT.$set" --progress none && track_rss "rs_$set" "$TAPE_PID"; }
  # the peer, both DMAs
  bk_peer_ndmjob() { rm -f "$IDX.p$set"; job -v -c -D "$P" -f "$PEER/tape" -C "$src" "${B_FLAGS[@]}" -I "$IDX.p$set"; }
  bk_peer_ctl() { ctl "$PW_PEER" ndmp --server "127.0.0.1:$PEER_PORT" backup "$src" --drive "$PEER/tape" --record-size "$RECORD_BYTES" --catalog "$CAT.p$set" --progress none; }
  warm "$set"
  say "$set: $RUNS rounds of limits, ndmpd (two-way, three-way, restore) and the peer, with ndmjob and ndmpctl as DMA"
  for ((i = 1; i <= RUNS; i++)); do
    run_one "tar_$set" limit lim_tar
    [ "$set" = large ] && run_one "cat_$set" limit lim_cat
    run_one "bk2_ndmjob_$set" ndmpd bk2_ndmjob
    run_one "bk_peer_ndmjob_$set" peer bk_peer_ndmjob peer_tape
    run_one "bk2_ctl_$set" ndmpd bk2_ctl
    run_one "bk_peer_ctl_$set" peer bk_peer_ctl peer_tape
    run_one "bk3_ndmjob_$set" ndmpd bk3_ndmjob
    run_one "rs_ndmjob_$set" ndmpd rs_ndmjob fresh_restore
    [ "$i" = 1 ] && { diff -rq "$src" "$RESTORE" >/dev/null || die "restore of $set (ndmjob) differs from the source"; }
    run_one "untar_$set" limit lim_untar fresh_limit_restore
    run_one "engine_$set" limit engine_restore fresh_limit_restore
    [ "$i" = 1 ] && { diff -rq "$src" "$REST_LIM" >/dev/null || die "engine restore of $set differs from the source"; }
    run_one "bk3_ctl_$set" ndmpd bk3_ctl
    run_one "rs_ctl_$set" ndmpd rs_ctl fresh_restore
    [ "$i" = 1 ] && { diff -rq "$src" "$RESTORE" >/dev/null || die "restore of $set (ndmpctl) differs from the source"; }
  done
  drop_dir "$RESTORE"
  drop_dir "$REST_LIM"
  rm -f "$W/$set.tar" "$LIM" "$PEER/tape"
done

# --- control path ------------------------------------------------------------------
say "control path: CONFIG_GET_HOST_INFO round trips"
CTL=$BUILD_DIR/bench/ndmp-ctl-bench
CTL1="" CTL64=""
if [ -x "$CTL" ]; then
  CTL1=$("$CTL" --port "$TAPE_PORT" --user bench --password bench --connections 1 --requests 20000) || die "ctl bench (1)"
  CTL64=$("$CTL" --port "$TAPE_PORT" --user bench --password bench --connections 64 --requests 500) || die "ctl bench (64)"
  say "1 connection: $CTL1"
  say "64 connections: $CTL64"
else
  say "control path: $CTL not built; left out"
fi
field() { local v; v=$(sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"); echo "${v:-not measured}"; }

kill "$TAPE_PID" "$DATA_PID" "$PEER_SHELL"
wait "$TAPE_PID" "$DATA_PID" "$PEER_SHELL" 2>/dev/null || true
rm -rf "$W/tape/library" "$PEER"

# --- many drives at once -------------------------------------------------------------
# N simultaneous two-way backups, each from an export of its own (a hard link
# to the first large file) to a drive of its own, ndmpctl as the DMA. For
# each N a fresh ndmpd with N drives: a process keeps the memory its jobs'
# threads touched, so a 1-job figure measured after a 4-job round would show
# the 4 jobs' peak. Aggregate MB/s by the span of the server's job times
# (first start to last end), CPU of the process, its peak RSS.
MANY_FILE=$(find "$DATA/large" -type f | sort | head -1)
MANY_BYTES=$(stat -c %s "$MANY_FILE")
declare -A MANY_CPU MANY_RSS MANY_SPAN
many_round() {  # N PID
  local n=$1 pid=$2 d mark c0 pids=() span r
  mark=$(stat -c %s "$W/many/ndmpd.log")
  CPU_PIDS=$pid
  cpu_now ndmpd; c0=$CPU_NOW
  reset_hwm "$pid"
  for ((d = 0; d < n; d++)); do
    "$NDMPCTL" --user bench --password-file "$PW_CTL" --server "127.0.0.1:$MANY_PORT" backup "$W/many/export$d" \
      --drive "$d" --record-size "$RECORD_BYTES" --catalog "$W/many/cat$d" --progress none >"$W/many/ctl$d.out" 2>&1 &
    pids+=($!)
  done
  for d in "${!pids[@]}"; do wait "${pids[d]}" || { tail -5 "$W/many/ctl$d.out" >&2; die "many drives: backup $d of $n"; }; done
  cpu_now ndmpd
  span=$(tail -c +"$((mark + 1))" "$W/many/ndmpd.log" | job_span)
  MANY_SPAN[$n]+="$span"$'\n'
  MANY_CPU[$n]+="$(awk -v a="$c0" -v b="$CPU_NOW" 'BEGIN {printf "%.3f", b - a}')"$'\n'
  r=$(hwm_kib "$pid")
  if [ -z "${MANY_RSS[$n]:-}" ] || [ "$r" -gt "${MANY_RSS[$n]}" ]; then MANY_RSS[$n]=$r; fi
  say "many drives: $n job(s): $span s span"
}
warm large
for n in $DRIVES; do
  rm -rf "$W/many"
  MANY_EXPORTS=()
  for ((d = 0; d < n; d++)); do
    mkdir -p "$W/many/export$d"
    ln "$MANY_FILE" "$W/many/export$d/data.bin"
    MANY_EXPORTS+=(--export "$W/many/export$d")
  done
  mkdir -p "$W/many/state"
  "$NDMPD" --listen "127.0.0.1:$MANY_PORT" --password-file "$PW" --auth md5,text "${MANY_EXPORTS[@]}" \
    --state-dir "$W/many/state" --log-level info --log-file "$W/many/ndmpd.log" \
    --library "$W/many/library" --library-drives "$n" --library-slots "$n" \
    --library-tape-size $((MANY_BYTES / 1048576 * 3 / 2 + 256)) </dev/null >/dev/null 2>&1 &
  MANY_PID=$!
  PIDS+=("$MANY_PID")
  wait_port "$MANY_PORT" || die "ndmpd (many drives) did not start"
  for ((d = 0; d < n; d++)); do
    ctl "$PW_CTL" bench --server "127.0.0.1:$MANY_PORT" load $((d + 1)) "$d" || die "loading a tape into drive $d"
  done
  for ((i = 1; i <= RUNS; i++)); do many_round "$n" "$MANY_PID"; done
  kill "$MANY_PID"
  wait "$MANY_PID" 2>/dev/null || true
done
rm -rf "$W/many"

# --- micro-benchmarks ----------------------------------------------------------------
say "micro-benchmarks"
MICRO=$W/micro.txt
if [ -x "$BUILD_DIR/bench/ndmp_bench_codec" ]; then
  {
    "$BUILD_DIR/bench/ndmp_bench_codec" --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true
    NDMP_BENCH_DIR=$W "$BUILD_DIR/bench/ndmp_bench_tape" --benchmark_repetitions="$RUNS" --benchmark_report_aggregates_only=true
  } 2>&1 | grep -E '^(BM_|Benchmark|-)' | grep -vE '_(mean|stddev|cv) ' >"$MICRO" || die "micro-benchmarks"
else
  echo "(not in $BUILD_DIR: not built there, or libbenchmark-dev missing)" >"$MICRO"
fi

# --- report ----------------------------------------------------------------------------
cleanup
trap - EXIT
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_END=$(uptime)
say "writing $RESULTS"
# Medians by figure: server job time (S_), end-to-end (E_), CPU (C_).
S_() { printf '%s' "${SRV[$1]}" | med; }
gb() { awk -v b="$1" 'BEGIN {print b / 1e9}'; }
# row LABEL DMA KEY BYTES [FILES] [RSS_KEY] [TARGETS]
row() {
  local label=$1 dma=$2 key=$3 bytes=$4 files=${5:-} rss=${6:-} targets=${7:--}
  local s e c sm cs fs r
  read -r s1 s2 s3 <<<"$(printf '%s' "${SRV[$key]}" | stats)"
  read -r e1 e2 e3 <<<"$(printf '%s' "${WALL[$key]}" | stats)"
  c=$(printf '%s' "${CPUS[$key]}" | med)
  cs=$(awk -v c="$c" -v b="$bytes" 'BEGIN {printf "%.2f", c / (b / 1e9)}')
  fs="-"
  [ -n "$files" ] && fs=$(awk -v n="$files" -v s="$s2" 'BEGIN {printf "%.0f", n / s}')
  r="-"
  [ -n "$rss" ] && [ -n "${HWM_MAX[$rss]:-}" ] && r=$((HWM_MAX[$rss] / 1024))
  printf '| %s | %s | %.2f / **%.2f** / %.2f | %.2f / %.2f / %.2f | %.2f | %s | %s | %s | %s | %s |\n' \
    "$label" "$dma" "$s1" "$s2" "$s3" "$e1" "$e2" "$e3" "$c" "$cs" "$(mbps "$bytes" "$s2")" "$fs" "$r" "$targets"
}
# target TEXT A_KEY B_KEY MIN: "TEXT: ratio met|MISSED" where ratio = median B / median A (times)
# followed by the same ratio of median CPU seconds, which a loaded machine disturbs least.
C_() { printf '%s' "${CPUS[$1]}" | med; }
target() {
  local x c
  x=$(ratio "$(S_ "$3")" "$(S_ "$2")")
  c=$(ratio "$(C_ "$3")" "$(C_ "$2")")
  awk -v t="$1" -v x="$x" -v c="$c" -v m="$4" 'BEGIN {printf "%s %s (≥ %s) %s [by CPU %s]", t, x, m, (x != "n/a" && x >= m) ? "met" : "MISSED", c}'
}
rss_target() { [ -n "${HWM_MAX[$1]:-}" ] && { [ $((HWM_MAX[$1] / 1024)) -lt 64 ] && echo "RSS < 64 MiB met" || echo "RSS < 64 MiB MISSED"; }; }
mem_total=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
disk_dev=$(df --output=source "$S" | tail -1)
disk_fs=$(df --output=fstype "$S" | tail -1)
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
{
  cat <<EOT
# ndmpd benchmark results

Produced by \`bench/run.sh\` (one command; settings in its header). Do not edit by hand:
the next run rewrites this file. Targets are those of issue 19.

## Machine

| | |
|---|---|
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| commit | $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$SRC" diff --quiet HEAD -- 2>/dev/null || echo " (+ local changes)"), build type $BUILD_TYPE |
| CPU | $cpu, $(nproc) cores |
| RAM | $mem_total |
| kernel | $(uname -sr) |
| data sets | $DATA_WHERE (generated in $S on $disk_dev, $disk_fs) |
| tape, limits, restores | $W ($OUT_FS) |
| disk write speed | $(mbps "$((DISK_MIB << 20))" "$DISK_SECS") MB/s (\`dd bs=1M count=$DISK_MIB conv=fdatasync\` to $S) |
| rounds | $RUNS; every figure of a data set once per round, interleaved |
| load | start: \`$UPTIME_START\`; end: \`$UPTIME_END\` |
| tape record | $RECORD_BYTES bytes |

**The machine was loaded while this ran**: it is shared with other engineers' builds and
tests (load average above, on $(nproc) cores), so wall times are noisy and were
measured interleaved; read the spread (min / max) and the CPU columns, which a busy
machine disturbs least.

Data: **large** = $LARGE_FILES files of $LARGE_MIB MiB ($LARGE_BYTES bytes); **small** =
$SMALL_COUNT files of 1-16 KiB in directories of 1000 ($SMALL_BYTES bytes of file data;
as a tar stream $SMALL_TAR_BYTES bytes).

Columns: **job s** = the server's own job time, min / **median** / max: for ndmpd from
the DATA service's "started" log line to the last of its "done" line and the tape
server's end-of-stream line (millisecond timestamps); for ndmjob's server from the
start to the end of its formatter (wrap_tar, which its DATA agent runs at DATA_START;
its halt follows, after a \`sleep(1)\` of its own, not counted); for a limit, its wall
time. **DMA s** = end-to-end time as the DMA saw it (connecting, polling, closing).
**CPU s** = median CPU (user + system) of the server processes (ndmpd: the one or two
ndmpd; the peer: its session process and the formatter's tar) or of the limit command.
MB/s = file data bytes / median job s. Ratios in **targets** are ratios of median
job times (× > 1: faster than the reference), met or MISSED by that measure; the ratio
of median CPU seconds follows in brackets. RSS = peak resident set of an ndmpd
process during the job (VmHWM after clear_refs), the largest of the runs.
DMA: **ndmjob** = Debian's ndmjob (it polls: some of its jobs end with a 2 s wait),
**ndmpctl** = this project's DMA (no polling).

## Results

| figure | DMA | job s (min / med / max) | DMA s (min / med / max) | CPU s | CPU s/GB | MB/s | files/s | peak RSS MiB | targets |
|---|---|---:|---:|---:|---:|---:|---:|---:|---|
EOT
  for set in large small; do
    bytes_var=SET_BYTES_$set
    bytes=${!bytes_var}
    files=""
    [ "$set" = small ] && files=$SMALL_COUNT
    row "limit: \`tar -cf - $set > file; sync\`" - "tar_$set" "$bytes" "$files"
    [ "$set" = large ] && row "limit: \`cat large/* > file; sync\`" - "cat_large" "$bytes"
    blim=tar_$set; blim_t="× tar -cf"; bmin=1.0
    [ "$set" = large ] && { blim=cat_large; blim_t="× cat"; bmin=0.9; }
    for dma in ndmjob ctl; do
      dname=$dma; [ "$dma" = ctl ] && dname=ndmpctl
      row "ndmpd backup $set, two-way" "$dname" "bk2_${dma}_$set" "$bytes" "$files" "bk2_$set" \
        "$(target "$blim_t" "bk2_${dma}_$set" "$blim" "$bmin"); $(target "× ndmjob's server" "bk2_${dma}_$set" "bk_peer_${dma}_$set" 2); $(rss_target "bk2_$set")"
      row "ndmpd backup $set, three-way (2 ndmpd, TCP)" "$dname" "bk3_${dma}_$set" "$bytes" "$files" "bk3_$set" \
        "$(target "× two-way" "bk3_${dma}_$set" "bk2_${dma}_$set" 0.9); $(target "× ndmjob's server" "bk3_${dma}_$set" "bk_peer_${dma}_$set" 2); $(rss_target "bk3_$set")"
      row "ndmjob's server backup $set" "$dname" "bk_peer_${dma}_$set" "$bytes" "$files"
    done
    row "limit: \`tar -xf\` $set" - "untar_$set" "$bytes" "$files"
    row "restore engine alone (ndmp-bench-restore, no server)" - "engine_$set" "$bytes" "$files" "" \
      "$(target "× tar -xf" "engine_$set" "untar_$set" 1.0)"
    for dma in ndmjob ctl; do
      dname=$dma; [ "$dma" = ctl ] && dname=ndmpctl
      row "ndmpd restore $set, two-way" "$dname" "rs_${dma}_$set" "$bytes" "$files" "rs_$set" \
        "$(target "× tar -xf" "rs_${dma}_$set" "untar_$set" 1.0); $(rss_target "rs_$set")"
    done
  done
  cat <<EOT

### Many drives at once

$(echo "$DRIVES" | wc -w) job counts, each from an export of its own (a hard link to one
large file, $MANY_BYTES bytes) to a drive of its own of one ndmpd's emulated library,
two-way, ndmpctl as the DMA, all jobs started together. Aggregate MB/s = all jobs' bytes / the
span of the server's job times (first "started" to the last end line), median of $RUNS.
A fresh ndmpd with N drives for each N. CPU = the ndmpd process, median. RSS = that
process's peak, largest of the runs (per job = divided by N).

| jobs | span s (min / med / max) | aggregate MB/s | CPU s | CPU s/GB | peak RSS MiB (process) | per job MiB | target |
|---:|---:|---:|---:|---:|---:|---:|---|
EOT
  prev=0
  for n in $DRIVES; do
    read -r m1 m2 m3 <<<"$(printf '%s' "${MANY_SPAN[$n]}" | stats)"
    c=$(printf '%s' "${MANY_CPU[$n]}" | med)
    agg=$(mbps "$((MANY_BYTES * n))" "$m2")
    rss=$((MANY_RSS[$n] / 1024))
    per=$((rss / n))
    t="RSS/job < 64 MiB $([ "$per" -lt 64 ] && echo met || echo MISSED)"
    if [ "$prev" != 0 ]; then
      t+="; aggregate not below fewer jobs: $(awk -v a="$agg" -v b="$prev" 'BEGIN {print (a >= b * 0.95) ? "met" : "MISSED"}')"
    fi
    prev=$agg
    printf '| %s | %.2f / **%.2f** / %.2f | %s | %.2f | %.2f | %s | %s | %s |\n' "$n" "$m1" "$m2" "$m3" "$agg" "$c" \
      "$(awk -v c="$c" -v b="$((MANY_BYTES * n))" 'BEGIN {printf "%.2f", c / (b / 1e9)}')" "$rss" "$per" "$t"
  done
  cat <<EOT

("Not below" allows 5 % for the noise of a shared machine.)

Control path (CONFIG_GET_HOST_INFO, NDMP v4, MD5 login, loopback; ndmp-ctl-bench):

| connections | requests | requests/s | median µs | p99 µs | max µs |
|---:|---:|---:|---:|---:|---:|
| 1 | $(field requests "$CTL1") | $(field rps "$CTL1") | $(field p50_us "$CTL1") | $(field p99_us "$CTL1") | $(field max_us "$CTL1") |
| 64 | $(field requests "$CTL64") | $(field rps "$CTL64") | $(field p50_us "$CTL64") | $(field p99_us "$CTL64") | $(field max_us "$CTL64") |

## Micro-benchmarks (Google Benchmark, median of $RUNS repetitions)

\`\`\`
$(cat "$MICRO")
\`\`\`
EOT
  if [ -f "$HERE/ANALYSIS.md" ]; then
    echo
    cat "$HERE/ANALYSIS.md"
  fi
} >"$RESULTS"
rm -rf "$W"   # tapes and outputs; the data sets stay in $S for the next run
say "done: $RESULTS"
