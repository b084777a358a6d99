# shellcheck shell=bash
# tgt-library.sh - sourced by guest-main.sh: build and tear down the emulated
# tape library with tgt (Debian package `tgt`).
#
# Shape: one iSCSI target on 127.0.0.1; LUN 0 is tgt's controller, LUNs
# 1..DRIVES are tape drives (SSC), LUN DRIVES+1 is the medium changer (SMC).
# Element addresses follow tgt's own examples, which resemble a real
# library's: picker 1, import/export 10.., drives 500.., slots 1000..
# Drive i (0-based) is LUN i+1 and data transfer element 500+i, so a test can
# check the changer's element-to-drive mapping against INQUIRY serials: the
# drives' unit serial numbers (VPD page 0x80) are NDMPDRV000i and READ ELEMENT
# STATUS reports the same identifier for each drive element (DVCID).
#
# Inputs (variables): VTL_DRIVES VTL_SLOTS VTL_TAPES VTL_TAPE_MB VTL_IE
#   VTL_BARCODE_PREFIX VTL_MEDIA_DIR VTL_STATE_DIR VTL_LOG_DIR
# Outputs: VTL_BARCODES (space separated, slot order), VTL_IQN, VTL_PORTAL,
#   VTL_PICKER VTL_IE_FIRST VTL_DRIVE_FIRST VTL_SLOT_FIRST, TGTD_PID.
# Both functions return non-zero after printing the reason on stderr.

VTL_IQN=iqn.2025-01.org.ndmpd.test:vtl
VTL_PORTAL=127.0.0.1:3260
VTL_PICKER=1 VTL_IE_FIRST=10 VTL_DRIVE_FIRST=500 VTL_SLOT_FIRST=1000
VTL_DRIVE_VENDOR=${VTL_DRIVE_VENDOR:-IBM} VTL_DRIVE_PRODUCT=${VTL_DRIVE_PRODUCT:-ULT3580-TD6}
VTL_CHANGER_VENDOR=${VTL_CHANGER_VENDOR:-STK} VTL_CHANGER_PRODUCT=${VTL_CHANGER_PRODUCT:-L700}
VTL_MEDIA_SUFFIX=L6

_vtl_tgtadm() { tgtadm --lld iscsi "$@" || { echo "tgtadm $*: failed" >&2; return 1; }; }

