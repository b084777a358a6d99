#!/bin/sh
# The rooms of server/ and their allowed arrows (server/CMakeLists.txt,
# docs/ARCHITECTURE.md): a file may include headers of its own room and of
# the rooms below it, never above. cloudmanager/ sees only events/, never
# server/; only root/ composes the Cloud Manager bridge.
set -eu
src=${1:-$(dirname "$0")/../..}
cd "$src"
status=0
allowed() {
  case $1 in
    datapath) echo "datapath" ;;
    context) echo "context datapath" ;;
    jobs) echo "jobs context datapath" ;;
    session) echo "session jobs context datapath" ;;
    handlers) echo "handlers session jobs context datapath" ;;
    root) echo "root handlers session jobs context datapath" ;;
  esac
}
for room in datapath context jobs session handlers root; do
  [ -d "server/$room" ] || { echo "rooms: server/$room is missing"; status=1; continue; }
  ok=$(allowed "$room")
  for f in server/"$room"/*; do
    for used in $(sed -n 's@^#include "server/\([a-z_]*\)/.*@\1@p' "$f" | sort -u); do
      case " $ok " in
        *" $used "*) ;;
        *) echo "rooms: $f (room $room) includes from server/$used/, which is above it"; status=1 ;;
      esac
    done
    if [ "$room" != root ] && grep -q '^#include "cloudmanager/' "$f"; then
      echo "rooms: $f includes cloudmanager/; only root/ composes the bridge"; status=1
    fi
  done
done
for f in server/*; do
  [ -f "$f" ] && [ "$(basename "$f")" != CMakeLists.txt ] && { echo "rooms: $f lies outside every room"; status=1; }
done
if grep -l '^#include "server/' cloudmanager/* 2>/dev/null; then
  echo "rooms: the files above in cloudmanager/ include server/; they may see only events/"; status=1
fi
[ $status = 0 ] && echo "rooms: every include follows the arrows"
exit $status
