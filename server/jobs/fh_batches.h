// Turns the backup engine's file-history entries (backup/file_history.h)
// into NDMP file-history posts, in batches of at most kBatch entries.
//
// Three styles, chosen once per job by history_style():
//   unix_path  v2 FH_ADD_UNIX_PATH: one path per entry (v2 gets no other
//              style: its FH_ADD_UNIX_DIR/NODE carry 32-bit node numbers,
//              too small for the inode numbers of btrfs, XFS or NFS).
//   file       v3/v4 FH_ADD_FILE: one path per entry, with stats, node and
//              fh_info.
//   dir_node   v3/v4 FH_ADD_DIR + FH_ADD_NODE (SPEC4 4.3.2, facts 6.12):
//              the backup root is named "." and then ".." (node == parent
//              == the root's inode); every other entry is one ADD_DIR
//              (name in its parent, node = its inode, parent = the
//              directory's inode) and one ADD_NODE (stats and fh_info).
//              Hard links share one node: only the first name archived
//              sends the ADD_NODE, the others only their ADD_DIR.
//
// Order and memory (dir_node). Entries arrive in archive order, a
// directory's header before its contents, and each is sent when it arrives:
// nothing waits for the rest of the tree. Directory entries and nodes fill
// two batches; whenever one is full, or at flush(), the directory batch is
// handed over first and the node batch second. Every node's ADD_DIR was
// added no later than its ADD_NODE, so it always leaves first (rule 4), and
// "." / ".." are the first two directory entries (rule 1). The cost of not
// holding the tree: a directory's entries are not contiguous when it has
// subdirectories (the subdirectory's contents come between, in archive
// order), which SPEC4's rule 3 asks for; DMAs index the entries by
// (parent, name) and node (ndmjob sorts its index), so they do not depend
// on it. Memory is two batches plus, for hard links, the set of linked
// inodes already sent (at most kMaxLinkedNodes; beyond it a further link's
// node is sent again, the same node number with the same stats).
//
// fh_info is the entry's stream offset (FileHistoryEntry::fh_info) in every
// style, so direct access recovery works the same from node history as
// from file history.
//
// Thread: one FhBatcher belongs to the engine's thread; `emit` is called
// on that thread with each full batch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "backup/file_history.h"
#include "backup/options.h"
#include "xdr/model.h"

namespace ndmp::server {

enum class HistoryStyle { unix_path, file, dir_node };

// What a session of `version` sends for a job asking for `mode` (which must
// not be HistoryMode::none): v2 always unix_path; v3/v4 dir_node for
// HistoryMode::dir, else file.
HistoryStyle history_style(int version, backup::HistoryMode mode);
const char* to_string(HistoryStyle s);

struct FhBatch {
  uint32_t code = 0;  // FH_ADD_UNIX_PATH, FH_ADD_FILE, FH_ADD_DIR or FH_ADD_NODE
  std::unique_ptr<msg::Body> body;
};

class FhBatcher {
 public:
  static constexpr size_t kBatch = 512;
  static constexpr size_t kMaxLinkedNodes = size_t{1} << 17;
  using Emit = std::function<void(FhBatch)>;

  FhBatcher(HistoryStyle style, Emit emit);
  void add(const backup::FileHistoryEntry& e);
  // Hands over what is batched (directory entries before nodes).
  void flush();
  uint64_t entries() const { return entries_; }

 private:
  void add_dir_node(const backup::FileHistoryEntry& e);
  void add_dir(std::string name, uint64_t node, uint64_t parent);
  void add_node(const backup::FileHistoryEntry& e);
  // True if e's node was sent already (another name of a hard link).
  bool node_sent_before(const backup::FileHistoryEntry& e);

  HistoryStyle style_;
  Emit emit_;
  msg::FhAddUnixPathPost paths_;
  msg::FhAddFilePost files_;
  msg::FhAddDirPost dirs_;
  msg::FhAddNodePost nodes_;
  // Inodes with more than one link whose node was sent, with the number of
  // their names not seen yet; erased when the last name has been seen.
  std::unordered_map<uint64_t, uint64_t> linked_;
  uint64_t entries_ = 0;
};

// The NDMP stat of an entry (v3/v4 file_stat; v2 takes the same fields).
msg::FileStat ndmp_stat(const backup::FileHistoryEntry& e);

}  // namespace ndmp::server
