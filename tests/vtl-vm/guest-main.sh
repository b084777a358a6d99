#!/bin/bash
# guest-main.sh - runs inside the guest, chrooted into "host root (9p,
# read-only) + tmpfs overlay", from the per-run control share /vtl.
#
# Builds the tape library with the backend config.env names: mhvtl
# (mhvtl-library.sh: a SCSI host adapter of its own, the default) or tgt
# (tgt-library.sh, attached to this kernel with open-iscsi over 127.0.0.1);
# waits until the kernel has made /dev/sg*, /dev/nst* and /dev/sch* for it,
# writes what it found to /run/vtl.env (and /vtl/devices.env for the host),
# then runs /vtl/cmd.sh with those variables exported.
#
# Protocol with run.sh (all files in /vtl):
#   cmd-output.log   the command's stdout+stderr; run.sh tails it live.  A
#                    9p file, because a serial port manages ~200 KB/s under TCG
#   rc               the command's exit status, or 125 when setup failed
#   setup-failure.log  why setup failed, with lsscsi and dmesg
#   timings          guest uptime at each step (key=seconds)
# Every fork costs tens of milliseconds under TCG, so the polling and the
# device scan use bash builtins only.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
CTL=/vtl
OUT=$CTL/cmd-output.log
. "$CTL/config.env"

stamp() { local up _; read -r up _ < /proc/uptime; echo "$1=$up" >> "$CTL/timings"; }
setup_failed() {
    echo "vtl-vm: guest setup failed: $*" | tee -a "$CTL/setup-failure.log" >> "$OUT"
    {
        echo "--- lsscsi -g"; lsscsi -g 2>&1
        for f in "$CTL"/tgtd.log "$CTL"/iscsi.log "$CTL"/vtltape*.log "$CTL"/vtllibrary.log "$CTL"/mktape.log; do
            [ -e "$f" ] && { echo "--- ${f##*/}"; tail -n 20 "$f" 2>&1; }
        done
        echo "--- dmesg"; dmesg 2>&1 | tail -n 40
    } >> "$CTL/setup-failure.log"
    echo 125 > "$CTL/rc"
    sync
    exit 125
}
# poll every 50 ms, at most $1 seconds, until "$2..." succeeds
wait_until() {
    local tries=$(($1 * 20)); shift
    until "$@" > /dev/null 2>&1; do
        tries=$((tries - 1)); [ $tries -gt 0 ] || return 1
        sleep 0.05
    done
}
stamp guest_main

. "$CTL/$VTL_BACKEND-library.sh"
VTL_STATE_DIR=/run/vtl-$VTL_BACKEND VTL_LOG_DIR=$CTL
[ -n "$VTL_MEDIA_DIR" ] || VTL_MEDIA_DIR=/var/lib/vtl
vtl_library_start 2>> "$CTL/setup-failure.log" || setup_failed "building the $VTL_BACKEND library ($VTL_PERSONALITY)"
stamp "${VTL_BACKEND}_ready"

if [ "$VTL_BACKEND" = tgt ]; then
    mkdir -p /etc/iscsi /run/lock/iscsi /var/lib/iscsi
    echo "InitiatorName=iqn.2025-01.org.ndmpd.test:guest" > /etc/iscsi/initiatorname.iscsi
    # own session: iscsid signals its whole process group when it shuts down,
    # which would otherwise take this script with it
    setsid iscsid -f >> "$CTL/iscsi.log" 2>&1 &
    ISCSID_PID=$!
    # `iscsiadm -m session` answers 21 ("no sessions") once iscsid is listening
    iscsid_up() { iscsiadm -m session > /dev/null 2>&1; local rc=$?; [ $rc -eq 0 ] || [ $rc -eq 21 ]; }
    wait_until 20 iscsid_up || setup_failed "iscsid did not start"
    iscsiadm -m discovery -t sendtargets -p "$VTL_PORTAL" >> "$CTL/iscsi.log" 2>&1 || setup_failed "iSCSI discovery of $VTL_PORTAL"
    iscsiadm -m node -T "$VTL_IQN" -p "$VTL_PORTAL" --login >> "$CTL/iscsi.log" 2>&1 || setup_failed "iSCSI login to $VTL_IQN"
    stamp iscsi_login
fi

