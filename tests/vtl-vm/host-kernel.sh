# shellcheck shell=bash
# host-kernel.sh - sourced by run.sh: get Debian's kernel for the guest and
# build the guest's initramfs, both cached between runs.
#
# Contract
#   vtl_kernel_prepare CACHE
#       Makes sure CACHE/<kver>/ holds the kernel the guest boots and the
#       modules guest-modules.txt asks for (with their dependencies), fetching
#       the package with `apt-get download` only when nothing is cached.
#       Sets VTL_KVER, VTL_KDIR and VTL_BOOT_KERNEL.  Returns non-zero with a
#       message on stderr when the kernel cannot be had.
#   vtl_initramfs_prepare CACHE
#       Builds (or reuses) CACHE/<kver>/initramfs-<hash>.cpio.gz: busybox,
#       guest-init.sh as /init, the modules and a modules.dep.  The hash
#       covers everything that goes in, so editing guest-init.sh or
#       guest-modules.txt rebuilds it.  Sets VTL_INITRD.
#
# Why Debian's own kernel: this is the kernel users run, so sg, st, ch and
# SG_IO behave as they do on their servers.  Why the full amd64 flavour and
# not -cloud-amd64 (a third of the download): the cloud flavour is built
# without 9p, and 9p is how the guest sees the host's programs.
#
# The host has no kmod and no cpio: module dependencies are read from the
# `depends=` field of each module's .modinfo section, modules.dep is made by
# `busybox depmod`, and the archive by `busybox cpio`.

VTL_HERE=${VTL_HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

_vtl_module_names() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$VTL_HERE/guest-modules.txt"
}

# The package linux-image-amd64 points at, e.g. linux-image-6.1.0-56-amd64.
_vtl_kernel_package() {
    local p
    p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    if [ -z "$p" ]; then
        # fresh machine: the package lists have never been fetched
        apt-get update -qq >/dev/null 2>&1 || return 1
        p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    fi
    [ -n "$p" ] && echo "$p"
}

# _vtl_extract_vmlinux BZIMAGE OUT: the uncompressed ELF kernel inside a
# bzImage.  Booting it through qemu's PVH entry skips the real-mode setup and
# the in-guest decompression, which together cost seconds under TCG.
_vtl_extract_vmlinux() {
    local bz=$1 out=$2 magic fmt off
    for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
        fmt=${magic%%:*}
        # every offset where the magic occurs; the payload is the first that unpacks to ELF
        for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$bz" 2>/dev/null | cut -d: -f1 | head -n 5); do
            case $fmt in
                xz) tail -c +$((off + 1)) "$bz" | xz -dc --single-stream ;;
                zstd) tail -c +$((off + 1)) "$bz" | zstd -dcq ;;
                gzip) tail -c +$((off + 1)) "$bz" | gzip -dc ;;
            esac > "$out.tmp" 2>/dev/null
            if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
                mv "$out.tmp" "$out"
                return 0
            fi
        done
    done
    rm -f "$out.tmp"
    return 1
}

