// ndmpctl's jobs against in-process ndmpd servers with the emulated library:
// backup, list and restore of a generated tree compared byte for byte, a
// restore of one file by name, a backup across two tapes, a three-way job
// between two servers, the progress bar in a pseudo-terminal, and exit
// status 5 when the server refuses the job.
#include <gtest/gtest.h>
#include <pty.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <random>

#include "tests/support/test_server.h"
#include "tests/tools/ndmpctl_support.h"
#include "tools/ndmpctl/catalog.h"
#include "tools/ndmpctl/server_link.h"

namespace ndmp {
namespace {

namespace fs = std::filesystem;
using test::ctl;

void write_random(const fs::path& p, size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string buf(size, '\0');
  for (auto& c : buf) c = static_cast<char>(rng());
  std::ofstream(p, std::ios::binary) << buf;
}

// Regular files of several sizes, nested directories, a symlink, an empty
// directory and an awkward name.
void make_tree(const fs::path& root, size_t big = 200 * 1024) {
  fs::create_directories(root / "small" / "deeper");
  fs::create_directories(root / "empty");
  write_random(root / "big.bin", big, 1);
  for (int i = 0; i < 40; ++i) write_random(root / "small" / ("f" + std::to_string(i) + ".txt"), 1 + i * 331, 100 + i);
  write_random(root / "small" / "deeper" / "with space.dat", 5000, 7);
  fs::create_symlink("big.bin", root / "link-to-big");
  ::chmod((root / "small" / "f2.txt").c_str(), 0604);
}

// Path -> what a user would compare: type, permission bits, content or link target.
std::map<std::string, std::string> describe_tree(const fs::path& root) {
  std::map<std::string, std::string> d;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const auto rel = fs::relative(it->path(), root).string();
    struct stat st {};
    ::lstat(it->path().c_str(), &st);
    std::string what = std::to_string(st.st_mode & 07777) + " ";
    if (S_ISLNK(st.st_mode)) what += "link " + fs::read_symlink(it->path()).string();
    else if (S_ISDIR(st.st_mode)) what += "dir";
    else {
      std::ifstream in(it->path(), std::ios::binary);
      what += "file " + std::string(std::istreambuf_iterator<char>(in), {});
    }
    d[rel] = what;
  }
  return d;
}

void with_library(server::Config& c) {
  c.library_dir = (fs::path(c.state_dir).parent_path() / "library").string();
  c.library_drives = 2;
  c.library_slots = 4;
  c.library_tape_mib = 4;
}

class NdmpctlJobs : public ::testing::Test {
 protected:
  test::TestServer server{with_library};
  test::TempDir tmp;
  std::string pwfile = (tmp.path() / "pw").string();
  std::string catalog = (tmp.path() / "job.json").string();
  fs::path exp = server.dir() / "export";

  void SetUp() override { std::ofstream(pwfile) << test::kPassword << "\n"; }

