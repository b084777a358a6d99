#!/bin/bash
# PID 1 of new namespaces (systemd_test.sh): makes a root of its own (this
# host's / read-only under a tmpfs overlay, fresh /proc, /run, /tmp; /sys and
# /dev as the host has them; the work directory at /out) and turns into
# systemd there, booting only what the checks need: ndmpd-checks.target =
# journald, D-Bus (for systemd-analyze security) and ndmpd-checks.service.
set -eu
work=$1
W=$work/root
mount --make-rprivate /
mkdir -p "$W"
mount -t tmpfs -o size=2g,mode=0755 tmpfs "$W"
mkdir -p "$W/upper" "$W/work" "$W/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$W/upper,workdir=$W/work" "$W/root"
R=$W/root
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mkdir -p "$R/out"
mount --bind "$work/out" "$R/out"
ip link set lo up
hostname ndmpd-systemd-test
# Container images ship a policy-rc.d that forbids starting services from
# maintainer scripts (exit 101); a Debian machine has none.
rm -f "$R/usr/sbin/policy-rc.d"
# A machine id of its own (the host's may be empty in a container image).
tr -d '-' < /proc/sys/kernel/random/uuid > "$R/etc/machine-id"

units=$R/etc/systemd/system
mkdir -p "$units"
if [ -s "$work/out/sanitizer-env" ]; then  # see systemd_test.sh
    mkdir -p "$units/ndmpd.service.d"
    printf '[Service]\nEnvironment=%s\n' "$(cat "$work/out/sanitizer-env")" > "$units/ndmpd.service.d/sanitizer.conf"
fi
cat > "$units/ndmpd-checks.target" <<'UNIT'
[Unit]
Description=ndmpd under systemd: the checks and what they need
Requires=ndmpd-checks.service
Wants=systemd-journald.socket systemd-journald.service dbus.socket
AllowIsolate=yes
UNIT
cat > "$units/ndmpd-checks.service" <<'UNIT'
[Unit]
Description=ndmpd under systemd: the checks
After=systemd-journald.service dbus.socket
[Service]
Type=oneshot
ExecStart=/bin/bash /out/systemd-checks.sh
StandardOutput=file:/out/checks.log
StandardError=inherit
TimeoutStartSec=800
ExecStopPost=/bin/systemctl poweroff --no-block
UNIT
export container=ndmpd-systemd-test
exec chroot "$R" /lib/systemd/systemd --unit=ndmpd-checks.target --log-target=console
