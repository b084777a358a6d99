# shellcheck shell=bash
# mhvtl-library.sh - sourced by guest-main.sh: build and tear down the tape
# library with mhvtl (the default backend): the kernel module mhvtl.ko is a
# SCSI host adapter ("scsi hostN: mhvtl"), vtltape emulates each drive and
# vtllibrary the changer, with the sense data, mode pages, log pages and
# element layouts of the vendor models they are told to be.  Same contract as
# tgt-library.sh.
#
# Personalities (VTL_PERSONALITY), with the element map mhvtl's personality
# module gives each changer (usr/pm/stklxx_pm.c, usr/pm/hp_smc_pm.c):
#   stk-ibm  STK L700 changer, IBM ULT3580-TD6 (LTO-6) drives, LTO-6 tapes
#            ..L6; picker 1, import/export 10.., drives 500.., slots 1000..;
#            drive identifiers (DVCID) in READ ELEMENT STATUS are vendor,
#            product and serial
#   hp       HP MSL G3 Series changer, HP Ultrium 5-SCSI (LTO-5) drives,
#            LTO-5 tapes ..L5; picker 1, slots 32.., import/export 448..,
#            drives 480..; SCSI-2 inquiry, DVCID is the serial alone
# Every device is its own target at LUN 0: the changer h:0:0:0, drive i
# h:0:(i+1):0 (device.conf), serials NDMPCHG000 and NDMPDRV00i.
#
# Inputs (variables): MHVTL_BUILD (mhvtl-build.sh's output: mhvtl.ko, bin/,
#   lib/), VTL_PERSONALITY VTL_DRIVES VTL_SLOTS VTL_TAPES VTL_TAPE_MB VTL_IE
#   VTL_SMALL_TAPES (the last N tapes hold VTL_SMALL_TAPE_MB = 8 MB)
#   VTL_SPECIAL_TAPES=1: slot TAPES+1 holds a WORM tape (<prefix>00NN + L5/L6
#   suffix's WORM letter: LV, LW), slot TAPES+2 a cleaning cartridge CLN001L1;
#   outputs VTL_WORM_BARCODE VTL_WORM_SLOT VTL_CLEANING_BARCODE
#   VTL_CLEANING_SLOT (element addresses)
#   VTL_BARCODE_PREFIX VTL_MEDIA_DIR VTL_STATE_DIR VTL_LOG_DIR
# Outputs: VTL_BARCODES, VTL_PICKER VTL_IE_FIRST VTL_DRIVE_FIRST
#   VTL_SLOT_FIRST, VTL_CHANGER_VENDOR/_PRODUCT, VTL_DRIVE_VENDOR/_PRODUCT,
#   VTL_MEDIA_SUFFIX, VTL_DENSITY_CODE, VTL_IQN/VTL_PORTAL empty (no iSCSI).
# Paths mhvtl fixes at compile time, all in the guest's RAM overlay:
#   /etc/mhvtl (device.conf, library_contents.N, mhvtl.conf), /opt/mhvtl
#   (the daemons chdir there and exit when it is missing, whatever
#   device.conf says), /var/lock/mhvtl, /dev/mhvtlN (made by the daemons).
# mhvtl logs through syslog, which the guest lacks: the daemons run in the
# foreground (-F) with their output in VTL_LOG_DIR/vtltapeN.log and
# vtllibrary.log.

# shellcheck disable=SC2034  # outputs, read by guest-main.sh
VTL_IQN='' VTL_PORTAL=''
MHVTL_LIB_ID=10

_mhvtl_personality() {
    case ${VTL_PERSONALITY:-stk-ibm} in
        stk-ibm)
            VTL_CHANGER_VENDOR=STK VTL_CHANGER_PRODUCT=L700 MHVTL_CHANGER_REV=0107
            VTL_DRIVE_VENDOR=IBM VTL_DRIVE_PRODUCT=ULT3580-TD6 MHVTL_DRIVE_REV=2160
            VTL_MEDIA_SUFFIX=L6 MHVTL_DENSITY=LTO6 VTL_DENSITY_CODE=0x5a
            VTL_PICKER=1 VTL_IE_FIRST=10 VTL_DRIVE_FIRST=500 VTL_SLOT_FIRST=1000 ;;
        hp)
            VTL_CHANGER_VENDOR=HP VTL_CHANGER_PRODUCT="MSL G3 Series" MHVTL_CHANGER_REV=6.50
            VTL_DRIVE_VENDOR=HP VTL_DRIVE_PRODUCT="Ultrium 5-SCSI" MHVTL_DRIVE_REV=Z6AW
            VTL_MEDIA_SUFFIX=L5 MHVTL_DENSITY=LTO5 VTL_DENSITY_CODE=0x58
            VTL_PICKER=1 VTL_IE_FIRST=448 VTL_DRIVE_FIRST=480 VTL_SLOT_FIRST=32 ;;
        *) echo "unknown personality '$VTL_PERSONALITY' (stk-ibm, hp)" >&2; return 1 ;;
    esac
}

