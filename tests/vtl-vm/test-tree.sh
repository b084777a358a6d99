# shellcheck shell=bash
# test-tree.sh - sourced by guest scripts (ndmp-e2e.sh): a small tree to back
# up, and the comparison an administrator makes after restoring it.
#
#   vtl_make_tree DIR       creates DIR with: a 5 MB file of random bytes (odd
#                           size, so the last tape record is partly filled), a
#                           few small ones and an empty one, a subdirectory two
#                           levels deep, a relative and a dangling symlink, a
#                           hard link, modes 0604/0750/0700, a foreign owner
#                           (1234:5678) and fixed mtimes (two distinct ones, so
#                           a restore that stamps one time on everything shows)
#   vtl_tree_bytes DIR      prints the bytes of regular-file data under DIR
#   vtl_compare_trees A B   diff -r without following symlinks, then one line
#                           per entry (path, type, mode, owner, size, links,
#                           mtime, link target) compared; prints what differs
#                           and returns 1 when anything does
# Directory mtimes are compared too: a restore must set them after filling
# the directory, as tar -x does.  The top directory itself is left out: it is
# the restore target the DMA named, which existed before the restore.
# Keep forks few: each costs ~40 ms under TCG.

VTL_TREE_T1=1000000000 VTL_TREE_T2=1234567890

vtl_make_tree() {
    local d=$1
    mkdir -p "$d/sub/deeper" "$d/private" "$d/empty-dir" || return 1
    head -c 5242999 /dev/urandom > "$d/big.bin" || return 1
    head -c 70000 /dev/urandom > "$d/sub/medium.bin"
    printf 'small text\n' > "$d/sub/small.txt"
    printf 'deep %s\n' {1..200} > "$d/sub/deeper/deep.txt"
    : > "$d/empty.file"
    head -c 3000 /dev/urandom > "$d/private/secret"
    ln -s big.bin "$d/link-to-big"
    ln -s ../no/such/target "$d/sub/dangling"
    ln "$d/sub/small.txt" "$d/hardlink-to-small"
    chmod 0604 "$d/sub/small.txt"
    chmod 0750 "$d/sub/deeper"
    chmod 0700 "$d/private"
    chown 1234:5678 "$d/private/secret"
    # deepest first, so setting a file's time does not move its directory's
    find "$d" -depth -exec touch -h -d "@$VTL_TREE_T1" {} + || return 1
    touch -h -d "@$VTL_TREE_T2" "$d/big.bin" "$d/link-to-big" "$d/sub/deeper/deep.txt"
    touch -d "@$VTL_TREE_T2" "$d/sub/deeper" "$d"
}

vtl_tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }

_vtl_tree_listing() {
    find "$1" -mindepth 1 -printf '%P %y %m %U:%G %n %T@ %l\n' > "$2.all"
    # a directory's size is the file system's business, not the backup's
    find "$1" -mindepth 1 ! -type d -printf '%P size %s\n' >> "$2.all"
    LC_ALL=C sort "$2.all" > "$2"
    rm -f "$2.all"
}

vtl_compare_trees() {
    local a=$1 b=$2 rc=0 tmp
    tmp=$(mktemp -d) || return 1
    diff -r --no-dereference "$a" "$b" || rc=1
    _vtl_tree_listing "$a" "$tmp/a"
    _vtl_tree_listing "$b" "$tmp/b"
    diff "$tmp/a" "$tmp/b" || rc=1
    [ "$(wc -l < "$tmp/a")" -gt 10 ] || { echo "the source listing is too short: $(cat "$tmp/a")"; rc=1; }
    rm -rf "$tmp"
    return $rc
}
