// Restores over the real protocol for the restore-safety tests (issue 15):
// a hand-made tar/pax stream is served to the server's DATA service as its
// mover would (DATA_LISTEN, then this process connects and sends the bytes),
// and DATA_START_RECOVER names where it goes.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "tests/support/test_server.h"

namespace ndmp::security {

// One archive entry. `type` is an AE_IF* value (archive_entry.h).
struct TarEntry {
  std::string path{};
  unsigned type = 0;
  std::string content{};   // regular file data, or the symlink target
  std::string hardlink{};  // non-empty: a hard link entry to this name
  mode_t perm = 0644;
  dev_t rdev = 0;        // devices
  std::map<std::string, std::string> xattrs{};
  std::string fflags{};    // chattr flags as text ("sappnd,schg")
  long mtime = 1'600'000'000;
};
std::vector<std::byte> make_tar(const std::vector<TarEntry>& entries);

struct RestoreResult {
  msg::Error start = msg::Error::no_err;  // DATA_START_RECOVER's answer
  bool halted = false;                    // NOTIFY_DATA_HALTED arrived
  msg::DataHaltReason reason = msg::DataHaltReason::na;
  std::vector<std::string> messages;      // LOG_MESSAGE texts
  struct File {
    std::string name;
    bool ok;  // v2/v3 error NO_ERR, v4 status SUCCESSFUL
  };
  std::vector<File> files;                // LOG_FILE posts
  bool mentions(const std::string& s) const;
};

// Runs one restore of `tar` into `prefix` on an authenticated v3/v4 client
// and leaves the DATA service idle again. `nlist` empty: everything.
RestoreResult restore_stream(client::Client& c, const std::string& prefix, const std::vector<std::byte>& tar,
                             const std::vector<std::string>& nlist = {});

// Every path below `dir` (relative, symlinks not followed), for "nothing
// changed outside" checks: path -> type, mode, size, mtime and content.
std::map<std::string, std::string> tree_state(const std::filesystem::path& dir);

}  // namespace ndmp::security
