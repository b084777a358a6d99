// Real jobs driven by ndmjob through ndmpd's emulated library: a generated
// tree with every file type backed up to tape and restored byte-exact,
// locally (one session), three-way (two connections), with the data
// connection swapped, as a direct-access restore of single files, between
// two ndmpd instances, and across a tape change.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "fmt/format.h"
#include "tests/interop/ndmjob_runner.h"
#include "tests/interop/tshark_capture.h"
#include "tests/support/test_server.h"

namespace ndmp::test {
namespace {

namespace fs = std::filesystem;

void write_random(const fs::path& p, size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::ofstream out(p, std::ios::binary);
  std::vector<char> buf(64 * 1024);
  while (size > 0) {
    size_t n = std::min(size, buf.size());
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(rng());
    out.write(buf.data(), static_cast<std::streamsize>(n));
    size -= n;
  }
}

// Large files, many small ones, every file type, odd names.
void make_tree(const fs::path& root, size_t big_bytes = 6u << 20) {
  fs::create_directories(root / "small" / "deeper");
  write_random(root / "big1.bin", big_bytes, 1);
  write_random(root / "big2.bin", big_bytes / 2 + 123, 2);
  for (int i = 0; i < 300; ++i) write_random(root / "small" / fmt::format("f{:03d}.txt", i), 1 + (i * 97) % 16384, i);
  write_random(root / "small" / "deeper" / "with space and ünïcödé.dat", 5000, 7);
  write_random(root / "small" / "deeper" / "new\nline", 10, 8);
  write_random(root / std::string(200, 'L'), 100, 9);
  fs::path deep = root;
  for (int i = 0; i < 6; ++i) deep /= std::string(60, static_cast<char>('a' + i));
  fs::create_directories(deep);
  write_random(deep / "long-path.txt", 3000, 10);
  fs::create_symlink("big1.bin", root / "symlink-to-big1");
  fs::create_symlink("/nonexistent/target", root / "dangling");
  fs::create_hard_link(root / "small" / "f001.txt", root / "hardlink-to-f001");
  ::mkfifo((root / "fifo").c_str(), 0640);
  ::mknod((root / "chardev").c_str(), S_IFCHR | 0600, makedev(1, 3));
  fs::create_directories(root / "empty-dir");
  ::chmod((root / "small" / "f002.txt").c_str(), 0604);
  ::chown((root / "small" / "f003.txt").c_str(), 1234, 5678);
  struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
  ::utimensat(AT_FDCWD, (root / "big2.bin").c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

// Compares two trees: names, types, content, modes, owners, mtimes, link targets.
std::vector<std::string> compare_trees(const fs::path& a, const fs::path& b) {
  std::vector<std::string> diffs;
  for (auto it = fs::recursive_directory_iterator(a); it != fs::recursive_directory_iterator(); ++it) {
    auto rel = it->path().lexically_relative(a);
    auto other = b / rel;
    struct stat sa {}, sb {};
    if (::lstat(it->path().c_str(), &sa) != 0) continue;
    if (::lstat(other.c_str(), &sb) != 0) {
      diffs.push_back("missing: " + rel.string());
      continue;
    }
    if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) diffs.push_back("type: " + rel.string());
    if ((sa.st_mode & 07777) != (sb.st_mode & 07777)) diffs.push_back("mode: " + rel.string());
    if (sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid) diffs.push_back("owner: " + rel.string());
    if (!S_ISDIR(sa.st_mode) && !S_ISLNK(sa.st_mode) && sa.st_mtime != sb.st_mtime) diffs.push_back("mtime: " + rel.string());
    if (S_ISLNK(sa.st_mode) && fs::read_symlink(it->path()) != fs::read_symlink(other))
      diffs.push_back("link: " + rel.string());
    if (S_ISCHR(sa.st_mode) && sa.st_rdev != sb.st_rdev) diffs.push_back("rdev: " + rel.string());
    if (S_ISREG(sa.st_mode)) {
      std::ifstream fa(it->path(), std::ios::binary), fb(other, std::ios::binary);
      std::string ca((std::istreambuf_iterator<char>(fa)), {}), cb((std::istreambuf_iterator<char>(fb)), {});
      if (ca != cb) diffs.push_back("content: " + rel.string());
    }
  }
  struct stat h1 {}, h2 {};
  ::lstat((b / "hardlink-to-f001").c_str(), &h1);
  ::lstat((b / "small" / "f001.txt").c_str(), &h2);
  if (h1.st_ino != h2.st_ino) diffs.push_back("hard link identity lost");
  return diffs;
}

// The tree holds a device node: these byte-exact restores are whole-system
// restores, so every restore privilege is on (issue 15: off by default).
void whole_system(server::Config& c) { c.restore_privileges = backup::RestorePrivileges::all(); }

void library(server::Config& c, uint64_t tape_mib) {
  whole_system(c);
  c.library_dir = (fs::path(c.state_dir).parent_path() / "library").string();
  c.library_drives = 2;
  c.library_slots = 4;
  c.library_tape_mib = tape_mib;
}

std::string agent(const TestServer& s, int version) {
  return fmt::format("127.0.0.1:{}/{}m,{},{}", s.port(), version, kUser, kPassword);
}

class NdmjobJobs : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!ndmjob_available()) GTEST_SKIP() << "SKIPPED: ndmjob is not installed (apt-get install amanda-common)";
    server_ = std::make_unique<TestServer>([](server::Config& c) { library(c, 256); });
    src_ = server_->dir() / "export" / "src";
    make_tree(src_);
    a_ = agent(*server_, GetParam());
    auto load = run_ndmjob({"-v", "-o", "load=1000", "-R", a_, "-r", "emu-changer"});
    ASSERT_TRUE(load.has("Operation complete")) << load.output;
  }
  NdmjobRun backup(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"-v", "-c", "-D", a_, "-f", "emu-drive0", "-C", src_.string(), "-B", "tar",
                                     "-I", (server_->dir() / "index").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_ndmjob(args, std::chrono::seconds(300));
  }
  NdmjobRun restore(const fs::path& to, std::vector<std::string> extra = {}) {
    fs::create_directories(to);
    std::vector<std::string> args = {"-v", "-x", "-D", a_, "-f", "emu-drive0", "-C", to.string(), "-B", "tar",
                                     "-J", (server_->dir() / "index").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_ndmjob(args, std::chrono::seconds(300));
  }
  // DIRECT=y restore of two files by the fh_info ndmjob found in its -J
  // index; each comes back byte-exact, and nothing else.
  void restore_two_files_by_direct_access() {
    const fs::path to = server_->dir() / "export" / "dar";
    auto r = restore(to, {"-E", "DIRECT=y", "/small/f150.txt", "/small/deeper/with space and ünïcödé.dat"});
    ASSERT_TRUE(r.has("Operation ended OKAY")) << r.output;
    EXPECT_FALSE(r.has("No index entry")) << "both names are in the index\n" << r.output;
    EXPECT_TRUE(r.has("LOG_FILE messages: 2 OK, 0 ERROR")) << r.output;
    for (const char* name : {"small/f150.txt", "small/deeper/with space and ünïcödé.dat"}) {
      std::ifstream a(src_ / name, std::ios::binary), c(to / name, std::ios::binary);
      ASSERT_TRUE(c) << name << " was not restored";
      EXPECT_EQ(std::string((std::istreambuf_iterator<char>(a)), {}), std::string((std::istreambuf_iterator<char>(c)), {}));
    }
    EXPECT_FALSE(fs::exists(to / "big1.bin")) << "only the named files come back";
  }
  std::unique_ptr<TestServer> server_;
  fs::path src_;
  std::string a_;
};

TEST_P(NdmjobJobs, LocalBackupAndFullRestoreAreByteExact) {
  auto b = backup();
  ASSERT_TRUE(b.has("Operation ended OKAY")) << b.output;
  std::ifstream idx(server_->dir() / "index");
  std::string index((std::istreambuf_iterator<char>(idx)), {});
  EXPECT_NE(index.find("/small/f150.txt"), std::string::npos) << "the index should hold file history";
  auto r = restore(server_->dir() / "export" / "restored");
  ASSERT_TRUE(r.has("Operation ended OKAY")) << r.output;
  EXPECT_EQ(compare_trees(src_, server_->dir() / "export" / "restored"), std::vector<std::string>{});
}

TEST_P(NdmjobJobs, ThreeWayAndSwappedConnectionsAreByteExact) {
  auto b = backup({"-T", a_});
  ASSERT_TRUE(b.has("Operation ended OKAY")) << b.output;
  auto r = restore(server_->dir() / "export" / "r3", {"-T", a_});
  ASSERT_TRUE(r.has("Operation ended OKAY")) << r.output;
  EXPECT_EQ(compare_trees(src_, server_->dir() / "export" / "r3"), std::vector<std::string>{});
  if (GetParam() >= 3) {  // DATA_LISTEN exists from v3
    auto bs = backup({"-T", a_, "-o", "swap-connect"});
    ASSERT_TRUE(bs.has("Operation ended OKAY")) << bs.output;
    auto rs = restore(server_->dir() / "export" / "rs", {"-T", a_, "-o", "swap-connect"});
    ASSERT_TRUE(rs.has("Operation ended OKAY")) << rs.output;
    EXPECT_EQ(compare_trees(src_, server_->dir() / "export" / "rs"), std::vector<std::string>{});
  }
}

TEST_P(NdmjobJobs, DirectAccessRestoreOfSingleFiles) {
  auto b = backup();
  ASSERT_TRUE(b.has("Operation ended OKAY")) << b.output;
  restore_two_files_by_direct_access();
}

// Issue 18 with ndmjob as the DMA: -E VERIFY=y on a recover (-x) checks the
// tape's digests and writes nothing; after one bit of big1.bin is flipped in
// the tape image on disk, the verify names that file in a failed LOG_FILE.
TEST_P(NdmjobJobs, VerifyFindsAFlippedBitOnTapeAndWritesNothing) {
  auto b = backup();
  ASSERT_TRUE(b.has("Operation ended OKAY")) << b.output;
  const fs::path to = server_->dir() / "export" / "verified";
  auto clean = restore(to, {"-E", "VERIFY=y"});
  ASSERT_TRUE(clean.has("Operation ended OKAY")) << clean.output;
  EXPECT_TRUE(clean.has(", 0 ERROR")) << clean.output;
  EXPECT_TRUE(fs::is_empty(to)) << "a verify must not write";

  // The tape ndmjob wrote: the one image under media/ holding data.
  fs::path tape;
  for (const auto& e : fs::directory_iterator(server_->dir() / "library" / "media"))
    if (e.path().extension() == ".data" && fs::file_size(e.path()) > 0) tape = e.path();
  ASSERT_FALSE(tape.empty()) << "no written tape image";
  std::ifstream in(tape, std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(in)), {});
  std::ifstream f(src_ / "big1.bin", std::ios::binary);
  std::string big((std::istreambuf_iterator<char>(f)), {});
  size_t at = image.find(big.substr(3u << 20, 64));
  ASSERT_NE(at, std::string::npos) << "big1.bin's bytes are not on the tape";
  {
    std::fstream io(tape, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(at + 5));
    io.put(static_cast<char>(image[at + 5] ^ 0x01));
  }
  auto bad = restore(to, {"-E", "VERIFY=y"});
  EXPECT_TRUE(bad.has(", 1 ERROR")) << bad.output;
  EXPECT_TRUE(bad.has("DLF \"I/O error: /big1.bin\"")) << "the LOG_FILE names the file\n" << bad.output;
  EXPECT_TRUE(fs::is_empty(to)) << "a verify must not write";
}

