#!/bin/sh
# A site snapshot script that cannot make a snapshot, as when the snapshot
# pool is full: ndmpd must halt the job with this reason, or fall back to
# the live tree when the export says so.
if [ "$1" = create ]; then
  echo "snapshot pool vg0/snaps is full (100% used)" >&2
  exit 3
fi
exit 0
