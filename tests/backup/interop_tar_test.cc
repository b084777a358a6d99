// Our archives, digest records included (backup/digest.h), read by the two
// tar programs an administrator would reach for: GNU tar and bsdtar list
// and extract them with nothing on stderr (no "Ignoring unknown extended
// header keyword" warning: the records use pax's "comment" keyword, which
// both ignore by definition) and no stray file for the records, and give
// back equal files. The recorded digest equals sha256sum of the source.
// A tool that is not installed is reported as SKIPPED with the package to
// install (scripts/install-deps.sh installs both).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "backup/digest.h"
#include "helpers.h"
#include "tree.h"

namespace ndmp::backup::test {
namespace {

bool have(const std::string& tool) { return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0; }

struct Ran {
  int rc = -1;
  std::string out, err;
};

Ran run(const std::string& cmd, const std::string& scratch) {
  Ran r;
  const std::string out = scratch + "/out", err = scratch + "/err";
  int st = std::system((cmd + " >" + out + " 2>" + err).c_str());
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

class TarArchive : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(7);
    std::string big(3 << 20, '\0');
    for (auto& c : big) c = static_cast<char>(rng());
    ::mkdir(src.sub("d").c_str(), 0750);
    write_file(src.sub("d/big"), big);
    write_file(src.sub("small"), "x\n");
    write_file(src.sub("empty"), "");
    ASSERT_EQ(::symlink("d/big", src.sub("sym").c_str()), 0);
    ASSERT_EQ(::link(src.sub("small").c_str(), src.sub("small-link").c_str()), 0);
    run_backup(b, src.path(), src.path(), state.path());
    ASSERT_TRUE(b.status) << b.status.to_string();
    std::ofstream(scratch.sub("backup.tar"), std::ios::binary)
        .write(reinterpret_cast<const char*>(b.sink.bytes.data()), static_cast<std::streamsize>(b.sink.bytes.size()));
  }
  TempDir src{"src"}, dst{"dst"}, state{"state"}, scratch{"scratch"};
  BackupRun b;
};

class TarPrograms : public TarArchive, public ::testing::WithParamInterface<const char*> {};

TEST_P(TarPrograms, ListAndExtractWithoutComplaintOrStrayFiles) {
  const std::string tool = GetParam();
  if (!have(tool)) GTEST_SKIP() << "SKIPPED: " << tool << " is not installed (apt-get install "
                                << (tool == "bsdtar" ? "libarchive-tools" : "tar") << ")";
  const std::string archive = scratch.sub("backup.tar");
  Ran list = run(tool + " -tvf " + archive, scratch.path());
  EXPECT_EQ(list.rc, 0);
  EXPECT_EQ(list.err, "") << tool << " complained while listing";
  EXPECT_EQ(list.out.find("ndmpd.digest"), std::string::npos) << "the records must not show as members:\n" << list.out;
  for (const char* name : {"d/big", "small", "small-link", "sym", "empty"})
    EXPECT_NE(list.out.find(name), std::string::npos) << name << " missing from:\n" << list.out;

  Ran x = run(tool + " -xf " + archive + " -C " + dst.path(), scratch.path());
  EXPECT_EQ(x.rc, 0);
  EXPECT_EQ(x.err, "") << tool << " complained while extracting";
  auto want = snapshot(src.path());
  auto got = snapshot(dst.path());
  std::vector<std::string> want_names, got_names;
  for (const auto& [k, v] : want) want_names.push_back(k);
  for (const auto& [k, v] : got) got_names.push_back(k);
  EXPECT_EQ(got_names, want_names) << "a stray or missing file";
  for (const auto& [name, node] : want) {
    if (!got.count(name)) continue;
    EXPECT_EQ(got.at(name).type, node.type) << name;
    EXPECT_EQ(got.at(name).size, node.size) << name;
    EXPECT_EQ(got.at(name).content_hash, node.content_hash) << name;
    EXPECT_EQ(got.at(name).link_target, node.link_target) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(GnuTarAndBsdtar, TarPrograms, ::testing::Values("tar", "bsdtar"));

TEST_F(TarArchive, RecordedDigestEqualsSha256sumOfTheSource) {
  if (!have("sha256sum")) GTEST_SKIP() << "SKIPPED: sha256sum is not installed (coreutils)";
  Ran sum = run("sha256sum " + src.sub("d/big"), scratch.path());
  ASSERT_EQ(sum.rc, 0);
  uint64_t off = b.history.find("/d/big")->fh_info;
  DigestTap tap;
  tap.restart(0);
  tap.feed(b.sink.bytes.data(), b.sink.bytes.size());
  // The record follows the file's data: find the one naming its offset.
  std::optional<DigestRecord> rec;
  for (uint64_t at = off; at < b.sink.bytes.size() && !rec; at += 512)
    if (auto r = tap.take(at); r && r->file_offset == off) rec = r;
  ASSERT_TRUE(rec) << "no digest record for /d/big";
  EXPECT_EQ(to_hex(rec->sha256), sum.out.substr(0, 64));
  EXPECT_EQ(rec->size, 3u << 20);
}

}  // namespace
}  // namespace ndmp::backup::test
