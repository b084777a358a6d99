#!/bin/bash
# run.sh - run one command inside a throw-away qemu guest that has a real
# Linux SCSI stack with an emulated tape library attached (issues 8, 16).
#
# Debian's kernel boots under qemu (TCG); mhvtl (default; built here from
# pinned source for that kernel, mhvtl-build.sh) or tgt (over iSCSI to
# 127.0.0.1) emulates a medium changer and tape drives with barcoded tapes,
# so the guest kernel's sg, st and ch drivers create /dev/sg*, /dev/nst* and
# /dev/sch* for them.  The guest sees the host's / read-only
# (9p) under a tmpfs overlay, so the repository, any build tree and the
# host's installed programs run there unchanged, in the current directory.
#
# Usage: tests/vtl-vm/run.sh [options] [--] COMMAND [ARG...]
#   -b, --backend B    mhvtl (default) or tgt
#   -p, --personality P  mhvtl's library and drive models: stk-ibm (STK L700,
#                      IBM LTO-6; the default) or hp (HP MSL G3, HP Ultrium 5);
#                      tgt has stk-ibm only
#   -d, --drives N     tape drives (default 2)
#   -s, --slots N      storage slots (default 10)
#   -t, --tapes N      barcoded data tapes in the first N slots (default 6)
#       --ie N         import/export elements (default 1)
#       --tape-mb N    capacity of each tape in MB (default 256; sparse)
#       --small-tapes N  mhvtl: the last N tapes hold 8 MB instead, so that a
#                      backup meets the drive's early warning and end of
#                      medium (default 0)
#       --special-tapes  mhvtl: a WORM tape and a cleaning cartridge in the two
#                      slots after the data tapes
#       --prefix P     barcode prefix, 0-4 of A-Z0-9 (default ND: ND0001L6 ...)
#   -o, --out DIR      host directory shared writable at /vtl/out in the guest
#                      (the only place where guest writes survive the run)
#       --media-dir D  guest directory holding the tape images (default
#                      /var/lib/vtl, guest RAM; /vtl/out/... keeps them)
#   -e VAR=VALUE       export VAR to the command (repeatable)
#       --timeout SEC  limit for the whole guest run (default 600)
#   -m MB              guest memory (default 1024)
#   -v, --verbose      also stream the guest console to stderr
#   -k, --keep         keep the work directory (console, daemon logs)
#   -h, --help
# Environment: NDMP_VTL_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/ndmpd-vtl),
#   NDMP_VTL_BACKEND, NDMP_VTL_PERSONALITY (defaults for -b, -p),
#   NDMP_VTL_MHVTL_SRC (mhvtl tarball or checkout; else the pinned commit is
#   fetched, see mhvtl-build.sh and mhvtl.pin), NDMP_VTL_MHVTL_UNPINNED=1,
#   NDMP_VTL_KERNEL_PKG (kernel package to use), NDMP_VTL_ACCEL=kvm (this
#   host's /dev/kvm is PVM: qemu aborts with -cpu host and a stock kernel
#   hangs with other models), NDMP_VTL_NO_INSTALL=1 (never run
#   scripts/install-deps.sh).
#
# The command's stdout and stderr arrive on stdout while it runs; its exit
# status is this script's.  Otherwise: 124 the guest run timed out, 125 the
# guest or the library could not be set up, 126 the host could not prepare
# (packages, kernel).  Those three always print why, with the guest console.
# Inside the guest the command sees VTL_* variables (README.md) and
# NDMP_TEST_SG_CHANGER / NDMP_TEST_SG_TAPE set to the library's /dev/sg nodes.
set -u -o pipefail
VTL_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VTL_HERE/../.." && pwd)

BACKEND=${NDMP_VTL_BACKEND:-mhvtl} PERSONALITY=${NDMP_VTL_PERSONALITY:-stk-ibm}
DRIVES=2 SLOTS=10 TAPES=6 IE=1 TAPE_MB=256 SMALL_TAPES=0 SPECIAL_TAPES=0 PREFIX=ND OUT_DIR='' MEDIA_DIR=''
TIMEOUT=600 MEM=1024 VERBOSE=0 KEEP=0
ENVS=()

msg() { echo "vtl-vm: $*" >&2; }
host_failed() { msg "FAILED (host preparation): $*"; exit 126; }

while [ $# -gt 0 ]; do
    case $1 in
        -b|--backend) BACKEND=$2; shift 2 ;;
        -p|--personality) PERSONALITY=$2; shift 2 ;;
        -d|--drives) DRIVES=$2; shift 2 ;;
        -s|--slots) SLOTS=$2; shift 2 ;;
        -t|--tapes) TAPES=$2; shift 2 ;;
        --ie) IE=$2; shift 2 ;;
        --tape-mb) TAPE_MB=$2; shift 2 ;;
        --small-tapes) SMALL_TAPES=$2; shift 2 ;;
        --special-tapes) SPECIAL_TAPES=1; shift ;;
        --prefix) PREFIX=$2; shift 2 ;;
        -o|--out) OUT_DIR=$2; shift 2 ;;
        --media-dir) MEDIA_DIR=$2; shift 2 ;;
        -e) ENVS+=("$2"); shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        -m) MEM=$2; shift 2 ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -k|--keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        --) shift; break ;;
        -*) host_failed "unknown option $1 (see --help)" ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || host_failed "no command given (see --help)"