vtl_library_start() {
    local i bc lun k=0
    mkdir -p "$VTL_MEDIA_DIR" "$VTL_STATE_DIR" "$VTL_LOG_DIR" || return 1
    # barcoded data cartridges; tgtimg files are sparse, so capacity costs nothing until written
    VTL_BARCODES=
    for ((i = 1; i <= VTL_TAPES; i++)); do
        printf -v bc '%s%04dL6' "$VTL_BARCODE_PREFIX" "$i"
        VTL_BARCODES="${VTL_BARCODES:+$VTL_BARCODES }$bc"
        [ -e "$VTL_MEDIA_DIR/$bc" ] && continue
        tgtimg --op new --device-type tape --barcode "$bc" --size "$VTL_TAPE_MB" --type data \
            --file "$VTL_MEDIA_DIR/$bc" > /dev/null || { echo "tgtimg $bc failed" >&2; return 1; }
    done
    # tgt refuses a tape LUN without a backing file, even for an empty
    # drive; a MOVE MEDIUM into the drive swaps in media_home/<barcode>
    for ((i = 0; i < VTL_DRIVES; i++)); do
        tgtimg --op new --device-type tape --barcode "" --size 1 --type clean \
            --file "$VTL_STATE_DIR/empty-drive$i" > /dev/null || { echo "tgtimg empty-drive$i failed" >&2; return 1; }
    done
    : > "$VTL_STATE_DIR/changer"

    tgtd -f --iscsi "portal=$VTL_PORTAL" >> "$VTL_LOG_DIR/tgtd.log" 2>&1 &
    TGTD_PID=$!
    until tgtadm --op show --mode sys > /dev/null 2>&1; do
        k=$((k + 1))
        if [ $k -gt 400 ] || ! kill -0 "$TGTD_PID" 2>/dev/null; then
            echo "tgtd did not come up (tgtd.log: $(tail -n 3 "$VTL_LOG_DIR/tgtd.log"))" >&2
            return 1
        fi
        sleep 0.05
    done

    _vtl_tgtadm --op new --mode target --tid 1 -T "$VTL_IQN" || return 1
    for ((i = 0; i < VTL_DRIVES; i++)); do
        lun=$((i + 1))
        _vtl_tgtadm --op new --mode logicalunit --tid 1 --lun $lun --device-type=tape \
            -b "$VTL_STATE_DIR/empty-drive$i" || return 1
        _vtl_tgtadm --op update --mode logicalunit --tid 1 --lun $lun --params \
            "vendor_id=$VTL_DRIVE_VENDOR,product_id=$VTL_DRIVE_PRODUCT,product_rev=0001,scsi_sn=NDMPDRV$(printf %03d $i),removable=1" || return 1
    done
    lun=$((VTL_DRIVES + 1))
    _vtl_tgtadm --op new --mode logicalunit --tid 1 --lun $lun --device-type=changer \
        -b "$VTL_STATE_DIR/changer" || return 1
    local -a P=(--op update --mode logicalunit --tid 1 --lun "$lun" --params)
    _vtl_tgtadm "${P[@]}" "vendor_id=$VTL_CHANGER_VENDOR,product_id=$VTL_CHANGER_PRODUCT,product_rev=0001,scsi_sn=NDMPCHG000,removable=1" || return 1
    _vtl_tgtadm "${P[@]}" "media_home=$VTL_MEDIA_DIR" || return 1
    _vtl_tgtadm "${P[@]}" "element_type=1,start_address=$VTL_PICKER,quantity=1" || return 1
    _vtl_tgtadm "${P[@]}" "element_type=2,start_address=$VTL_SLOT_FIRST,quantity=$VTL_SLOTS" || return 1
    if [ "$VTL_IE" -gt 0 ]; then
        _vtl_tgtadm "${P[@]}" "element_type=3,start_address=$VTL_IE_FIRST,quantity=$VTL_IE" || return 1
    fi
    _vtl_tgtadm "${P[@]}" "element_type=4,start_address=$VTL_DRIVE_FIRST,quantity=$VTL_DRIVES" || return 1
    for ((i = 0; i < VTL_DRIVES; i++)); do
        _vtl_tgtadm "${P[@]}" "element_type=4,address=$((VTL_DRIVE_FIRST + i)),tid=1,lun=$((i + 1))" || return 1
    done
    i=0
    for bc in $VTL_BARCODES; do
        [ $i -lt "$VTL_SLOTS" ] || break
        _vtl_tgtadm "${P[@]}" "element_type=2,address=$((VTL_SLOT_FIRST + i)),barcode=$bc,sides=1" || return 1
        i=$((i + 1))
    done
    _vtl_tgtadm --op bind --mode target --tid 1 -I 127.0.0.1 || return 1
    tgtadm --lld iscsi --op show --mode target > "$VTL_LOG_DIR/tgt-config.txt" 2>&1
}

# tgtd ignores SIGTERM while it still has targets: delete the target, ask the
# daemon to exit, and only then kill it by PID.
vtl_library_stop() {
    [ -n "${TGTD_PID:-}" ] || return 0
    local k=0
    timeout 5 tgtadm --lld iscsi --op delete --mode target --tid 1 --force > /dev/null 2>&1
    timeout 5 tgtadm --op delete --mode system > /dev/null 2>&1
    while kill -0 "$TGTD_PID" 2>/dev/null && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
    kill -0 "$TGTD_PID" 2>/dev/null && kill -KILL "$TGTD_PID"
    wait "$TGTD_PID" 2>/dev/null
    TGTD_PID=
}