  std::vector<std::string> base(const test::TestServer& s) const {
    return {"--server", "127.0.0.1:" + std::to_string(s.port()), "--password-file", pwfile};
  }
  test::CtlRun run(std::vector<std::string> args) {
    auto a = base(server);
    a.insert(a.end(), args.begin(), args.end());
    return ctl(a);
  }
  test::Contents library() {
    auto c = server.login(4);
    auto t = ctl::NdmpScsiTransport::open(std::move(c), "emu-changer");
    EXPECT_TRUE(t.ok()) << t.outcome().text;
    return t.ok() ? test::contents_of(*t.value()) : test::Contents{};
  }
};

TEST_F(NdmpctlJobs, BackupListAndFullRestoreAreByteExact) {
  make_tree(exp / "src");
  const auto before = library();
  auto b = run({"backup", (exp / "src").string(), "--drive", "0", "--slot", "1", "--catalog", catalog});
  ASSERT_EQ(b.rc, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("Backup of " + (exp / "src").string() + " complete"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("1 tape;"), std::string::npos) << b.out;
  // The robot put the tape back where it came from.
  EXPECT_EQ(library(), before);

  auto l = run({"list", "--catalog", catalog});
  ASSERT_EQ(l.rc, 0) << l.err;
  EXPECT_NE(l.out.find("Tape 1: label -, slot 1, barcode NDM001L6"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find(" 204800 "), std::string::npos) << l.out;
  EXPECT_NE(l.out.find(" /small/deeper/with space.dat\n"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find(" /link-to-big\n"), std::string::npos) << l.out;
  auto j = run({"list", "--catalog", catalog, "--json"});
  ASSERT_EQ(j.rc, 0) << j.err;
  EXPECT_NE(j.out.find("\"format\":\"ndmpctl-catalog v1\""), std::string::npos) << j.out.substr(0, 400);
  EXPECT_NE(j.out.find("{\"name\":\"FILESYSTEM\",\"value\":\"" + (exp / "src").string() + "\"}"), std::string::npos);

  auto r = run({"restore", "--drive", "0", "--to", (exp / "back").string(), "--catalog", catalog});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("1 name restored"), std::string::npos) << r.out;
  EXPECT_EQ(describe_tree(exp / "back"), describe_tree(exp / "src"));
  EXPECT_EQ(library(), before);
}

TEST_F(NdmpctlJobs, RestoreOfOneNameBringsBackThatFileAlone) {
  make_tree(exp / "src");
  auto b = run({"backup", (exp / "src").string(), "--drive", "1", "--slot", "2", "--catalog", catalog,
                "--exclude", "*.bin", "--progress", "none"});
  ASSERT_EQ(b.rc, 0) << b.out << b.err;
  auto c = ctl::load_catalog(catalog);
  ASSERT_TRUE(c.ok()) << c.outcome().text;
  EXPECT_EQ(c->find("/big.bin"), nullptr) << "--exclude reached the server";
  ASSERT_NE(c->find("/small/f7.txt"), nullptr);
  EXPECT_TRUE(c->find("/small/f7.txt")->fh_info.has_value());

  auto r = run({"restore", "--drive", "1", "--to", (exp / "one").string(), "--catalog", catalog, "small/f7.txt"});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("1 name restored"), std::string::npos) << r.out;
  auto got = describe_tree(exp / "one");
  auto want = describe_tree(exp / "src");
  ASSERT_TRUE(got.count("small/f7.txt")) << "not restored";
  EXPECT_EQ(got["small/f7.txt"], want["small/f7.txt"]);
  for (const auto& [p, what] : got)
    if (what.compare(what.find(' ') + 1, 5, "file ") == 0) {
      EXPECT_EQ(p, "small/f7.txt") << "restored more than asked";
    }

  auto missing = run({"restore", "--drive", "1", "--to", (exp / "x").string(), "--catalog", catalog, "/nope"});
  EXPECT_EQ(missing.rc, 2) << missing.err;
  EXPECT_NE(missing.err.find("\"/nope\" is not in the catalogue"), std::string::npos) << missing.err;
}

TEST_F(NdmpctlJobs, BackupAcrossTwoTapesRestoresExactly) {
  // ~6 MiB of incompressible data on 4 MiB tapes: one automatic change.
  make_tree(exp / "src", 6u << 20);
  auto b = run({"backup", (exp / "src").string(), "--drive", "0", "--slot", "1", "--catalog", catalog});
  ASSERT_EQ(b.rc, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("changing tapes"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("2 tapes;"), std::string::npos) << b.out;
  auto c = ctl::load_catalog(catalog);
  ASSERT_TRUE(c.ok()) << c.outcome().text;
  ASSERT_EQ(c->media.size(), 2u);
  EXPECT_EQ(c->media[0].slot, 1u);
  EXPECT_EQ(c->media[1].slot, 2u);
  EXPECT_EQ(c->media[1].window_offset, c->media[0].bytes);
  EXPECT_EQ(c->media[0].bytes + c->media[1].bytes, c->bytes);
  EXPECT_EQ(c->media[0].bytes % c->record_size, 0u);

  auto r = run({"restore", "--drive", "0", "--to", (exp / "back").string(), "--catalog", catalog});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Reading tape 2 of 2"), std::string::npos) << r.out;
  EXPECT_EQ(describe_tree(exp / "back"), describe_tree(exp / "src"));

  // A file on the second tape by direct access.
  auto one = run({"restore", "--drive", "0", "--to", (exp / "one").string(), "--catalog", catalog,
                  "/small/deeper/with space.dat"});
  ASSERT_EQ(one.rc, 0) << one.out << one.err;
  EXPECT_EQ(describe_tree(exp / "one")["small/deeper/with space.dat"],
            describe_tree(exp / "src")["small/deeper/with space.dat"]);
}

TEST_F(NdmpctlJobs, ThreeWayBetweenTwoServers) {
  // Files on a data server without a library, tapes on this fixture's server.
  test::TestServer data_server;
  const fs::path dexp = data_server.dir() / "export";
  make_tree(dexp / "src");
  const std::string ds = "127.0.0.1:" + std::to_string(data_server.port());
  const std::string ts = "127.0.0.1:" + std::to_string(server.port());
  auto b = ctl({"--password-file", pwfile, "backup", (dexp / "src").string(), "--drive", "0", "--slot", "3",
                "--data-server", ds, "--tape-server", ts, "--catalog", catalog});
  ASSERT_EQ(b.rc, 0) << b.out << b.err;
  auto c = ctl::load_catalog(catalog);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->data_server, ds);
  EXPECT_EQ(c->tape_server, ts);
  auto r = ctl({"--password-file", pwfile, "restore", "--drive", "0", "--to", (dexp / "back").string(), "--catalog",
                catalog, "--data-server", ds, "--tape-server", ts});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_EQ(describe_tree(dexp / "back"), describe_tree(dexp / "src"));
}

TEST_F(NdmpctlJobs, RefusedFilesystemIsAJobFailureWithExitFive) {
  auto b = run({"backup", "/etc", "--drive", "0", "--slot", "1", "--catalog", catalog});
  EXPECT_EQ(b.rc, 5) << b.out << b.err;
  EXPECT_NE(b.err.find("NDMP_ILLEGAL_ARGS_ERR"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("FILESYSTEM \"/etc\""), std::string::npos) << b.err;
  EXPECT_FALSE(fs::exists(catalog)) << "no catalogue for a failed backup";
  // The server is left ready for the next job, and the tape back in its slot.
  make_tree(exp / "src");
  auto again = run({"backup", (exp / "src").string(), "--drive", "0", "--slot", "1", "--catalog", catalog});
  EXPECT_EQ(again.rc, 0) << again.out << again.err;
}

TEST_F(NdmpctlJobs, ProgressBarInATerminalEndsWithANewlineAndNoEscapes) {
  make_tree(exp / "src", 2u << 20);
  std::vector<std::string> argv_s = {NDMPCTL_BINARY};
  for (const auto& a : base(server)) argv_s.push_back(a);
  for (const auto& a : {"backup", "--drive", "0", "--slot", "4", "--catalog"}) argv_s.push_back(a);
  argv_s.push_back(catalog);
  argv_s.push_back((exp / "src").string());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  int master = -1;
  struct winsize ws {};
  ws.ws_col = 120;
  ws.ws_row = 24;
  // Raw output: the terminal does not turn "\n" into "\r\n", so every '\r'
  // seen is one ndmpctl wrote.
  struct termios raw {};
  ::cfmakeraw(&raw);
  pid_t pid = ::forkpty(&master, nullptr, &raw, &ws);
  ASSERT_GE(pid, 0) << "forkpty failed";
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  // The bar: redrawn in place, with rate and estimate.
  EXPECT_NE(out.find("\rbackup "), std::string::npos) << out;
  EXPECT_NE(out.find("/s  ETA "), std::string::npos) << out;
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << "escape sequence in: " << out;
  // Ended cleanly: the summary starts a line of its own, and the output ends with one.
  EXPECT_NE(out.find("\nBackup of "), std::string::npos) << out;
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  // Nothing drawn after the last bar but its newline and the summary.
  const auto last_bar = out.rfind('\r');
  ASSERT_NE(last_bar, std::string::npos);
  EXPECT_EQ(out.find('\n', last_bar), out.find("\nBackup of ")) << out.substr(last_bar);
}

}  // namespace
}  // namespace ndmp

namespace ndmp {
namespace {

// v2 and v3 order the window after MOVER_LISTEN, and v2 has no DATA_CONNECT
// (the mover address rides in DATA_START_*) and posts FH_ADD_UNIX_PATH.
class NdmpctlJobVersions : public NdmpctlJobs, public ::testing::WithParamInterface<int> {};

TEST_P(NdmpctlJobVersions, BackupAndRestoreAtForcedVersion) {
  make_tree(exp / "src");
  const std::string v = std::to_string(GetParam());
  // v2 has no CONFIG_GET_TAPE_INFO/SCSI_INFO: the operator names the devices.
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> a = {"--ndmp-version", v, "--changer", "emu-changer", "--drives", "emu-drive0,emu-drive1"};
    a.insert(a.end(), args.begin(), args.end());
    return NdmpctlJobs::run(a);
  };
  auto b = run({"backup", (exp / "src").string(), "--drive", "0", "--slot", "1", "--catalog",
                catalog, "--progress", "none"});
  ASSERT_EQ(b.rc, 0) << b.out << b.err;
  auto c = ctl::load_catalog(catalog);
  ASSERT_TRUE(c.ok()) << c.outcome().text;
  ASSERT_NE(c->find("/small/f7.txt"), nullptr) << "file history missing at v" << v;
  EXPECT_EQ(c->find("/small/f7.txt")->size, 1u + 7 * 331);
  auto r = run({"restore", "--drive", "0", "--to", (exp / "back").string(), "--catalog", catalog, "--progress",
                "none"});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_EQ(describe_tree(exp / "back"), describe_tree(exp / "src"));
  auto one = run({"restore", "--drive", "0", "--to", (exp / "one").string(), "--catalog", catalog, "--progress",
                  "none", "/small/f3.txt"});
  ASSERT_EQ(one.rc, 0) << one.out << one.err;
  EXPECT_EQ(describe_tree(exp / "one")["small/f3.txt"], describe_tree(exp / "src")["small/f3.txt"]);
}

INSTANTIATE_TEST_SUITE_P(V2V3, NdmpctlJobVersions, ::testing::Values(2, 3),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

}  // namespace
}  // namespace ndmp

namespace ndmp {
namespace {

TEST_F(NdmpctlJobs, BackupByLabelFindsTheTapeAndRestoreChecksTheLabel) {
  make_tree(exp / "src");
  auto l = run({"label", "0", "MONDAY", "--slot", "3"});
  ASSERT_EQ(l.rc, 0) << l.err;
  auto b = run({"backup", (exp / "src").string(), "--drive", "0", "--label", "MONDAY", "--catalog", catalog,
                "--progress", "none"});
  ASSERT_EQ(b.rc, 0) << b.out << b.err;
  auto c = ctl::load_catalog(catalog);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->media.size(), 1u);
  EXPECT_EQ(c->media[0].label, "MONDAY");
  EXPECT_EQ(c->media[0].slot, 3u);
  // The label survived the backup (data went to file 1).
  auto labels = run({"labels"});
  EXPECT_NE(labels.out.find("Storage Element 3:NDM003L6:label \"MONDAY\""), std::string::npos) << labels.out;
  auto r = run({"restore", "--drive", "0", "--to", (exp / "back").string(), "--catalog", catalog});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_EQ(describe_tree(exp / "back"), describe_tree(exp / "src"));

