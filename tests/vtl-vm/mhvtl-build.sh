# shellcheck shell=bash
# mhvtl-build.sh - sourced by run.sh (host side): build mhvtl, the guest's
# default tape library, for the kernel the guest boots, and cache the build.
#
# Contract
#   vtl_mhvtl_prepare CACHE KVER
#       Makes sure CACHE/mhvtl/<KVER>-<key>/ holds mhvtl.ko built for KVER,
#       the daemons and tools in bin/ (vtltape, vtllibrary, vtlcmd, mktape,
#       make_vtl_media, dump_tape, ...), lib/libvtlscsi.so and BUILD-INFO.
#       <key> covers the source's tree sha256 and the patches applied, so a
#       new guest kernel (a Debian ABI bump), other source or a changed patch
#       builds anew; builds for other keys are removed.  Sets VTL_MHVTL_BUILD.  Returns
#       non-zero with the reason on stderr.
#   mhvtl_tree_sha256 DIR
#       The checksum mhvtl.pin records: independent of how the tree was
#       packed (GitHub archive, release tarball, git archive, a checkout).
#
# Where the source comes from (mhvtl.pin pins it):
#   NDMP_VTL_MHVTL_SRC=FILE   a tarball of the source (CI: the copy beside the
#                             repository, set by scripts/test.sh)
#   NDMP_VTL_MHVTL_SRC=DIR    a checkout: `git archive` of the pinned commit
#                             when the repository has it, else the files as
#                             they are (without .git)
#   unset                     the pinned commit from MHVTL_URL (needs network;
#                             nothing is fetched when the build is cached)
# The tree must match MHVTL_TREE_SHA256, or the build stops and says so;
# NDMP_VTL_MHVTL_UNPINNED=1 accepts another tree (a newer mhvtl, a patch),
# which then gets a cache entry of its own.
#
# mhvtl-patches/*.patch are applied in order on the verified tree: fixes of
# mhvtl bugs that would otherwise stop ndmjob's suites before they test
# ndmpd (each file says what it fixes and what the tests show without it).
#
# The kernel headers for KVER (linux-headers-KVER, its -common package and
# linux-kbuild-X.Y) are fetched with `apt-get download` and unpacked into a
# scratch directory, never installed; it is removed after the build (~100 MB
# unpacked).  Build needs: gcc (the version the headers name, gcc-12 for
# Debian 12's kernel), make, zlib1g-dev, libelf1 and libssl3 for kbuild's
# host tools, curl only for the fetch (scripts/install-deps.sh).