shopt -s nullglob
# The kernel creates nodes asynchronously after login; devtmpfs makes them
# without udev.  Ready = every drive has nst and sg, the changer has sch.
library_visible() {
    local d nst=0 sch=0 sg=0
    for d in /sys/class/scsi_tape/nst*; do [[ ${d##*/} =~ ^nst[0-9]+$ ]] && [ -c "/dev/${d##*/}" ] && nst=$((nst + 1)); done
    for d in /sys/class/scsi_changer/sch*; do [ -c "/dev/${d##*/}" ] && sch=$((sch + 1)); done
    for d in /sys/class/scsi_generic/sg*; do [ -c "/dev/${d##*/}" ] && sg=$((sg + 1)); done
    [ $nst -ge "$VTL_DRIVES" ] && [ $sch -ge 1 ] && [ $sg -ge $((VTL_DRIVES + 1)) ]
}
wait_until 60 library_visible || setup_failed "the kernel did not create the tape and changer nodes within 60 s"

# Name the nodes in (target, LUN) order: with tgt drive i is LUN i+1 of one
# target, with mhvtl target i+1 at LUN 0.  Device minors (nst0, sg1) follow
# whichever registered first, so nothing may assume nst0 is drive 0.
describe_devices() {
    local dev hctl key type sg d nst sch i=0 tapes_sg=""
    local -a by_addr=()
    for dev in /sys/bus/scsi/devices/*:*:*:*; do
        hctl=${dev##*/}
        [[ $hctl =~ ^[0-9]+:[0-9]+:([0-9]+):([0-9]+)$ ]] &&
            by_addr[$((BASH_REMATCH[1] * 65536 + BASH_REMATCH[2]))]=$hctl
    done
    echo "VTL_BACKEND=$VTL_BACKEND VTL_PERSONALITY=$VTL_PERSONALITY"
    echo "VTL_DRIVES=$VTL_DRIVES VTL_SLOTS=$VTL_SLOTS VTL_IE=$VTL_IE VTL_TAPES=$VTL_TAPES VTL_TAPE_MB=$VTL_TAPE_MB"
    echo "VTL_SMALL_TAPES=${VTL_SMALL_TAPES:-0} VTL_SMALL_TAPE_MB=${VTL_SMALL_TAPE_MB:-}"
    echo "VTL_WORM_BARCODE=${VTL_WORM_BARCODE:-} VTL_WORM_SLOT=${VTL_WORM_SLOT:-} VTL_CLEANING_BARCODE=${VTL_CLEANING_BARCODE:-} VTL_CLEANING_SLOT=${VTL_CLEANING_SLOT:-}"
    echo "VTL_PICKER=$VTL_PICKER VTL_IE_FIRST=$VTL_IE_FIRST VTL_DRIVE_FIRST=$VTL_DRIVE_FIRST VTL_SLOT_FIRST=$VTL_SLOT_FIRST"
    echo "VTL_BARCODES='$VTL_BARCODES' VTL_MEDIA_DIR='$VTL_MEDIA_DIR' VTL_MEDIA_SUFFIX=$VTL_MEDIA_SUFFIX VTL_DENSITY_CODE=${VTL_DENSITY_CODE:-}"
    echo "VTL_CHANGER_VENDOR='$VTL_CHANGER_VENDOR' VTL_CHANGER_PRODUCT='$VTL_CHANGER_PRODUCT'"
    echo "VTL_DRIVE_VENDOR='$VTL_DRIVE_VENDOR' VTL_DRIVE_PRODUCT='$VTL_DRIVE_PRODUCT'"
    # only tgt sets VTL_IQN: devices_sg_tests reads it as "the target is tgt"
    [ -z "$VTL_IQN" ] || echo "VTL_IQN=$VTL_IQN VTL_PORTAL=$VTL_PORTAL"
    [ -z "${MHVTL_BUILD:-}" ] || [ "$VTL_BACKEND" != mhvtl ] || echo "MHVTL_BUILD='$MHVTL_BUILD'"
    for key in "${!by_addr[@]}"; do   # indexed array: ascending (target, LUN)
        hctl=${by_addr[$key]}; dev=/sys/bus/scsi/devices/$hctl
        read -r type < "$dev/type"
        sg=; for d in "$dev"/scsi_generic/sg*; do sg=/dev/${d##*/}; done
        case $type in
            1)  nst=; for d in "$dev"/scsi_tape/nst*; do [[ ${d##*/} =~ ^nst[0-9]+$ ]] && nst=/dev/${d##*/}; done
                echo "VTL_DRIVE${i}_SG=$sg VTL_DRIVE${i}_NST=$nst VTL_DRIVE${i}_ST=${nst/nst/st}" \
                     "VTL_DRIVE${i}_HCTL=$hctl VTL_DRIVE${i}_ELEMENT=$((VTL_DRIVE_FIRST + i))" \
                     "VTL_DRIVE${i}_SERIAL=NDMPDRV$(printf %03d $i)"
                tapes_sg=${tapes_sg:+$tapes_sg,}$sg
                i=$((i + 1)) ;;
            8)  sch=; for d in "$dev"/scsi_changer/sch*; do sch=/dev/${d##*/}; done
                echo "VTL_CHANGER_SG=$sg VTL_CHANGER_SCH=$sch VTL_CHANGER_HCTL=$hctl"
                echo "NDMP_TEST_SG_CHANGER=$sg" ;;
        esac
    done
    echo "NDMP_TEST_SG_TAPE=$tapes_sg"
}
describe_devices > /run/vtl.env
cp /run/vtl.env "$CTL/devices.env"
stamp library_ready
touch "$CTL/ready"

# ---- the command -------------------------------------------------------------
set -a; . /run/vtl.env; set +a
cd "$VTL_CWD" 2>/dev/null || cd /
bash "$CTL/cmd.sh" >> "$OUT" 2>&1 < /dev/null
rc=$?
stamp command_done
echo "$rc" > "$CTL/rc"

# ---- teardown: with tgt log out first so tgt sees a clean end (media files stay consistent)
if [ "$VTL_BACKEND" = tgt ]; then
    timeout 10 iscsiadm -m node -T "$VTL_IQN" -p "$VTL_PORTAL" --logout >> "$CTL/iscsi.log" 2>&1
    kill "$ISCSID_PID" 2>/dev/null
fi
vtl_library_stop
sync
stamp teardown_done
exit "$rc"
