#!/bin/sh
# A site snapshot script for the tests (snapshot = command:PATH, see
# ndmpd.conf(5)): the "snapshot" is a copy of the export, reflinked where
# the file system can, in the private directory ndmpd gives the script.
#   copy-snapshot.sh create EXPORT ID DIR         prints the copy's path
#   copy-snapshot.sh remove EXPORT ID DIR MOUNT   removes it
set -eu
action=$1 export_path=$2 dir=$4
case "$action" in
create)
  mkdir "$dir/tree"
  cp -a --reflink=auto "$export_path/." "$dir/tree/"
  echo "$dir/tree"
  ;;
remove)
  # MOUNT is empty when ndmpd died before it read the path: the copy is
  # still where this script puts it.
  rm -rf "$dir/tree"
  ;;
*)
  echo "unknown action $action" >&2
  exit 2
  ;;
esac
