// Directory/node file history (issue 18): a v3 or v4 backup asked for
// dump-style history sends FH_ADD_DIR and FH_ADD_NODE instead of
// FH_ADD_FILE. What a DMA building its catalogue relies on is checked from
// the posts alone: the root is "." and ".." first, every node was named by
// a directory entry before it came, node numbers are the files' inode
// numbers (hard links share one), the names rebuild exactly the tree on
// disk, and each node's fh_info is where its header starts on the tape, so
// that a direct access restore from node history brings the file back.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <set>

#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;
namespace code = msg::code;

uint64_t inode_of(const fs::path& p) {
  struct stat st{};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_ino;
}

// A tree with more entries than one batch holds, a hard link, a symlink, an
// empty directory, a deep file and a name with bytes a log would escape.
void make_mixed_tree(const fs::path& src) {
  for (int i = 0; i < 700; ++i) {  // small files: the tape holds 64 MiB
    fs::create_directories(src / (i % 2 ? "a" : "b"));
    write_pattern(src / (i % 2 ? "a" : "b") / ("f" + std::to_string(i)), 10 + i, i + 1);
  }
  fs::create_directories(src / "deep" / "er" / "still");
  write_pattern(src / "deep" / "er" / "still" / "leaf.bin", 200'000, 7);
  fs::create_directories(src / "empty");
  fs::create_hard_link(src / "a" / "f1", src / "deep" / "hardlink");
  fs::create_symlink("../a/f1", src / "deep" / "symlink");
  write_pattern(src / "odd\tname \xff", 100, 9);
}

class NodeHistory : public ::testing::TestWithParam<int> {
 protected:
  Rig rig{{.drives = 1, .slots = 2, .tape_mib = 64}};
  fs::path src = rig.export_dir() / "src";
  int v() const { return GetParam(); }

  // v4 asks with HIST=d; v3 with ndmjob's HIST=y + HIST_TYPE=d.
  std::vector<msg::Pval> ask_for_node_history() const {
    if (v() >= 4) return {{"HIST", "d"}};
    return {{"HIST", "y"}, {"HIST_TYPE", "d"}};
  }
};

struct DirEntry {
  std::string name;
  uint64_t parent;
};

TEST_P(NodeHistory, DirEntriesThenNodesDescribeTheTreeAndPointAtHeaders) {
  make_mixed_tree(src);
  auto c = rig.login(v());
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  ASSERT_EQ(start_local_backup(*c, src, 0, ask_for_node_history()), Error::no_err);
  auto end = drive_job(*c);
  ASSERT_EQ(end.data, msg::DataHaltReason::successful);
  finish_job(*c);
  EXPECT_TRUE(end.history.empty()) << "no FH_ADD_FILE when node history was asked for";
  ASSERT_FALSE(end.node_history.empty()) << "FH_ADD_DIR and FH_ADD_NODE were sent";

  const uint64_t root = inode_of(src);
  std::vector<std::pair<uint64_t, DirEntry>> dirs;  // node -> entry, in arrival order
  std::map<uint64_t, msg::FhNode> nodes;
  std::set<uint64_t> named;  // nodes named by a directory entry so far
  size_t dir_posts = 0, node_posts = 0;
  for (const auto& m : end.node_history) {
    if (m.header.code == code::FH_ADD_DIR) {
      ++dir_posts;
      const auto& post = static_cast<const msg::FhAddDirPost&>(*m.body);
      EXPECT_LE(post.dirs.size(), 512u) << "batches stay bounded";
      for (const auto& d : post.dirs) {
        ASSERT_EQ(d.names.size(), 1u);
        EXPECT_EQ(d.names[0].fs_type, msg::FsType::unix_fs);
        dirs.push_back({d.node, {d.names[0].unix_name, d.parent}});
        named.insert(d.node);
      }
    } else {
      ++node_posts;
      const auto& post = static_cast<const msg::FhAddNodePost&>(*m.body);
      EXPECT_LE(post.nodes.size(), 512u) << "batches stay bounded";
      for (const auto& n : post.nodes) {
        EXPECT_TRUE(named.count(n.node)) << "node " << n.node << " came before a directory entry named it";
        EXPECT_TRUE(nodes.emplace(n.node, n).second) << "node " << n.node << " sent twice";
      }
    }
  }
  EXPECT_GT(dir_posts, 1u) << "more entries than one batch";
  EXPECT_GT(node_posts, 1u);

  // SPEC4 4.3.2: "." then "..", both the root.
  ASSERT_GE(dirs.size(), 2u);
  EXPECT_EQ(dirs[0].second.name, ".");
  EXPECT_EQ(dirs[0].first, root);
  EXPECT_EQ(dirs[0].second.parent, root);
  EXPECT_EQ(dirs[1].second.name, "..");
  EXPECT_EQ(dirs[1].first, root);
  EXPECT_EQ(dirs[1].second.parent, root);

  // The names rebuild the tree on disk, entry for entry, with its inodes.
  std::map<uint64_t, std::string> dir_path{{root, ""}};
  std::map<std::string, uint64_t> paths;  // "/a/f1" -> node
  for (size_t i = 2; i < dirs.size(); ++i) {
    const auto& [node, d] = dirs[i];
    EXPECT_EQ(d.name.find('/'), std::string::npos) << "one component per entry: " << d.name;
    auto parent = dir_path.find(d.parent);
    ASSERT_NE(parent, dir_path.end()) << d.name << ": its directory was named before it";
    const std::string path = parent->second + "/" + d.name;
    EXPECT_TRUE(paths.emplace(path, node).second) << path << " named twice";
    auto n = nodes.find(node);
    if (n != nodes.end() && n->second.stats.at(0).ftype == msg::FileType::dir) dir_path[node] = path;
  }
  std::map<std::string, uint64_t> on_disk;
  for (auto& e : fs::recursive_directory_iterator(src))
    if (!e.is_socket()) on_disk["/" + e.path().lexically_relative(src).string()] = inode_of(e.path());
  for (const auto& [path, ino] : on_disk) {
    auto it = paths.find(path);
    if (it == paths.end()) ADD_FAILURE() << path << " is on disk but has no directory entry";
    else EXPECT_EQ(it->second, ino) << path << ": the node is its inode";
  }
  for (const auto& [path, node] : paths)
    EXPECT_TRUE(on_disk.count(path)) << path << " (node " << node << ") is not on disk";
  EXPECT_TRUE(paths.count("/odd\tname \xff")) << "names are sent as they are on disk, not escaped";
  EXPECT_EQ(paths.at("/deep/hardlink"), paths.at("/a/f1")) << "hard links share one node";
  EXPECT_EQ(nodes.size(), on_disk.size()) << "one node per inode: every entry but the extra hard link, plus the root";

  // Node stats are the files' own.
  struct stat leaf{};
  ASSERT_EQ(::lstat((src / "deep/er/still/leaf.bin").c_str(), &leaf), 0);
  const auto& ls = nodes.at(leaf.st_ino).stats.at(0);
  EXPECT_EQ(ls.ftype, msg::FileType::reg);
  EXPECT_EQ(ls.size, 200'000u);
  EXPECT_EQ(ls.fattr, leaf.st_mode & 07777);
  EXPECT_EQ(ls.mtime, static_cast<uint32_t>(leaf.st_mtime));
  EXPECT_EQ(nodes.at(inode_of(src / "deep/symlink")).stats.at(0).ftype, msg::FileType::slink);
  EXPECT_EQ(nodes.at(root).stats.at(0).ftype, msg::FileType::dir);

  // Each fh_info is the offset of a header naming that node's file.
  auto tape = read_tape(rig.server());
  std::map<uint64_t, std::set<std::string>> names_of;
  for (const auto& [path, node] : paths) names_of[node].insert(path.substr(1));
  names_of[root].insert(".");
  for (const auto& [node, n] : nodes) {
    ASSERT_LT(n.fh_info, tape.bytes.size()) << "node " << node;
    EXPECT_EQ(n.fh_info % 512, 0u) << "headers start on tar blocks";
    const size_t take = std::min<size_t>(tape.bytes.size() - n.fh_info, 16384);
    std::vector<uint8_t> slice(tape.bytes.begin() + static_cast<std::ptrdiff_t>(n.fh_info),
                               tape.bytes.begin() + static_cast<std::ptrdiff_t>(n.fh_info + take));
    auto listing = list_archive(slice);
    ASSERT_FALSE(listing.entries.empty()) << "a header at " << n.fh_info << ": " << listing.error;
    std::string first = listing.entries.front().path;
    if (first.size() > 1 && first.back() == '/') first.pop_back();
    EXPECT_TRUE(names_of[node].count(first)) << "node " << node << " at " << n.fh_info << " starts " << first;
  }

  // Direct access from node history: the DMA looks the path up by name and
  // parent, takes the node's fh_info and restores just that file.
  const fs::path target = rig.export_dir() / "restored";
  const uint64_t leaf_fh = nodes.at(leaf.st_ino).fh_info;
  ASSERT_EQ(start_direct_restore(*c, "/deep/er/still/leaf.bin", leaf_fh, target), Error::no_err);
  auto r = drive_job(*c);
  EXPECT_EQ(r.data, msg::DataHaltReason::successful);
  finish_job(*c);
  EXPECT_EQ(slurp(target / "deep/er/still/leaf.bin"), slurp(src / "deep/er/still/leaf.bin"));
  EXPECT_FALSE(fs::exists(target / "a")) << "only the file asked for";
}

INSTANTIATE_TEST_SUITE_P(Versions, NodeHistory, ::testing::Values(3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

// v2's FH_ADD_UNIX_DIR/NODE carry 32-bit node numbers; v2 gets path history
// whatever HIST asks for (man/ndmpd.8).
TEST(NodeHistoryV2, AskingForNodesGetsPaths) {
  Rig rig{{.drives = 1, .slots = 2, .tape_mib = 64}};
  const fs::path src = rig.export_dir() / "src";
  make_tree(src, 4, 10);
  auto c = rig.login(2);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  ASSERT_EQ(start_local_backup(*c, src, 0, {{"HIST", "d"}}), Error::no_err);
  auto end = drive_job(*c);
  ASSERT_EQ(end.data, msg::DataHaltReason::successful);
  finish_job(*c);
  EXPECT_TRUE(end.node_history.empty());
  EXPECT_EQ(end.history.size(), 7u) << "root, a, b and 4 files, as FH_ADD_UNIX_PATH";
}

}  // namespace
}  // namespace ndmp::faults
