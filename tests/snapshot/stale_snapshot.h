// SIGKILL in the middle of a backup from a snapshot, then a restart: the
// start removes what the killed ndmpd left (issue 18). Shared by the host
// test (command hook) and the guest's (btrfs, LVM).
#pragma once

#include <filesystem>
#include <string>

namespace ndmp::faults {

// `kind` as in ndmpd.conf ("btrfs", "lvm", "command:PATH"); `export_root`
// an export of that kind whose src/ is backed up, or empty for the child
// server's own export. Reports through gtest.
void sigkill_mid_snapshot_then_restart(const std::string& kind, const std::filesystem::path& export_root = {});

}  // namespace ndmp::faults
