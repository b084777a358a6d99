// One file per kind of snapshot (btrfs.cc, lvm.cc, command.cc), used by
// snapshot.cc only. create() fills what the record needs, calls `save`
// before the first irreversible step, and opens the export's root inside
// the snapshot; remove() undoes whatever a record says exists and treats
// "already gone" as done.
#pragma once

#include <functional>

#include "snapshot/snapshot.h"

namespace ndmp::snapshot::detail {

using Save = std::function<backup::Status(const Record&)>;

backup::Status btrfs_create(Record& r, const Target& t, const Settings& s, const Save& save, backup::Dir& root);
backup::Status btrfs_remove(const Record& r, const Settings& s);
backup::Status lvm_create(Record& r, const Target& t, const Settings& s, const Save& save, backup::Dir& root);
backup::Status lvm_remove(const Record& r, const Settings& s);
backup::Status command_create(Record& r, const Target& t, const Settings& s, const Save& save, backup::Dir& root);
backup::Status command_remove(const Record& r, const Settings& s);

}  // namespace ndmp::snapshot::detail