  // Another tape in the place the catalogue names: refused, not restored from.
  auto swap = run({"transfer", "3", "5"});  // 5: the import/export element
  ASSERT_EQ(swap.rc, 0) << swap.err;
  ASSERT_EQ(run({"transfer", "1", "3"}).rc, 0);
  auto edit = ctl::load_catalog(catalog);
  edit->media[0].barcode.clear();  // found by slot number alone, as after a barcode reader failure
  ASSERT_TRUE(ctl::save_catalog(edit.value(), catalog).ok());
  auto wrong = run({"restore", "--drive", "0", "--to", (exp / "wrong").string(), "--catalog", catalog});
  EXPECT_EQ(wrong.rc, 4) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("tape 1 of the backup is \"MONDAY\""), std::string::npos) << wrong.err;
  EXPECT_FALSE(fs::exists(exp / "wrong" / "big.bin"));
  auto status = run({"status"});
  EXPECT_NE(status.out.find("Data Transfer Element 0:Empty"), std::string::npos) << "the wrong tape went back\n"
                                                                                 << status.out;
}

}  // namespace
}  // namespace ndmp

namespace ndmp {
namespace {

TEST_F(NdmpctlJobs, DirNodeHistoryBecomesCataloguePathsForRestoreByName) {
  make_tree(exp / "src");
  auto b = run({"backup", (exp / "src").string(), "--drive", "0", "--slot", "1", "--catalog", catalog, "--history",
                "d", "--progress", "none"});
  ASSERT_EQ(b.rc, 0) << b.out << b.err;
  auto c = ctl::load_catalog(catalog);
  ASSERT_TRUE(c.ok());
  const auto* f = c->find("/small/deeper/with space.dat");
  ASSERT_NE(f, nullptr) << "dir/node history not turned into paths";
  EXPECT_EQ(f->type, "reg");
  EXPECT_EQ(f->size, 5000u);
  EXPECT_TRUE(f->fh_info.has_value());
  ASSERT_NE(c->find("/small"), nullptr);
  EXPECT_EQ(c->find("/small")->type, "dir");
  auto r = run({"restore", "--drive", "0", "--to", (exp / "one").string(), "--catalog", catalog, "--progress", "none",
                "small/deeper/with space.dat"});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_EQ(describe_tree(exp / "one")["small/deeper/with space.dat"],
            describe_tree(exp / "src")["small/deeper/with space.dat"]);
}

}  // namespace
}  // namespace ndmp

