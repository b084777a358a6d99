// Checking what a stream holds without writing it: the digest of each
// regular file's content as it is read, and (compare mode, like GNU tar's
// --compare) the entry against the file of the same name below a directory
// on disk.
//
// ContentCheck is fed a regular file's data blocks in libarchive's
// (data, size, offset) form; gaps between blocks are holes and hash as zeros,
// so the result equals sha256sum of the file (digest.h). With a file on
// disk it also reads the same bytes from that file and keeps the first
// offset where they differ. Memory: one read buffer, reused.
//
// compare_entry opens the on-disk counterpart below `root` by descriptor
// (open_beneath for the directory, O_NOFOLLOW for the last name), so a name
// from the tape can reach nothing outside `root`; it never writes.
//
// Threads: one object per job, used on the job's thread.
#pragma once

#include <archive_entry.h>

#include <cstdint>
#include <string>
#include <vector>

#include "backup/digest.h"
#include "backup/dir.h"
#include "backup/options.h"

namespace ndmp::backup {

class ContentCheck {
 public:
  ContentCheck();
  // A new file of `size` bytes; `disk_fd` (may be -1) is the file on disk to
  // compare with, borrowed until finish().
  void begin(uint64_t size, int disk_fd);
  void block(const void* data, size_t size, int64_t offset);
  // Ends the file: its digest, and in `differences` what compare found
  // ("contents differ at offset N", "size differs: ...").
  Sha256Digest finish(std::vector<std::string>& differences);

 private:
  void hash_to(uint64_t offset);  // zeros up to `offset` (a hole)
  void compare(const void* data, size_t size, uint64_t offset);
  Sha256 sha_;
  std::vector<std::byte> disk_buf_;
  uint64_t size_ = 0;
  uint64_t hashed_ = 0;  // logical bytes hashed so far
  int disk_fd_ = -1;
  bool differs_ = false;
  uint64_t first_difference_ = 0;
};

// The differences between archive entry `e` (its name `rel` relative to
// `root`) and what is on disk there, in tar --compare's words ("Mode
// differs", "Mod time differs", "Symlink differs", "does not exist", ...).
// For a regular file that exists, `content_fd` is set to an open
// descriptor of it for ContentCheck (the caller owns it).
std::vector<std::string> compare_entry(const Dir& root, const std::string& rel, archive_entry* e,
                                       UniqueFd& content_fd);

}  // namespace ndmp::backup
