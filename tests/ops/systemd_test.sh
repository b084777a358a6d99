#!/bin/bash
# ndmpd.service under a real systemd (issue 20): systemd 252 boots as PID 1
# in private namespaces (pid, mount, net, uts, ipc, cgroup) over a
# throw-away overlay of this host's /, so it is a Debian 12 system of its own
# whose writes vanish with it. There the built packages are installed with
# dpkg (the postinst makes the password and starts the service, as on a
# fresh machine) and systemd-checks.sh checks the running service: Type=notify
# readiness and STATUS=, a reload by `systemctl reload`, an ndmjob backup
# through the sandbox, the journal's fields, metrics, the sandbox as the
# kernel applies it, and `systemd-analyze security` online.
#
# No qemu needed: on this host root may create namespaces and the cgroup
# hierarchies are writable (systemd-nspawn would do the same; Debian ships it
# in systemd-container, which is not needed here).
#
# usage: systemd_test.sh BUILD_DIR NDMJOB_SHIM
# Exit 77 (reported as skipped by CTest) when something it needs is missing
# or the host forbids namespaces, saying which.
set -u
build=$(realpath "$1") shim=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, mounts, a systemd of its own)"
[ -x /lib/systemd/systemd ] || skip "/lib/systemd/systemd is missing (package systemd)"
for tool in cpack unshare dpkg-deb; do
    command -v $tool > /dev/null || skip "$tool is not installed (scripts/install-deps.sh installs it)"
done
[ -x /usr/lib/amanda/ndmjob ] || skip "/usr/lib/amanda/ndmjob is missing (amanda-common)"
unshare --pid --fork --mount --net --cgroup true 2> /dev/null ||
    skip "this host does not let root create pid/mount/net/cgroup namespaces (a container without CAP_SYS_ADMIN?)"

work=$(mktemp -d /tmp/ndmpd-systemd-XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "\$ cpack -G DEB -B $work/out/pkgs"
(cd "$build" && cpack -G DEB -B "$work/out/pkgs") > "$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack"; }
rm -rf "$work/out/pkgs/_CPack_Packages"
cp "$here/systemd-checks.sh" "$work/out/"
echo "$shim" > "$work/out/shim"
# An ASan build (step 2 of scripts/test.sh) runs here too, but LeakSanitizer
# stops the world with ptrace, which the unit's seccomp filter denies, so its
# exit check would fail every ExecStartPre. The boot gives the unit a drop-in
# without the leak check; every other ASan and UBSan check stays on.
if grep -q -- '-fsanitize=[a-z,]*address' "$build/CMakeCache.txt" 2> /dev/null; then
    echo "note: ndmpd is built with AddressSanitizer; the unit runs it with ASAN_OPTIONS=detect_leaks=0"
    echo "ASAN_OPTIONS=detect_leaks=0" > "$work/out/sanitizer-env"
fi

echo "\$ unshare --pid --fork --mount --net --uts --ipc --cgroup systemd-boot.sh $work"
# A deadline for the whole boot, not a pause: a hung boot must end the test.
timeout 900 unshare --pid --fork --mount --net --uts --ipc --cgroup --kill-child \
    "$here/systemd-boot.sh" "$work" > "$work/boot.log" 2>&1
boot_rc=$?
echo "--- the checks, as they ran under systemd"
cat "$work/out/checks.log" 2>/dev/null || echo "(no output: the checks never ran)"
rc=$(cat "$work/out/rc" 2>/dev/null)
if [ "$rc" != 0 ]; then
    echo "--- the boot (systemd's own messages)"
    tail -n 60 "$work/boot.log"
    [ -e "$work/out/journal.txt" ] && { echo "--- journal"; tail -n 80 "$work/out/journal.txt"; }
    fail "the checks under systemd did not pass (rc '${rc:-none}', boot exit $boot_rc)"
fi
echo PASS