_mhvtl_stamp() { local up _; read -r up _ < /proc/uptime; echo "mhvtl_$1=$up" >> "$VTL_LOG_DIR/timings"; }

_mhvtl_write_config() {
    local i
    mkdir -p /etc/mhvtl /opt/mhvtl /run/lock || return 1
    printf 'MHVTL_HOME_PATH=%s\nCAPACITY=%d\nVERBOSE=0\nVTL_DEBUG=0\n' "$VTL_MEDIA_DIR" "$VTL_TAPE_MB" > /etc/mhvtl/mhvtl.conf
    {
        printf 'VERSION: 5\n\n'
        printf 'Library: %d CHANNEL: 00 TARGET: 00 LUN: 00\n' "$MHVTL_LIB_ID"
        printf ' Vendor identification: %s\n Product identification: %s\n' "$VTL_CHANGER_VENDOR" "$VTL_CHANGER_PRODUCT"
        printf ' Product revision level: %s\n Unit serial number: NDMPCHG000\n' "$MHVTL_CHANGER_REV"
        printf ' NAA: 10:22:33:44:ab:00:00:00\n Home directory: %s\n PERSIST: False\n Backoff: 400\n\n' "$VTL_MEDIA_DIR"
        for ((i = 0; i < VTL_DRIVES; i++)); do
            printf 'Drive: %d CHANNEL: 00 TARGET: %02d LUN: 00\n' $((MHVTL_LIB_ID + 1 + i)) $((i + 1))
            printf ' Library ID: %d Slot: %02d\n' "$MHVTL_LIB_ID" $((i + 1))
            printf ' Vendor identification: %s\n Product identification: %s\n' "$VTL_DRIVE_VENDOR" "$VTL_DRIVE_PRODUCT"
            printf ' Product revision level: %s\n Unit serial number: NDMPDRV%03d\n' "$MHVTL_DRIVE_REV" "$i"
            printf ' NAA: 10:22:33:44:ab:00:%02x:00\n' $((i + 1))
            printf ' Compression: factor 1 enabled 1\n Compression type: lzo\n Backoff: 400\n\n'
        done
    } > /etc/mhvtl/device.conf
    {
        printf 'VERSION: 2\n\n'
        for ((i = 1; i <= VTL_DRIVES; i++)); do printf 'Drive %d:\n' "$i"; done
        printf '\nPicker 1:\n\n'
        for ((i = 1; i <= VTL_IE; i++)); do printf 'MAP %d:\n' "$i"; done
        echo
        local -a bcs
        read -r -a bcs <<< "$VTL_BARCODES $VTL_WORM_BARCODE $VTL_CLEANING_BARCODE"
        for ((i = 1; i <= VTL_SLOTS; i++)); do printf 'Slot %d: %s\n' "$i" "${bcs[i - 1]:-}"; done
    } > "/etc/mhvtl/library_contents.$MHVTL_LIB_ID"
}

