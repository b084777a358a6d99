#!/bin/bash
# snapshot-checks.sh - inside the guest: backups from btrfs and LVM
# snapshots on a real kernel (issue 18).
#   run.sh -- tests/vtl-vm/snapshot-checks.sh SNAPSHOT_KERNEL_TEST
# Makes a btrfs file system with a subvolume, and an LVM volume group with
# a classic and a thin volume (ext4 on each), on loop devices in guest RAM;
# runs snapshot_kernel_test (tests/snapshot/kernel_snapshot_test.cc): an
# in-process ndmpd whose exports have snapshot = btrfs / lvm backs up a
# tree that a writer rewrites during the walk, restores it and compares it
# with the tree at the snapshot's moment; then checks that no snapshot
# volume or subvolume is left. The tape library is ndmpd's emulated one;
# the guest's mhvtl is not used.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/guest-checks.sh"
: "${VTL_BACKEND:?snapshot-checks.sh runs inside the vtl-vm guest (run.sh)}"
[ $# -ge 1 ] || { echo "usage: snapshot-checks.sh SNAPSHOT_KERNEL_TEST" >&2; exit 2; }
TEST=$1
S=/run/ndmp-snap
VG=ndmpsnap
mkdir -p "$S"

make_btrfs() {
    truncate -s 320M "$S/btrfs.img" && BTRFS_LOOP=$(losetup -f --show "$S/btrfs.img") &&
        mkfs.btrfs -q "$BTRFS_LOOP" && mkdir -p "$S/btrfs" && mount "$BTRFS_LOOP" "$S/btrfs" &&
        btrfs -q subvolume create "$S/btrfs/data"
}
make_lvm() {
    # No udev in the guest: LVM makes its device nodes and /dev/VG/LV links
    # itself (the guest's /etc is its RAM overlay; the host's is untouched).
    printf 'activation {\n udev_sync = 0\n udev_rules = 0\n}\ndevices {\n obtain_device_list_from_udev = 0\n}\n' \
        > /etc/lvm/lvmlocal.conf &&
    truncate -s 400M "$S/lvm.img" && LVM_LOOP=$(losetup -f --show "$S/lvm.img") &&
        pvcreate -q "$LVM_LOOP" && vgcreate -q "$VG" "$LVM_LOOP" &&
        lvcreate -q -y -L 64M -n thick "$VG" && mkfs.ext4 -q "/dev/$VG/thick" &&
        lvcreate -q -y -L 128M -T "$VG/pool" && lvcreate -q -y -V 64M -T "$VG/pool" -n thin &&
        mkfs.ext4 -q "/dev/$VG/thin" &&
        mkdir -p "$S/thick" "$S/thin" && mount "/dev/$VG/thick" "$S/thick" && mount "/dev/$VG/thin" "$S/thin"
}
teardown() {
    umount "$S/thick" "$S/thin" "$S/btrfs" 2> /dev/null
    vgchange -q -an "$VG" > /dev/null 2>&1
    losetup -D  # the guest's own loop devices: only ours
}
trap teardown EXIT

export NDMP_TEST_SNAPSHOT_BTRFS=$S/btrfs/data NDMP_TEST_SNAPSHOT_LVM_THICK=$S/thick NDMP_TEST_SNAPSHOT_LVM_THIN=$S/thin
if vtl_check "btrfs with a subvolume on a loop device" make_btrfs; then
    vtl_check "btrfs: a backup of a changing tree restores to the snapshot's moment; a SIGKILLed one is removed at start" \
        "$TEST" --gtest_brief=1 --gtest_filter='Kernel*.Btrfs*'
    no_btrfs_snapshot() { [ "$(btrfs subvolume list "$S/btrfs" | wc -l)" -eq 1 ] || btrfs subvolume list "$S/btrfs"; }
    vtl_check "no btrfs snapshot subvolume is left (btrfs subvolume list)" no_btrfs_snapshot
fi
if vtl_check "LVM: a classic and a thin volume with ext4 on a loop device" make_lvm; then
    vtl_check "LVM classic and thin: backups of a changing tree restore to the snapshot's moment; a SIGKILLed one is removed at start" \
        "$TEST" --gtest_brief=1 --gtest_filter='Kernel*.Lvm*'
    no_lvm_snapshot() { ! lvs --noheadings -o lv_name "$VG" | grep ndmpd-; }
    vtl_check "no LVM snapshot volume is left (lvs)" no_lvm_snapshot
fi
vtl_summary