vtl_kernel_prepare() {
    local cache=$1 pkg deb tmp kver kmods names todo seen n f deps mod
    # Reuse whatever kernel is cached, so a run needs no package lists and no
    # network once the cache is warm; NDMP_VTL_KERNEL_PKG forces a choice.
    if [ -n "${NDMP_VTL_KERNEL_PKG:-}" ]; then
        pkg=$NDMP_VTL_KERNEL_PKG
    elif [ -s "$cache/kernel-package" ]; then
        pkg=$(cat "$cache/kernel-package")
    else
        pkg=$(_vtl_kernel_package) || { echo "cannot resolve linux-image-amd64 (apt-get update failed?)" >&2; return 1; }
    fi
    kver=${pkg#linux-image-}
    VTL_KVER=$kver
    VTL_KDIR=$cache/$kver
    names=$(_vtl_module_names | tr '\n' ' ')
    # the stamp records which module list the cached tree was cut for
    if [ ! -s "$VTL_KDIR/vmlinux" ] || [ "$(cat "$VTL_KDIR/modules.stamp" 2>/dev/null)" != "$names" ]; then
        echo "vtl-vm: preparing kernel $pkg in $VTL_KDIR (once)" >&2
        deb=$(ls "$cache"/"$pkg"_*.deb 2>/dev/null | head -n1)
        if [ -z "$deb" ]; then
            (cd "$cache" && apt-get download "$pkg" >/dev/null 2>"$cache/apt-download.log") ||
                { echo "apt-get download $pkg failed: $(tail -n 3 "$cache/apt-download.log")" >&2; return 1; }
            deb=$(ls "$cache"/"$pkg"_*.deb | head -n1)
        fi
        tmp=$(mktemp -d "$cache/unpack.XXXXXX") || return 1
        dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; echo "dpkg-deb -x $deb failed" >&2; return 1; }
        rm -rf "$VTL_KDIR"
        mkdir -p "$VTL_KDIR/lib/modules/$kver"
        cp "$tmp/boot/vmlinuz-$kver" "$VTL_KDIR/vmlinuz"
        cp "$tmp/boot/config-$kver" "$VTL_KDIR/config"
        if grep -qx 'CONFIG_PVH=y' "$VTL_KDIR/config"; then
            _vtl_extract_vmlinux "$VTL_KDIR/vmlinuz" "$VTL_KDIR/vmlinux" ||
                echo "vtl-vm: warning: no ELF payload found in the bzImage; booting it through the BIOS (slower)" >&2
        fi
        # copy the closure of the wanted modules, by breadth-first walk of depends=
        kmods=$tmp/lib/modules/$kver
        declare -A path=()
        while IFS= read -r f; do
            n=${f##*/}; n=${n%%.ko*}; path[${n//-/_}]=$f
        done < <(cd "$kmods" && find kernel -name '*.ko*')
        todo=$names seen=" "
        while [ -n "${todo// /}" ]; do
            set -- $todo; mod=${1//-/_}; shift; todo="$*"
            case $seen in *" $mod "*) continue ;; esac
            seen="$seen$mod "
            f=${path[$mod]:-}
            if [ -z "$f" ]; then
                # built into this kernel: nothing to load
                grep -q "/$mod.ko" "$kmods/modules.builtin" 2>/dev/null ||
                    echo "vtl-vm: warning: module $mod is neither built in nor shipped by $pkg" >&2
                continue
            fi
            mkdir -p "$VTL_KDIR/lib/modules/$kver/$(dirname "$f")"
            case $f in
                *.ko) cp "$kmods/$f" "$VTL_KDIR/lib/modules/$kver/$f" ;;
                *.ko.xz) xz -dc "$kmods/$f" > "$VTL_KDIR/lib/modules/$kver/${f%.xz}" ;;
                *.ko.zst) zstd -qdc "$kmods/$f" > "$VTL_KDIR/lib/modules/$kver/${f%.zst}" ;;
            esac
            deps=$(tr '\0' '\n' < "$VTL_KDIR/lib/modules/$kver/${f%.ko*}.ko" | sed -n 's/^depends=//p' | head -n1)
            todo="$todo ${deps//,/ }"
        done
        cp "$kmods"/modules.builtin* "$kmods/modules.order" "$VTL_KDIR/lib/modules/$kver/" 2>/dev/null
        # the package is no longer needed: a changed module list fetches it again (1-2 s)
        rm -rf "$tmp" "$deb"
        echo "$names" > "$VTL_KDIR/modules.stamp"
        echo "$pkg" > "$cache/kernel-package"
    fi
    VTL_BOOT_KERNEL=$VTL_KDIR/vmlinux
    [ -s "$VTL_BOOT_KERNEL" ] && [ "${NDMP_VTL_NO_PVH:-0}" != 1 ] || VTL_BOOT_KERNEL=$VTL_KDIR/vmlinuz
    [ -s "$VTL_BOOT_KERNEL" ] || { echo "no kernel image in $VTL_KDIR" >&2; return 1; }
}

vtl_initramfs_prepare() {
    local cache=$1 hash st rc
    hash=$( { cat "$VTL_HERE/guest-init.sh" "$VTL_HERE/guest-modules.txt" "$VTL_KDIR/modules.stamp"
              cksum < /bin/busybox; } | sha256sum | cut -c1-16)
    VTL_INITRD=$VTL_KDIR/initramfs-$hash.cpio.gz
    [ -s "$VTL_INITRD" ] && return 0
    rm -f "$VTL_KDIR"/initramfs-*.cpio.gz
    st=$(mktemp -d "$cache/initramfs.XXXXXX") || return 1
    mkdir -p "$st/bin" "$st/etc" "$st/lib"
    cp /bin/busybox "$st/bin/busybox"
    cp "$VTL_HERE/guest-init.sh" "$st/init" && chmod 755 "$st/init"
    _vtl_module_names > "$st/etc/vtl-modules"
    cp -a "$VTL_KDIR/lib/modules" "$st/lib/"
    /bin/busybox depmod -b "$st" "$VTL_KVER" &&
        (cd "$st" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$VTL_INITRD.tmp" &&
        mv "$VTL_INITRD.tmp" "$VTL_INITRD"
    rc=$?
    rm -rf "$st" "$VTL_INITRD.tmp"
    [ $rc -eq 0 ] || echo "building the initramfs failed" >&2
    return $rc
}
