#!/bin/bash
# smoke.sh - inside the guest (run.sh -- tests/vtl-vm/smoke.sh): is the
# library there, as the kernel and the standard tools see it?  Checks what an
# administrator would check with sg3-utils, lsscsi, mtx and mt before
# pointing a backup server at a library, plus one write/read through st.
# Prints one line per check and "N passed, N failed, N skipped"; exits 1 on a failure.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/guest-checks.sh"
: "${VTL_CHANGER_SG:?smoke.sh runs inside the vtl-vm guest (run.sh), which sets VTL_*}"
CHG=$VTL_CHANGER_SG
NST=$VTL_DRIVE0_NST
FIRST=${VTL_BARCODES%% *}
WORK=$(mktemp -d)

count_lines() { local pattern=$1 want=$2 n; n=$(grep -c -E "$pattern"); [ "$n" -eq "$want" ] || { echo "$n lines match '$pattern', want $want"; return 1; }; }
export -f count_lines

echo "# kernel view"
vtl_check "lsscsi: $VTL_DRIVES tape drives" bash -c "lsscsi | count_lines '^\[[0-9:]+\] +tape ' $VTL_DRIVES" 
vtl_check "lsscsi: one medium changer" bash -c "lsscsi | count_lines '^\[[0-9:]+\] +mediumx ' 1"
vtl_check "sg_inq $CHG: medium changer, serial NDMPCHG000" bash -c "
    s=\$(sg_inq $CHG) && echo \"\$s\" | grep -q 'Peripheral device type: medium changer' &&
    echo \"\$s\" | grep -q 'Unit serial number: *NDMPCHG000' || { echo \"\$s\"; exit 1; }"
for ((i = 0; i < VTL_DRIVES; i++)); do
    sg=VTL_DRIVE${i}_SG serial=VTL_DRIVE${i}_SERIAL
    vtl_check "sg_inq ${!sg}: tape drive, unit serial ${!serial}" \
        bash -c "s=\$(sg_inq ${!sg}; sg_vpd -p sn ${!sg}) && echo \"\$s\" | grep -q 'Peripheral device type: tape' &&
            echo \"\$s\" | grep -q 'Unit serial number: *${!serial}\$' || { echo \"\$s\"; exit 1; }"
done

echo "# changer (SMC) through mtx on $CHG"
vtl_check "mtx status: $VTL_DRIVES drives, $VTL_SLOTS slots, $VTL_IE import/export" bash -c "
    s=\$(mtx -f $CHG status) || exit 1
    echo \"\$s\" | count_lines 'Data Transfer Element' $VTL_DRIVES &&
    echo \"\$s\" | count_lines 'Storage Element [0-9]+( IMPORT/EXPORT)?:' $((VTL_SLOTS + VTL_IE)) &&
    echo \"\$s\" | count_lines 'IMPORT/EXPORT' $VTL_IE &&
    echo \"\$s\" | grep -q 'Storage Element 1:Full :VolumeTag=$FIRST'"
vtl_check "mtx load 1 0 puts $FIRST in drive 0" bash -c "
    mtx -f $CHG load 1 0 && mtx -f $CHG status | grep -q 'Data Transfer Element 0:Full (Storage Element 1 Loaded):VolumeTag = $FIRST'"

echo "# tape (SSC) through st on $NST"
# the first command after a media change is answered with UNIT ATTENTION
vtl_check "mt status (after UNIT ATTENTION)" vtl_retry 10 mt -f "$NST" status
vtl_check "mt setblk 0 (variable blocks), rewind" bash -c "mt -f $NST setblk 0 && mt -f $NST rewind"
head -c 262144 /dev/urandom > "$WORK/data"
vtl_check "write 4 x 64 KiB records and a filemark" dd if="$WORK/data" of="$NST" bs=64k status=none
# read with a buffer of twice the record: tgt mangles short reads otherwise (README)
vtl_check "rewind, read back byte-exact" bash -c "
    mt -f $NST rewind && dd if=$NST of=$WORK/back bs=128k status=none && cmp $WORK/data $WORK/back"
vtl_check "mtx unload 1 0 returns $FIRST to slot 1" bash -c "
    mt -f $NST offline; mtx -f $CHG unload 1 0 && mtx -f $CHG status | grep -q 'Storage Element 1:Full :VolumeTag=$FIRST'"

echo "# harness hooks for services in the guest"
vtl_service listener /run/busybox nc -l -p 10000
vtl_check "a service started with vtl_service accepts on 127.0.0.1:10000" vtl_wait_tcp 10000 10

rm -rf "$WORK"
vtl_summary