vtl_library_start() {
    local i id bc b=$MHVTL_BUILD k=0
    _mhvtl_personality || return 1
    [ -s "$b/mhvtl.ko" ] && [ -x "$b/bin/vtltape" ] ||
        { echo "MHVTL_BUILD=$b holds no mhvtl.ko and bin/vtltape (run.sh builds them)" >&2; return 1; }
    # libvtlscsi.so is linked without an rpath
    export LD_LIBRARY_PATH=$b/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    mkdir -p "$VTL_MEDIA_DIR" "$VTL_STATE_DIR" "$VTL_LOG_DIR" || return 1
    VTL_BARCODES=
    for ((i = 1; i <= VTL_TAPES; i++)); do
        printf -v bc '%s%04d%s' "$VTL_BARCODE_PREFIX" "$i" "$VTL_MEDIA_SUFFIX"
        VTL_BARCODES="${VTL_BARCODES:+$VTL_BARCODES }$bc"
    done
    VTL_WORM_BARCODE='' VTL_WORM_SLOT='' VTL_CLEANING_BARCODE='' VTL_CLEANING_SLOT=''
    if [ "${VTL_SPECIAL_TAPES:-0}" = 1 ]; then
        # mhvtl reads the media type from the barcode: an LTO WORM suffix
        # (LT..LW for LTO-3..6), or CLN for a cleaning cartridge
        printf -v VTL_WORM_BARCODE '%s%04d%s' "$VTL_BARCODE_PREFIX" $((VTL_TAPES + 1)) "${VTL_MEDIA_SUFFIX/L6/LW}"
        VTL_WORM_BARCODE=${VTL_WORM_BARCODE/%L5/LV}
        VTL_WORM_SLOT=$((VTL_SLOT_FIRST + VTL_TAPES)) VTL_CLEANING_SLOT=$((VTL_SLOT_FIRST + VTL_TAPES + 1))
        VTL_CLEANING_BARCODE=CLN001L1
    fi
    _mhvtl_write_config || { echo "cannot write /etc/mhvtl" >&2; return 1; }
    # the host has no kmod; the guest's busybox has insmod.  scsi_mod is loaded.
    if [ ! -d /sys/bus/pseudo9/drivers/mhvtl ]; then
        /run/busybox insmod "$b/mhvtl.ko" opts=0 ||
            { echo "insmod $b/mhvtl.ko failed: $(dmesg | tail -n 3)" >&2; return 1; }
    fi
    _mhvtl_stamp insmod
    # tapes: mktape per barcode (what make_vtl_media does, without its bash
    # and awk); tapes already under --media-dir are kept
    VTL_SMALL_TAPE_MB=8
    i=0
    for bc in $VTL_BARCODES; do
        i=$((i + 1))
        [ -e "$VTL_MEDIA_DIR/$bc/data" ] && continue
        local mb=$VTL_TAPE_MB
        [ "$i" -gt $((VTL_TAPES - ${VTL_SMALL_TAPES:-0})) ] && mb=$VTL_SMALL_TAPE_MB
        "$b/bin/mktape" -C /etc/mhvtl -H "$VTL_MEDIA_DIR" -l "$MHVTL_LIB_ID" -m "$bc" -s "$mb" \
            -t data -d "$MHVTL_DENSITY" >> "$VTL_LOG_DIR/mktape.log" 2>&1 ||
            { echo "mktape $bc failed: $(tail -n 3 "$VTL_LOG_DIR/mktape.log")" >&2; return 1; }
    done
    if [ -n "$VTL_WORM_BARCODE" ]; then
        local t
        for t in "WORM $VTL_WORM_BARCODE" "clean $VTL_CLEANING_BARCODE"; do
            set -- $t
            [ -e "$VTL_MEDIA_DIR/$2/data" ] && continue
            "$b/bin/mktape" -C /etc/mhvtl -H "$VTL_MEDIA_DIR" -l "$MHVTL_LIB_ID" -m "$2" -s "$VTL_TAPE_MB" \
                -t "$1" -d "$MHVTL_DENSITY" >> "$VTL_LOG_DIR/mktape.log" 2>&1 ||
                { echo "mktape $2 ($1) failed: $(tail -n 3 "$VTL_LOG_DIR/mktape.log")" >&2; return 1; }
        done
    fi
    _mhvtl_stamp media
    MHVTL_PIDS=()
    # drives first: the library asks each drive for its identity over
    # mhvtl's message queue when it starts
    for ((i = 0; i < VTL_DRIVES; i++)); do
        id=$((MHVTL_LIB_ID + 1 + i))
        setsid "$b/bin/vtltape" -F -q"$id" -v0 >> "$VTL_LOG_DIR/vtltape$id.log" 2>&1 < /dev/null &
        MHVTL_PIDS+=($!)
    done
    setsid "$b/bin/vtllibrary" -F -q"$MHVTL_LIB_ID" -v0 >> "$VTL_LOG_DIR/vtllibrary.log" 2>&1 < /dev/null &
    MHVTL_PIDS+=($!)
    _mhvtl_stamp daemons
    # each daemon registers its device with the module (add_lu) once it is
    # set up; a daemon that exits at start (bad config) is said at once
    # instead of after guest-main.sh's 60 s wait for the nodes
    while :; do
        local n=0 d
        for d in /sys/bus/scsi/devices/*:*:*:*; do [ -e "$d/type" ] && n=$((n + 1)); done
        [ $n -ge $((VTL_DRIVES + 1)) ] && break
        for i in "${MHVTL_PIDS[@]}"; do
            kill -0 "$i" 2> /dev/null ||
                { echo "an mhvtl daemon exited at start: $(tail -qn 3 "$VTL_LOG_DIR"/vtl*.log)" >&2; return 1; }
        done
        k=$((k + 1)); [ $k -lt 600 ] || { echo "mhvtl's daemons registered $n of $((VTL_DRIVES + 1)) devices in 30 s" >&2; return 1; }
        sleep 0.05
    done
}

vtl_library_stop() {
    [ "${#MHVTL_PIDS[@]}" -gt 0 ] 2> /dev/null || return 0
    local id p k
    # Tapes that outlive the run (--media-dir under /vtl/out) are closed the
    # way mhvtl's own shutdown does it: "exit" to each daemon, asked all at
    # once, and they go within ~5 s under TCG.  Tapes in guest RAM die with
    # the guest, so there the daemons are simply killed.
    case $VTL_MEDIA_DIR in
        /vtl/out|/vtl/out/*)
            local -a asks=()
            for ((id = MHVTL_LIB_ID; id <= MHVTL_LIB_ID + VTL_DRIVES; id++)); do
                timeout 5 "$MHVTL_BUILD/bin/vtlcmd" "$id" exit > /dev/null 2>&1 &
                asks+=($!)
            done
            wait "${asks[@]}" ;;
        *) kill -KILL "${MHVTL_PIDS[@]}" 2> /dev/null ;;   # they ignore SIGTERM
    esac
    for p in "${MHVTL_PIDS[@]}"; do
        k=0
        while kill -0 "$p" 2> /dev/null && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
        kill -0 "$p" 2> /dev/null && kill -KILL "$p"
        wait "$p" 2> /dev/null
    done
    MHVTL_PIDS=()
}