# Root, said up front: as another user the run would fail later with a
# reason that hides this one (no cache under an unset HOME, 9p files the
# guest cannot read, apt-get refusing to install).
[ "$(id -u)" = 0 ] || host_failed "run as root: qemu shares the host's / over 9p with its own rights, and missing packages are installed with apt-get"
for n in "$DRIVES" "$SLOTS" "$TAPES" "$IE" "$TAPE_MB" "$SMALL_TAPES" "$TIMEOUT" "$MEM"; do
    [[ $n =~ ^[0-9]+$ ]] || host_failed "not a number: $n"
done
case $BACKEND/$PERSONALITY in
    mhvtl/stk-ibm|mhvtl/hp|tgt/stk-ibm) ;;
    *) host_failed "backend $BACKEND has no personality $PERSONALITY (mhvtl: stk-ibm, hp; tgt: stk-ibm)" ;;
esac
[ "$DRIVES" -ge 1 ] || host_failed "--drives must be at least 1"
[ "$TAPES" -le "$SLOTS" ] || host_failed "--tapes ($TAPES) exceeds --slots ($SLOTS)"
[ "$SMALL_TAPES" -le "$TAPES" ] || host_failed "--small-tapes ($SMALL_TAPES) exceeds --tapes ($TAPES)"
[ "$SMALL_TAPES" = 0 ] || [ "$BACKEND" = mhvtl ] || host_failed "--small-tapes needs the mhvtl backend"
[ "$SPECIAL_TAPES" = 0 ] || [ "$BACKEND" = mhvtl ] || host_failed "--special-tapes needs the mhvtl backend"
[ "$SPECIAL_TAPES" = 0 ] || [ $((TAPES + 2)) -le "$SLOTS" ] || host_failed "--special-tapes needs two slots after the $TAPES tapes"
[[ $PREFIX =~ ^[A-Z0-9]{0,4}$ ]] || host_failed "--prefix takes 0 to 4 of A-Z0-9"
for kv in ${ENVS[@]+"${ENVS[@]}"}; do
    [[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || host_failed "-e needs VAR=VALUE, got: $kv"
done

# ---- packages: the project's installer is the one place that names them
host_tools_missing() {
    local t tools=(qemu-system-x86_64 dpkg-deb apt-get xz)
    if [ "$BACKEND" = tgt ]; then tools+=(tgtd tgtadm tgtimg iscsid iscsiadm)
    else tools+=(make gcc-12); [ -e /usr/include/zlib.h ] || { echo zlib.h; return 0; }
    fi
    for t in "${tools[@]}"; do
        command -v "$t" > /dev/null || { echo "$t"; return 0; }
    done
    [ -x /bin/busybox ] || { echo /bin/busybox; return 0; }
    return 1
}
if missing=$(host_tools_missing); then
    [ "${NDMP_VTL_NO_INSTALL:-0}" != 1 ] || host_failed "$missing is missing and NDMP_VTL_NO_INSTALL=1"
    msg "$missing is missing; running scripts/install-deps.sh"
    sh "$REPO/scripts/install-deps.sh" >&2 || host_failed "scripts/install-deps.sh failed"
    missing=$(host_tools_missing) && host_failed "$missing is still missing after scripts/install-deps.sh"
fi

# ---- kernel and initramfs, cached
# CI may run with no HOME: then the cache lives in /var/cache/ndmpd-vtl
CACHE_ROOT=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}
CACHE=${NDMP_VTL_CACHE:-${CACHE_ROOT:-/var/cache}/ndmpd-vtl}
mkdir -p "$CACHE" || host_failed "cannot create the cache $CACHE"
. "$VTL_HERE/host-kernel.sh"
T0=$EPOCHREALTIME
# one preparer at a time: parallel runs on a cold cache would unpack over each other
exec 9> "$CACHE/.lock"
flock 9 || host_failed "cannot lock $CACHE"
vtl_kernel_prepare "$CACHE" || host_failed "no kernel for the guest"
vtl_initramfs_prepare "$CACHE" || host_failed "no initramfs for the guest"
VTL_MHVTL_BUILD=
if [ "$BACKEND" = mhvtl ]; then
    . "$VTL_HERE/mhvtl-build.sh"
    vtl_mhvtl_prepare "$CACHE" "$VTL_KVER" || host_failed "no mhvtl build for kernel $VTL_KVER"
fi
exec 9>&-
T_PREP=$EPOCHREALTIME

# ---- per-run control directory, shared with the guest at /vtl
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ndmpd-vtl.XXXXXX") || host_failed "mktemp"
CTL=$WORK/ctl
mkdir -p "$CTL"
cp "$VTL_HERE/guest-main.sh" "$VTL_HERE/$BACKEND-library.sh" "$CTL/"
{
    printf 'VTL_BACKEND=%q VTL_PERSONALITY=%q MHVTL_BUILD=%q\n' "$BACKEND" "$PERSONALITY" "$VTL_MHVTL_BUILD"
    printf 'VTL_DRIVES=%d VTL_SLOTS=%d VTL_TAPES=%d VTL_IE=%d VTL_TAPE_MB=%d VTL_SMALL_TAPES=%d VTL_SPECIAL_TAPES=%d\n' \
        "$DRIVES" "$SLOTS" "$TAPES" "$IE" "$TAPE_MB" "$SMALL_TAPES" "$SPECIAL_TAPES"
    printf 'VTL_BARCODE_PREFIX=%q VTL_MEDIA_DIR=%q VTL_CWD=%q\n' "$PREFIX" "$MEDIA_DIR" "$PWD"
} > "$CTL/config.env"
{
    echo '#!/bin/bash'
    for kv in ${ENVS[@]+"${ENVS[@]}"}; do printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"; done
    printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$CTL/cmd.sh"
: > "$CTL/cmd-output.log"
: > "$WORK/console.log"

QEMU_PID='' TAIL_PIDS=()
cleanup() {
    [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null
    for p in ${TAIL_PIDS[@]+"${TAIL_PIDS[@]}"}; do kill "$p" 2>/dev/null; done
    if [ "$KEEP" = 1 ]; then msg "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- qemu
# TCG unless asked otherwise: /dev/kvm on our CI hosts is PVM (kvm_pvm), which
# only runs PVM-enlightened kernels; Debian's kernel hangs there at boot.
if [ "${NDMP_VTL_ACCEL:-tcg}" = kvm ]; then
    ACCEL=(-accel kvm -cpu host)
else
    # tb-size=128: qemu's translated-code cache; the 1 GiB default roughly
    # doubles qemu's memory for no measured gain
    ACCEL=(-accel tcg,thread=multi,tb-size=128 -cpu max)
fi
QEMU=(qemu-system-x86_64 -name ndmpd-vtl -machine q35 "${ACCEL[@]}" -smp 2 -m "$MEM"
    -nodefaults -no-user-config -display none -no-reboot -nic none
    -kernel "$VTL_BOOT_KERNEL" -initrd "$VTL_INITRD"
    -append "console=ttyS0 panic=-1 loglevel=4 quiet mitigations=off"
    -serial "file:$WORK/console.log"
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=$CTL,mount_tag=vtlctl,security_model=none,multidevs=remap")
if [ -n "$OUT_DIR" ]; then
    mkdir -p "$OUT_DIR" || host_failed "cannot create $OUT_DIR"
    QEMU+=(-virtfs "local,path=$(cd "$OUT_DIR" && pwd),mount_tag=vtlout,security_model=none,multidevs=remap")
fi

timeout -k 10 "$TIMEOUT" "${QEMU[@]}" < /dev/null > "$WORK/qemu.log" 2>&1 &
QEMU_PID=$!
tail -n +1 -s 0.2 -f --pid="$QEMU_PID" "$CTL/cmd-output.log" &
TAIL_PIDS+=($!)
if [ "$VERBOSE" = 1 ]; then
    tail -n +1 -s 0.2 -f --pid="$QEMU_PID" "$WORK/console.log" >&2 &
    TAIL_PIDS+=($!)
fi
wait "$QEMU_PID"
QRC=$?
QEMU_PID=
T_END=$EPOCHREALTIME
for p in "${TAIL_PIDS[@]}"; do wait "$p" 2>/dev/null; done
TAIL_PIDS=()

if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
    RC=124; msg "FAILED: the guest run exceeded --timeout ${TIMEOUT}s; qemu was killed"
elif [ -s "$CTL/rc" ]; then
    RC=$(cat "$CTL/rc")
else
    RC=125; msg "FAILED: the guest ended without reporting an exit status (qemu exit $QRC)"
fi
if [ "$RC" = 124 ] || [ "$RC" = 125 ]; then
    [ -s "$CTL/setup-failure.log" ] && sed 's/^/  setup| /' "$CTL/setup-failure.log" >&2
    tail -n 40 "$WORK/console.log" | sed 's/^/  console| /' >&2
    [ -s "$WORK/qemu.log" ] && sed 's/^/  qemu| /' "$WORK/qemu.log" >&2
fi

# one summary line: where the time went (guest uptimes come from guest-main.sh)
timings=$(tr '\n' ' ' < "$CTL/timings" 2>/dev/null)
msg "$(awk -v a="$T0" -v b="$T_PREP" -v c="$T_END" 'BEGIN { printf "prepare %.1fs, qemu %.1fs", b - a, c - b }'); guest uptime: ${timings:-none}; kernel $VTL_KVER; $BACKEND $PERSONALITY; exit $RC"
exit "$RC"
