#!/bin/busybox sh
# /init of the vtl-vm guest: PID 1 of an initramfs that holds only busybox
# and kernel modules (hence the interpreter line: there is no /bin/sh yet).
#
# Job: turn the guest into "the host's system with a private, writable
# layer", then hand over to guest-main.sh.
#   - the host's / arrives read-only over virtio-9p (tag hostroot) and gets a
#     tmpfs overlay, so host-built binaries and their Debian libraries run
#     unchanged and any write stays in guest RAM;
#   - the per-run control directory arrives writable (tag vtlctl) at /vtl;
#     it carries config.env, the scripts, the command, and brings back the
#     command's output and exit status;
#   - an optional results directory (tag vtlout) is mounted at /vtl/out.
# Whatever happens, the guest powers off at the end; qemu runs with
# -no-reboot and the kernel with panic=-1, so a crash ends qemu too.
export PATH=/bin:/sbin
/bin/busybox mkdir -p /proc /sys /dev /sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

say() { read -r up _ < /proc/uptime; echo "vtl-init[$up]: $*"; }
halt() { sync; poweroff -f; reboot -f; }
fatal() {
    say "FATAL: $*"
    # the host reads this file when no exit status came back
    echo "guest init failed: $*" >> /newroot/vtl/setup-failure.log 2>/dev/null
    halt
}

say "loading modules"
for m in $(cat /etc/vtl-modules); do
    modprobe "$m" || say "modprobe $m failed"
done

P9="trans=virtio,version=9p2000.L,msize=262144"
mkdir -p /host /rw /newroot
# cache=loose: the host tree does not change under a running test, and
# without caching every exec re-walks paths over 9p
mount -t 9p -o "$P9,ro,cache=loose" hostroot /host || fatal "cannot mount the host root (9p tag hostroot)"
mount -t tmpfs -o size=75%,mode=0755 tmpfs /rw || fatal "cannot mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot ||
    fatal "cannot mount the overlay"

for d in proc sys dev run vtl lib/modules; do mkdir -p "/newroot/$d"; done
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
# devtmpfs lacks the links udev would add; bash process substitution needs /dev/fd
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
# the modules of the guest's kernel, not the host's (tools like lsmod look here)
mount --bind /lib/modules /newroot/lib/modules
mount -t 9p -o "$P9" vtlctl /newroot/vtl || fatal "cannot mount the control share (9p tag vtlctl)"
mkdir -p /newroot/vtl/out
if grep -qs vtlout /sys/bus/virtio/drivers/9pnet_virtio/virtio*/mount_tag; then
    mount -t 9p -o "$P9" vtlout /newroot/vtl/out || fatal "cannot mount the results share (9p tag vtlout)"
fi
# busybox stays reachable from the chroot (the host may have no kmod)
cp /bin/busybox /newroot/run/busybox

ip link set lo up
hostname vtl-guest

say "chroot; running /vtl/guest-main.sh"
chroot /newroot /bin/bash /vtl/guest-main.sh
say "guest-main.sh exited with $?"
umount /newroot/vtl/out 2>/dev/null
umount /newroot/vtl 2>/dev/null
halt