// Issue 18: digests travel with the data. One bit flipped in one tape record
// on disk (the emulated library keeps a tape as <library>/media/<barcode>.data,
// the bare records: devices/emulated/tape_image.h) is found by verify and by
// restore, which name the file the record belongs to; GNU tar and bsdtar
// read the same tape's archive; compare mode finds a file changed on disk.
namespace ndmp {
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class NdmpctlVerify : public NdmpctlJobs {
 protected:
  void SetUp() override {
    NdmpctlJobs::SetUp();
    make_tree(exp / "src");
    auto b = run({"backup", (exp / "src").string(), "--drive", "0", "--slot", "1", "--catalog", catalog,
                  "--progress", "none"});
    ASSERT_EQ(b.rc, 0) << b.out << b.err;
    tape = server.dir() / "library" / "media" / "NDM001L6.data";
    ASSERT_TRUE(fs::exists(tape)) << "the tape of slot 1 is not at " << tape;
  }
  // Flips one bit of big.bin's data where it lies on the tape.
  void flip_bit_in_big() {
    std::string on_tape = slurp(tape);
    const std::string needle = slurp(exp / "src" / "big.bin").substr(100000, 64);
    size_t at = on_tape.find(needle);
    ASSERT_NE(at, std::string::npos) << "big.bin's bytes not found on the tape";
    std::fstream f(tape, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at + 10));
    f.put(static_cast<char>(on_tape[at + 10] ^ 0x10));
  }
  test::CtlRun verify(std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"verify", "--drive", "0", "--catalog", catalog, "--progress", "none"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run(a);
  }
  fs::path tape;
};