INSTANTIATE_TEST_SUITE_P(Versions, NdmjobJobs, ::testing::Values(2, 3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

// Directory/node history (issue 18). ndmjob sends HIST=y after the -E
// variables, so it asks for node history with its own HIST_TYPE=d; its
// index then holds "DHr root", "DHd parent name UNIX node" and "DHn node
// UNIX stat @fh_info" lines, and -J resolves a path through them.
class NdmjobNodeHistory : public NdmjobJobs {
 protected:
  std::string index_text() {
    std::ifstream idx(server_->dir() / "index");
    return std::string((std::istreambuf_iterator<char>(idx)), {});
  }
};

TEST_P(NdmjobNodeHistory, IndexResolvesPathsAndDirectAccessRestoresFromIt) {
  auto b = backup({"-E", "HIST_TYPE=d"});
  ASSERT_TRUE(b.has("Operation ended OKAY")) << b.output;
  EXPECT_FALSE(b.has("non-conforming")) << "the first entry is \".\"\n" << b.output;
  const std::string index = index_text();
  struct stat root{}, small{}, f150{};
  ASSERT_EQ(::lstat(src_.c_str(), &root), 0);
  ASSERT_EQ(::lstat((src_ / "small").c_str(), &small), 0);
  ASSERT_EQ(::lstat((src_ / "small" / "f150.txt").c_str(), &f150), 0);
  EXPECT_NE(index.find(fmt::format("DHr {}\n", root.st_ino)), std::string::npos) << "the root node is known";
  EXPECT_NE(index.find(fmt::format("DHd {} small UNIX {}\n", root.st_ino, small.st_ino)), std::string::npos);
  EXPECT_NE(index.find(fmt::format("DHd {} f150.txt UNIX {}\n", small.st_ino, f150.st_ino)), std::string::npos);
  EXPECT_NE(index.find(fmt::format("DHn {} UNIX f- m{:04o} u{} g{} s{}", f150.st_ino, f150.st_mode & 07777, f150.st_uid,
                                   f150.st_gid, f150.st_size)),
            std::string::npos)
      << "its node, with its stats";
  EXPECT_EQ(index.find("DHf "), std::string::npos) << "no file-style history";

  restore_two_files_by_direct_access();
}

INSTANTIATE_TEST_SUITE_P(Versions, NdmjobNodeHistory, ::testing::Values(3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

// Wireshark's dissector reads a node-history backup (ndmjob, HIST_TYPE=d)
// without a malformed packet or an expert item. It decodes NDMP only on TCP
// port 10000 whatever decode-as says (packet-ndmp.c checks the port), so
// the test takes a network namespace of its own, where 10000 is free.
class WiresharkNodeHistory : public ::testing::TestWithParam<int> {};

TEST_P(WiresharkNodeHistory, BackupDecodesWithoutWarnings) {
  if (!ndmjob_available()) GTEST_SKIP() << "SKIPPED: ndmjob is not installed (apt-get install amanda-common)";
  std::string why;
  if (!enter_private_loopback(why)) GTEST_SKIP() << "SKIPPED: no Wireshark decode: " << why;
  TestServer s([](server::Config& c) {
    library(c, 256);
    c.listen = {{"127.0.0.1", kWiresharkNdmpPort}};
  });
  const fs::path src = s.dir() / "export" / "src";
  make_tree(src, 1u << 20);
  const std::string a = agent(s, GetParam());
  ASSERT_TRUE(run_ndmjob({"-v", "-o", "load=1000", "-R", a, "-r", "emu-changer"}).has("Operation complete"));
  TsharkCapture capture;
  if (!capture.start(kWiresharkNdmpPort, why)) GTEST_SKIP() << "SKIPPED: no Wireshark decode: " << why;
  auto b = run_ndmjob({"-v", "-c", "-D", a, "-f", "emu-drive0", "-C", src.string(), "-B", "tar", "-I",
                       (s.dir() / "index").string(), "-E", "HIST_TYPE=d"});
  auto packets = capture.finish();
  ASSERT_TRUE(b.has("Operation ended OKAY")) << b.output;
  size_t dirs = 0, nodes = 0, ndmp = 0, opens = 0;
  for (const auto& p : packets) {
    opens += p.ndmp_msg.find("0x00000900") != std::string::npos;
    const bool is_ndmp = p.protocols.find("ndmp") != std::string::npos;
    ndmp += is_ndmp;
    if (p.ndmp_msg.find("0x00000704") != std::string::npos) ++dirs;
    if (p.ndmp_msg.find("0x00000705") != std::string::npos) ++nodes;
    EXPECT_EQ(p.malformed, "") << "malformed: " << p.ndmp_msg << " " << p.protocols;
    if (is_ndmp) EXPECT_EQ(p.expert, "") << "expert info on " << p.ndmp_msg;
  }
  EXPECT_GT(ndmp, 10u) << "the capture holds the job";
  EXPECT_GT(opens, 0u) << "CONNECT_OPEN captured: the dissector knows the version";
  std::string decoded;
  for (const auto& p : packets) decoded += p.ndmp_msg + "/" + p.ndmp_msg_type + " ";
  EXPECT_GT(dirs, 0u) << "FH_ADD_DIR decoded; messages seen: " << decoded;
  EXPECT_GT(nodes, 0u) << "FH_ADD_NODE decoded";
}

INSTANTIATE_TEST_SUITE_P(Versions, WiresharkNodeHistory, ::testing::Values(3, 4),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

TEST(NdmjobJobsAcross, ThreeWayBetweenTwoServers) {
  if (!ndmjob_available()) GTEST_SKIP() << "SKIPPED: ndmjob is not installed";
  TestServer data_server(whole_system);  // holds the files
  TestServer tape_server([](server::Config& c) { library(c, 256); });
  const fs::path src = data_server.dir() / "export" / "src";
  make_tree(src);
  const std::string d = agent(data_server, 4), t = agent(tape_server, 4);
  ASSERT_TRUE(run_ndmjob({"-v", "-o", "load=1000", "-R", t, "-r", "emu-changer"}).has("Operation complete"));
  const std::string index = (data_server.dir() / "index").string();
  auto b = run_ndmjob({"-v", "-c", "-D", d, "-T", t, "-f", "emu-drive0", "-C", src.string(), "-B", "tar", "-I", index});
  ASSERT_TRUE(b.has("Operation ended OKAY")) << b.output;
  const fs::path to = data_server.dir() / "export" / "restored";
  fs::create_directories(to);
  auto r = run_ndmjob({"-v", "-x", "-D", d, "-T", t, "-f", "emu-drive0", "-C", to.string(), "-B", "tar", "-J", index});
  ASSERT_TRUE(r.has("Operation ended OKAY")) << r.output;
  EXPECT_EQ(compare_trees(src, to), std::vector<std::string>{});
}

TEST(NdmjobJobsAcross, MultiVolumeBackupSpansTwoTapesAndRestores) {
  if (!ndmjob_available()) GTEST_SKIP() << "SKIPPED: ndmjob is not installed";
  TestServer s([](server::Config& c) { library(c, 8); });  // 8 MiB tapes
  const fs::path src = s.dir() / "export" / "src";
  make_tree(src, 7u << 20);  // ~11 MiB of data: more than one tape
  const std::string a = agent(s, 4);
  const std::vector<std::string> robot = {"-R", a, "-r", "emu-changer"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), robot.begin(), robot.end());
    return run_ndmjob(args, std::chrono::seconds(300));
  };
  auto lab = with({"-v", "-o", "init-labels", "-T", a, "-f", "emu-drive0", "-m", "VOL1@1000", "-m", "VOL2@1001"});
  ASSERT_TRUE(lab.has("Operation complete")) << lab.output;
  const std::string index = (s.dir() / "index").string();
  auto b = with({"-v", "-c", "-D", a, "-f", "emu-drive0", "-C", src.string(), "-B", "tar", "-I", index, "-m",
                 "VOL1@1000", "-m", "VOL2@1001"});
  ASSERT_TRUE(b.has("Operation ended OKAY")) << b.output;
  EXPECT_TRUE(b.has("media #2")) << "the backup should have needed a second tape\n" << b.output;
  const fs::path to = s.dir() / "export" / "restored";
  fs::create_directories(to);
  auto r = with({"-v", "-x", "-D", a, "-f", "emu-drive0", "-C", to.string(), "-B", "tar", "-J", index});
  ASSERT_TRUE(r.has("Operation ended OKAY")) << r.output;
  EXPECT_EQ(compare_trees(src, to), std::vector<std::string>{});
}

}  // namespace
}  // namespace ndmp::test
