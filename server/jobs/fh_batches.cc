#include "server/jobs/fh_batches.h"

namespace ndmp::server {
namespace {

msg::FileType ndmp_type(backup::FileType t) {
  switch (t) {
    case backup::FileType::regular: return msg::FileType::reg;
    case backup::FileType::directory: return msg::FileType::dir;
    case backup::FileType::symlink: return msg::FileType::slink;
    case backup::FileType::block_device: return msg::FileType::bspec;
    case backup::FileType::char_device: return msg::FileType::cspec;
    case backup::FileType::fifo: return msg::FileType::fifo;
    case backup::FileType::socket: return msg::FileType::sock;
    case backup::FileType::other: return msg::FileType::other;
  }
  return msg::FileType::other;
}

msg::FileName unix_name(std::string name) {
  msg::FileName n;
  n.fs_type = msg::FsType::unix_fs;
  n.unix_name = std::move(name);
  return n;
}

template <class Post>
FhBatch batch(uint32_t code, Post& post) {
  FhBatch b;
  b.code = code;
  b.body = std::make_unique<Post>(std::move(post));
  post = {};
  return b;
}

}  // namespace

HistoryStyle history_style(int version, backup::HistoryMode mode) {
  if (version <= 2) return HistoryStyle::unix_path;
  return mode == backup::HistoryMode::dir ? HistoryStyle::dir_node : HistoryStyle::file;
}

const char* to_string(HistoryStyle s) {
  switch (s) {
    case HistoryStyle::unix_path: return "path";
    case HistoryStyle::file: return "file";
    case HistoryStyle::dir_node: return "directory/node";
  }
  return "?";
}

msg::FileStat ndmp_stat(const backup::FileHistoryEntry& e) {
  msg::FileStat st;
  st.fs_type = msg::FsType::unix_fs;
  st.ftype = ndmp_type(e.stat.type);
  st.mtime = static_cast<uint32_t>(e.stat.mtime.sec);
  st.atime = static_cast<uint32_t>(e.stat.atime.sec);
  st.ctime = static_cast<uint32_t>(e.stat.ctime.sec);
  st.owner = e.stat.uid;
  st.group = e.stat.gid;
  st.fattr = e.stat.mode & 07777;
  st.size = e.stat.size;
  st.links = static_cast<uint32_t>(e.stat.links);
  return st;
}

FhBatcher::FhBatcher(HistoryStyle style, Emit emit) : style_(style), emit_(std::move(emit)) {}

void FhBatcher::add(const backup::FileHistoryEntry& e) {
  ++entries_;
  switch (style_) {
    case HistoryStyle::unix_path: {
      msg::FhUnixPath p;
      p.name = e.path;
      p.fstat = ndmp_stat(e);
      p.fstat.fh_info = e.fh_info;
      paths_.paths.push_back(std::move(p));
      if (paths_.paths.size() >= kBatch) flush();
      return;
    }
    case HistoryStyle::file: {
      msg::FhFile f;
      f.names.push_back(unix_name(e.path));
      f.stats.push_back(ndmp_stat(e));
      f.node = e.stat.inode;
      f.fh_info = e.fh_info;
      files_.files.push_back(std::move(f));
      if (files_.files.size() >= kBatch) flush();
      return;
    }
    case HistoryStyle::dir_node:
      add_dir_node(e);
      return;
  }
}

void FhBatcher::add_dir_node(const backup::FileHistoryEntry& e) {
  const uint64_t node = e.stat.inode;
  if (e.path == "/") {
    // SPEC4 4.3.2 rule 1: the root is "." and "..", both itself.
    add_dir(".", node, node);
    add_dir("..", node, node);
  } else {
    add_dir(e.name, node, e.parent_inode);
  }
  if (!node_sent_before(e)) add_node(e);
}

void FhBatcher::add_dir(std::string name, uint64_t node, uint64_t parent) {
  msg::FhDir d;
  d.names.push_back(unix_name(std::move(name)));
  d.node = node;
  d.parent = parent;
  dirs_.dirs.push_back(std::move(d));
  if (dirs_.dirs.size() >= kBatch) flush();
}

void FhBatcher::add_node(const backup::FileHistoryEntry& e) {
  msg::FhNode n;
  n.stats.push_back(ndmp_stat(e));
  n.node = e.stat.inode;
  n.fh_info = e.fh_info;
  nodes_.nodes.push_back(std::move(n));
  if (nodes_.nodes.size() >= kBatch) flush();
}

bool FhBatcher::node_sent_before(const backup::FileHistoryEntry& e) {
  if (e.stat.type == backup::FileType::directory || e.stat.links <= 1) return false;
  if (auto it = linked_.find(e.stat.inode); it != linked_.end()) {
    if (--it->second == 0) linked_.erase(it);
    return true;
  }
  if (linked_.size() < kMaxLinkedNodes) linked_.emplace(e.stat.inode, e.stat.links - 1);
  return false;
}

void FhBatcher::flush() {
  if (!paths_.paths.empty()) emit_(batch(msg::code::FH_ADD_UNIX_PATH, paths_));
  if (!files_.files.empty()) emit_(batch(msg::code::FH_ADD_FILE, files_));
  // Directory entries first: every node's ADD_DIR is in this batch or an
  // earlier one (header comment).
  if (!dirs_.dirs.empty()) emit_(batch(msg::code::FH_ADD_DIR, dirs_));
  if (!nodes_.nodes.empty()) emit_(batch(msg::code::FH_ADD_NODE, nodes_));
}

}  // namespace ndmp::server