TEST_F(NdmpctlVerify, CleanTapeVerifiesAndBothTarProgramsReadIt) {
  auto v = verify();
  ASSERT_EQ(v.rc, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("none damaged"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("42 files checked"), std::string::npos) << "big.bin, 40 small, with space.dat:\n" << v.out;
  for (std::string tool : {"tar", "bsdtar"}) {
    if (std::system(("command -v " + tool + " >/dev/null").c_str()) != 0) {
      fprintf(stderr, "SKIPPED PART: %s is not installed (scripts/install-deps.sh installs it)\n", tool.c_str());
      continue;
    }
    const fs::path out = tmp.path() / tool;
    fs::create_directories(out);
    const std::string err = (tmp.path() / (tool + ".err")).string();
    int rc = std::system((tool + " -xf " + tape.string() + " -C " + out.string() + " 2>" + err).c_str());
    EXPECT_EQ(rc, 0) << tool;
    EXPECT_EQ(slurp(err), "") << tool << " complained about our archive";
    EXPECT_EQ(describe_tree(out), describe_tree(exp / "src")) << tool << " gave back different files";
  }
}

TEST_F(NdmpctlVerify, FlippedBitIsFoundByVerifyAndRestoreNamingTheFile) {
  flip_bit_in_big();
  auto v = verify();
  EXPECT_EQ(v.rc, 5) << v.out << v.err;
  EXPECT_NE(v.err.find("1 name failed the digest check: /big.bin"), std::string::npos) << v.out << v.err;

  // Restore goes on by default: every other file comes back intact.
  auto r = run({"restore", "--drive", "0", "--to", (exp / "back").string(), "--catalog", catalog, "--progress", "none"});
  EXPECT_EQ(r.rc, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("/big.bin"), std::string::npos) << r.err;
  auto want = describe_tree(exp / "src"), got = describe_tree(exp / "back");
  EXPECT_NE(got["big.bin"], want["big.bin"]) << "the damaged file is restored as read, and named";
  got.erase("big.bin"), want.erase("big.bin");
  EXPECT_EQ(got, want);

  // --halt-on-damage stops there: archive order is sorted, small/ comes after.
  auto h = run({"restore", "--drive", "0", "--to", (exp / "halted").string(), "--catalog", catalog, "--progress",
                "none", "--halt-on-damage"});
  EXPECT_EQ(h.rc, 5) << h.out << h.err;
  EXPECT_NE(h.err.find("/big.bin"), std::string::npos) << h.err;
  EXPECT_NE(h.err.find("DIGEST_MISMATCH=halt"), std::string::npos) << h.err;
  EXPECT_FALSE(fs::exists(exp / "halted" / "small" / "f1.txt"));
}

TEST_F(NdmpctlVerify, CompareFindsAFileChangedOnDiskAfterTheBackup) {
  auto same = verify({"--compare", (exp / "src").string()});
  ASSERT_EQ(same.rc, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("none differ from"), std::string::npos) << same.out;
  write_random(exp / "src" / "small" / "f5.txt", 1 + 5 * 331, 999);  // same size, other bytes
  auto c = verify({"--compare", (exp / "src").string()});
  EXPECT_EQ(c.rc, 5) << c.out << c.err;
  EXPECT_NE(c.err.find("/small/f5.txt"), std::string::npos) << c.err;
  EXPECT_EQ(c.err.find("/small/f6.txt"), std::string::npos) << c.err;
}

}  // namespace
}  // namespace ndmp
