#!/bin/sh
# Installs what is needed, builds, and starts ndmpd on port 10000 serving the
# built-in emulated tape library (2 drives, 10 slots, 1 mail slot, barcoded
# tapes) and a sample export, ready for a DMA. Everything lives in ./var.
# The DMA password is generated on first run and kept in ./var/ndmpd.passwd.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)" --target ndmpd ndmpctl 2>/dev/null || cmake --build build -j"$(nproc)" --target ndmpd

VAR=$(pwd)/var
mkdir -p "$VAR/export" "$VAR/state"
# The state directory holds the library (tapes carry copies of the export)
# and the dump dates: owner only. A library from an older quick start in
# var/library moves in once.
chmod 700 "$VAR/state"
if [ -d "$VAR/library" ] && [ ! -e "$VAR/state/library" ]; then
  mv "$VAR/library" "$VAR/state/library"
fi
if [ ! -e "$VAR/export/README.txt" ]; then
  # A small sample tree so a first backup has something to carry.
  cp README.md "$VAR/export/README.txt"
  mkdir -p "$VAR/export/docs" && cp -r docs/. "$VAR/export/docs/"
  cp -r man "$VAR/export/man"
fi
if [ ! -s "$VAR/ndmpd.passwd" ]; then
  umask 077
  pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  echo "ndmp:$pw" > "$VAR/ndmpd.passwd"
  umask 022
fi
chmod 600 "$VAR/ndmpd.passwd"
cat > "$VAR/ndmpd.conf" <<CONF
# Written by scripts/quickstart.sh; see man/ndmpd.conf.5.
listen = *:10000
password-file = $VAR/ndmpd.passwd
auth = md5
export = $VAR/export
library = $VAR/state/library
state-dir = $VAR/state
log-level = info
CONF
echo "------------------------------------------------------------------"
echo " ndmpd quick start"
echo "   DMA user:      ndmp"
echo "   password file: $VAR/ndmpd.passwd (readable only by you)"
echo "   export:        $VAR/export"
echo "   library:       $VAR/state/library (emulated)"
echo "   try:  /usr/lib/amanda/ndmjob -q -D 127.0.0.1:10000/4m,ndmp,\$(cut -d: -f2 $VAR/ndmpd.passwd)"
echo "------------------------------------------------------------------"
exec ./build/server/ndmpd --config "$VAR/ndmpd.conf"
