#!/bin/sh
# Installs every Debian 12 package the build, the tests and the quick start need.
# The real-kernel guest (tests/vtl-vm) builds mhvtl for Debian's kernel:
# gcc-12 (the compiler the kernel headers name), make, zlib1g-dev, libelf1 and
# libssl3 for kbuild's tools, curl to fetch the pinned mhvtl source when no
# copy is given; the headers themselves are fetched with apt-get download.
# Snapshots of exports (issue 18): btrfs-progs, lvm2 and
# thin-provisioning-tools (lvm2's thin pools) for the guest's btrfs and LVM
# checks and for ndmpd's snapshot = lvm (lvcreate, lvremove).
# tshark: Wireshark's NDMP dissector decodes captured jobs (tests/interop).
# Idempotent: packages already present are left alone. Run as root (or via sudo).
set -eu
PKGS="build-essential cmake ninja-build pkg-config
 rpcsvc-proto libtirpc-dev
 libsgutils2-dev sg3-utils mtx mt-st lsscsi
 libboost-program-options-dev
 libgtest-dev libgmock-dev libbenchmark-dev
 libarchive-dev libacl1-dev libattr1-dev libarchive-tools
 libssl-dev libfmt-dev nlohmann-json3-dev
 libprotobuf-dev protobuf-compiler
 amanda-common tshark
 qemu-system-x86 busybox-static tgt open-iscsi
 gcc-12 make zlib1g-dev libelf1 libssl3 curl ca-certificates
 btrfs-progs lvm2 thin-provisioning-tools
 python3 prometheus-cpp-dev
 lintian dpkg-dev systemd
 clang-16 libclang-rt-16-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
else
  echo "install-deps: all packages present"
fi
