// The file-history batcher (server/jobs/fh_batches.h) on its own: the posts
// a DMA receives for each style, in which order, in batches of what size.
#include <gtest/gtest.h>

#include <set>

#include "server/jobs/fh_batches.h"

namespace ndmp::server {
namespace {

namespace code = msg::code;

backup::FileHistoryEntry entry(std::string path, std::string name, uint64_t ino, uint64_t parent,
                               backup::FileType type = backup::FileType::regular, uint64_t links = 1) {
  backup::FileHistoryEntry e;
  e.path = std::move(path);
  e.name = std::move(name);
  e.stat.inode = ino;
  e.stat.type = type;
  e.stat.links = links;
  e.parent_inode = parent;
  e.fh_info = ino * 512;
  return e;
}

std::vector<FhBatch> run(HistoryStyle style, const std::vector<backup::FileHistoryEntry>& entries) {
  std::vector<FhBatch> out;
  FhBatcher b(style, [&](FhBatch x) { out.push_back(std::move(x)); });
  for (const auto& e : entries) b.add(e);
  b.flush();
  return out;
}

TEST(FhBatches, StyleFollowsVersionAndHist) {
  EXPECT_EQ(history_style(2, backup::HistoryMode::dir), HistoryStyle::unix_path) << "v2 nodes are 32 bits";
  EXPECT_EQ(history_style(3, backup::HistoryMode::dir), HistoryStyle::dir_node);
  EXPECT_EQ(history_style(4, backup::HistoryMode::dir), HistoryStyle::dir_node);
  EXPECT_EQ(history_style(4, backup::HistoryMode::file), HistoryStyle::file);
}

TEST(FhBatches, RootIsDotAndDotDotThenEachEntryItsDirAndNode) {
  auto out = run(HistoryStyle::dir_node, {entry("/", ".", 100, 100, backup::FileType::directory),
                                          entry("/d", "d", 200, 100, backup::FileType::directory),
                                          entry("/d/f", "f", 300, 200)});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].code, code::FH_ADD_DIR) << "directory entries before nodes";
  ASSERT_EQ(out[1].code, code::FH_ADD_NODE);
  const auto& dirs = static_cast<const msg::FhAddDirPost&>(*out[0].body).dirs;
  ASSERT_EQ(dirs.size(), 4u);
  EXPECT_EQ(dirs[0].names.at(0).unix_name, ".");
  EXPECT_EQ(dirs[1].names.at(0).unix_name, "..");
  for (int i : {0, 1}) EXPECT_TRUE(dirs[i].node == 100 && dirs[i].parent == 100);
  EXPECT_EQ(dirs[3].names.at(0).unix_name, "f");
  EXPECT_EQ(dirs[3].parent, 200u);
  const auto& nodes = static_cast<const msg::FhAddNodePost&>(*out[1].body).nodes;
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[2].node, 300u);
  EXPECT_EQ(nodes[2].fh_info, 300u * 512);
  EXPECT_EQ(nodes[0].stats.at(0).ftype, msg::FileType::dir);
}

TEST(FhBatches, HardLinksShareOneNode) {
  auto out = run(HistoryStyle::dir_node, {entry("/", ".", 1, 1, backup::FileType::directory),
                                          entry("/a", "a", 7, 1, backup::FileType::regular, 2),
                                          entry("/b", "b", 7, 1, backup::FileType::regular, 2),
                                          entry("/c", "c", 8, 1)});
  size_t dir_entries = 0;
  std::vector<uint64_t> nodes;
  for (const auto& b : out) {
    if (b.code == code::FH_ADD_DIR) dir_entries += static_cast<const msg::FhAddDirPost&>(*b.body).dirs.size();
    if (b.code == code::FH_ADD_NODE)
      for (const auto& n : static_cast<const msg::FhAddNodePost&>(*b.body).nodes) nodes.push_back(n.node);
  }
  EXPECT_EQ(dir_entries, 5u) << ". .. a b c";
  EXPECT_EQ(nodes, (std::vector<uint64_t>{1, 7, 8}));
}

// However the batches fall, every node's directory entry left before it and
// no post holds more than kBatch entries.
TEST(FhBatches, EveryNodeFollowsItsDirEntryAcrossBatchBoundaries) {
  std::vector<backup::FileHistoryEntry> entries{entry("/", ".", 1, 1, backup::FileType::directory)};
  for (uint64_t d = 0; d < 5; ++d) {
    const uint64_t dino = 1000 + d;
    entries.push_back(entry("/d" + std::to_string(d), "d" + std::to_string(d), dino, 1, backup::FileType::directory));
    for (uint64_t f = 0; f < 333; ++f)
      entries.push_back(entry("/d" + std::to_string(d) + "/f" + std::to_string(f), "f" + std::to_string(f),
                              10000 + d * 1000 + f, dino));
  }
  auto out = run(HistoryStyle::dir_node, entries);
  std::set<uint64_t> named, sent;
  for (const auto& b : out) {
    if (b.code == code::FH_ADD_DIR) {
      const auto& dirs = static_cast<const msg::FhAddDirPost&>(*b.body).dirs;
      EXPECT_LE(dirs.size(), FhBatcher::kBatch);
      for (const auto& d : dirs) named.insert(d.node);
    } else {
      ASSERT_EQ(b.code, code::FH_ADD_NODE);
      const auto& nodes = static_cast<const msg::FhAddNodePost&>(*b.body).nodes;
      EXPECT_LE(nodes.size(), FhBatcher::kBatch);
      for (const auto& n : nodes) {
        EXPECT_TRUE(named.count(n.node)) << n.node;
        EXPECT_TRUE(sent.insert(n.node).second) << n.node;
      }
    }
  }
  EXPECT_EQ(sent.size(), entries.size());
  EXPECT_GT(out.size(), 6u) << "several batches of each";
}

TEST(FhBatches, FileStyleCarriesPathNodeAndOffset) {
  auto out = run(HistoryStyle::file, {entry("/", ".", 1, 1, backup::FileType::directory), entry("/x", "x", 5, 1)});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].code, code::FH_ADD_FILE);
  const auto& files = static_cast<const msg::FhAddFilePost&>(*out[0].body).files;
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].names.at(0).unix_name, "/x");
  EXPECT_EQ(files[1].node, 5u);
  EXPECT_EQ(files[1].fh_info, 5u * 512);
}

}  // namespace
}  // namespace ndmp::server