VTL_HERE=${VTL_HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

# _mhvtl_key TREE: the cache key of TREE with this checkout's patches
_mhvtl_key() {
    { echo "$1"; cat "$VTL_HERE"/mhvtl-patches/*.patch 2> /dev/null; } | sha256sum | cut -c1-16
}

mhvtl_tree_sha256() {
    (
        cd "$1" || exit 1
        export LC_ALL=C
        find . -type f -print0 | sort -z | xargs -0 -r sha256sum
        find . -type f -perm -u+x | sort | sed 's/^/executable /'
        find . -type l -printf 'symlink %p -> %l\n' | sort
    ) | sha256sum | cut -d' ' -f1
}

# _mhvtl_unpack TARBALL DIR: the source tree inside TARBALL, moved to DIR
_mhvtl_unpack() {
    local tb=$1 dir=$2 tmp top
    tmp=$(mktemp -d "$dir.unpack.XXXXXX") || return 1
    tar -xf "$tb" -C "$tmp" || { rm -rf "$tmp"; echo "cannot unpack $tb" >&2; return 1; }
    if [ -f "$tmp/kernel/mhvtl.c" ]; then top=$tmp
    else top=$(find "$tmp" -mindepth 2 -maxdepth 3 -path '*/kernel/mhvtl.c' -printf '%h\n' | head -n1); top=${top%/kernel}
    fi
    [ -n "$top" ] && [ -f "$top/kernel/mhvtl.c" ] || { rm -rf "$tmp"; echo "$tb holds no mhvtl source (no kernel/mhvtl.c)" >&2; return 1; }
    mv "$top" "$dir" && rm -rf "$tmp"
}

# _mhvtl_source DIR: the source named by NDMP_VTL_MHVTL_SRC, or the pinned
# commit fetched, in DIR; sets _MHVTL_ORIGIN (what BUILD-INFO records)
_mhvtl_source() {
    local dir=$1 src=${NDMP_VTL_MHVTL_SRC:-}
    if [ -z "$src" ]; then
        _MHVTL_ORIGIN="$MHVTL_URL"
        echo "vtl-vm: fetching mhvtl $MHVTL_COMMIT from $MHVTL_URL (set NDMP_VTL_MHVTL_SRC to a tarball or checkout to build offline)" >&2
        command -v curl > /dev/null || { echo "curl is missing (scripts/install-deps.sh installs it)" >&2; return 1; }
        curl -fsSL --retry 2 --max-time 120 -o "$dir.tar.gz" "$MHVTL_URL" ||
            { rm -f "$dir.tar.gz"; echo "cannot fetch $MHVTL_URL; without network set NDMP_VTL_MHVTL_SRC to a tarball or checkout of mhvtl $MHVTL_COMMIT" >&2; return 1; }
        _mhvtl_unpack "$dir.tar.gz" "$dir"; local rc=$?
        rm -f "$dir.tar.gz"
        return $rc
    elif [ -f "$src" ]; then
        _MHVTL_ORIGIN="tarball $src (sha256 $(sha256sum < "$src" | cut -d' ' -f1))"
        _mhvtl_unpack "$src" "$dir"
    elif [ -d "$src" ]; then
        if git -C "$src" cat-file -e "$MHVTL_COMMIT^{commit}" 2> /dev/null; then
            _MHVTL_ORIGIN="git checkout $src, commit $MHVTL_COMMIT"
            mkdir -p "$dir" && git -C "$src" archive "$MHVTL_COMMIT" | tar -x -C "$dir"
        else
            [ -f "$src/kernel/mhvtl.c" ] || { echo "NDMP_VTL_MHVTL_SRC=$src is not an mhvtl source tree" >&2; return 1; }
            _MHVTL_ORIGIN="directory $src ($(git -C "$src" describe --always --dirty 2> /dev/null || echo 'not git'))"
            mkdir -p "$dir" && tar -C "$src" --exclude=.git -cf - . | tar -x -C "$dir"
        fi
    else
        echo "NDMP_VTL_MHVTL_SRC=$src is neither a tarball nor a directory" >&2
        return 1
    fi
}

# _mhvtl_headers KVER ROOT: Debian's kbuild tree for KVER unpacked in ROOT;
# prints the KDIR to build against
_mhvtl_headers() {
    local kver=$1 root=$2 common series d
    [[ $kver =~ ^([0-9]+\.[0-9]+)\.[0-9]+-[0-9]+-(amd64|cloud-amd64|rt-amd64)$ ]] ||
        { echo "unexpected kernel version $kver" >&2; return 1; }
    series=${BASH_REMATCH[1]}
    common=${kver%-amd64}; common=${common%-cloud}; common=${common%-rt}-common
    [ "${kver%-rt-amd64}" = "$kver" ] || common=$common-rt
    mkdir -p "$root/debs" || return 1
    fetch() { (cd "$root/debs" && apt-get download "linux-headers-$kver" "linux-headers-$common" "linux-kbuild-$series") > "$root/apt.log" 2>&1; }
    fetch || { apt-get update -qq > /dev/null 2>&1; fetch; } ||
        { tail -n 5 "$root/apt.log" >&2; echo "apt-get download of the headers for $kver failed" >&2; return 1; }
    for d in "$root"/debs/*.deb; do dpkg-deb -x "$d" "$root/tree" || return 1; done
    # Debian's headers assume /usr/src and /lib/modules: point them at ROOT.
    # mhvtl's kernel/config.sh finds the -common half through build/../source.
    sed -i "s|^include /usr/src/|include $root/tree/usr/src/|" "$root/tree/usr/src/linux-headers-$kver/Makefile" || return 1
    ln -sfn "../../../usr/src/linux-headers-$kver" "$root/tree/lib/modules/$kver/build"
    ln -sfn "../../../usr/src/linux-headers-$common" "$root/tree/lib/modules/$kver/source"
    echo "$root/tree/lib/modules/$kver/build"
}

vtl_mhvtl_prepare() {
    local cache=$1 kver=$2 out work
    # shellcheck source=mhvtl.pin
    . "$VTL_HERE/mhvtl.pin"
    mkdir -p "$cache/mhvtl" || return 1
    # the pinned build, when cached, needs no source at all
    if [ -z "${NDMP_VTL_MHVTL_SRC:-}" ]; then
        out=$cache/mhvtl/$kver-$(_mhvtl_key "$MHVTL_TREE_SHA256")
        [ -s "$out/BUILD-INFO" ] && { VTL_MHVTL_BUILD=$out; return 0; }
    fi
    work=$(mktemp -d "$cache/mhvtl/build.XXXXXX") || return 1
    _mhvtl_build "$cache" "$kver" "$work"
    local rc=$?
    rm -rf "$work"
    return $rc
}

# _mhvtl_build CACHE KVER WORK: vtl_mhvtl_prepare's work, in the scratch WORK
_mhvtl_build() {
    local cache=$1 kver=$2 work=$3 tree out kdir cc t0 t1 t2 vermagic b f
    _mhvtl_source "$work/src" || return 1
    tree=$(mhvtl_tree_sha256 "$work/src")
    if [ "$tree" != "$MHVTL_TREE_SHA256" ]; then
        if [ "${NDMP_VTL_MHVTL_UNPINNED:-0}" != 1 ]; then
            echo "mhvtl source ($_MHVTL_ORIGIN) is not the pinned commit $MHVTL_COMMIT: tree sha256 $tree, pinned $MHVTL_TREE_SHA256 (NDMP_VTL_MHVTL_UNPINNED=1 builds it anyway)" >&2
            return 1
        fi
        echo "vtl-vm: WARNING: building mhvtl from an unpinned tree ($tree, $_MHVTL_ORIGIN)" >&2
    fi
    out=$cache/mhvtl/$kver-$(_mhvtl_key "$tree")
    [ -s "$out/BUILD-INFO" ] && { VTL_MHVTL_BUILD=$out; return 0; }
    local patches=
    for f in "$VTL_HERE"/mhvtl-patches/*.patch; do
        [ -e "$f" ] || continue
        patch -p1 -s --no-backup-if-mismatch -d "$work/src" < "$f" > "$work/patch.log" 2>&1 ||
            { cat "$work/patch.log" >&2; echo "mhvtl patch ${f##*/} does not apply" >&2; return 1; }
        patches="${patches:+$patches }${f##*/}"
    done

    echo "vtl-vm: building mhvtl for $kver (once per kernel; ~30 s)" >&2
    kdir=$(_mhvtl_headers "$kver" "$work/kroot") || return 1
    # kbuild names its compiler in .kernelvariables (CC = gcc-12); mhvtl's
    # userspace is built with the same one
    cc=$(grep -m1 -oE 'gcc-[0-9]+' "$kdir/.kernelvariables" 2> /dev/null)
    command -v "${cc:-gcc}" > /dev/null || { echo "the headers for $kver want ${cc:-gcc}, which is missing" >&2; return 1; }
    [ -e /usr/include/zlib.h ] || { echo "zlib.h is missing (zlib1g-dev; scripts/install-deps.sh)" >&2; return 1; }
    t0=$EPOCHREALTIME
    make -C "$work/src/kernel" KDIR="$kdir" V="$kver" mhvtl.ko > "$work/kernel-build.log" 2>&1 ||
        { tail -n 30 "$work/kernel-build.log" >&2; echo "building mhvtl.ko for $kver failed" >&2; return 1; }
    t1=$EPOCHREALTIME
    make -C "$work/src/usr" -j"${JOBS:-2}" CC="${cc:-gcc}" > "$work/usr-build.log" 2>&1 ||
        { tail -n 30 "$work/usr-build.log" >&2; echo "building mhvtl's daemons failed" >&2; return 1; }
    t2=$EPOCHREALTIME
    vermagic=$(tr '\0' '\n' < "$work/src/kernel/mhvtl.ko" | sed -n 's/^vermagic=//p' | head -n1)
    [ "${vermagic%% *}" = "$kver" ] || { echo "mhvtl.ko has vermagic '$vermagic', not $kver" >&2; return 1; }

    b=$work/out
    mkdir -p "$b/bin" "$b/lib"
    cp "$work/src/kernel/mhvtl.ko" "$b/"
    for f in "$work"/src/usr/bin/*; do [ -L "$f" ] || cp "$f" "$b/bin/"; done
    cp "$work/src/usr/libvtlscsi.so" "$b/lib/"
    [ -x "$b/bin/vtltape" ] && [ -x "$b/bin/vtllibrary" ] && [ -x "$b/bin/make_vtl_media" ] ||
        { echo "mhvtl's build left no vtltape/vtllibrary/make_vtl_media" >&2; return 1; }
    {
        echo "source: $_MHVTL_ORIGIN"
        echo "tree sha256: $tree (pinned $MHVTL_TREE_SHA256, commit $MHVTL_COMMIT)"
        echo "patches: ${patches:-none}"
        echo "kernel: $kver, vermagic $vermagic"
        awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "built: module %.1f s, daemons %.1f s\n", b - a, c - b }'
        echo "date: $(date -u +%FT%TZ)"
    } > "$b/BUILD-INFO"
    # stale builds (an older kernel, another tree) go; then publish atomically
    for f in "$cache"/mhvtl/*-*; do [ -d "$f" ] && [ "$f" != "$out" ] && [ -s "$f/BUILD-INFO" ] && rm -rf "$f"; done
    rm -rf "$out" && mv "$b" "$out" || return 1
    sed 's/^/vtl-vm: mhvtl /' "$out/BUILD-INFO" >&2
    # shellcheck disable=SC2034  # read by run.sh
    VTL_MHVTL_BUILD=$out
}
