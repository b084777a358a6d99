// Issue 15 item 1: DATA_START_RECOVER once checked PREFIX by name and the
// restore resolved it again later, so a directory flipped to a symlink in
// between sent the restore outside every export. Now the destination is
// opened once below the export's descriptor and written through that
// descriptor. Here another thread flips a directory on PREFIX's path
// between a real directory and a symlink to outside, as fast as it can,
// while restores run: each must land inside the export or be refused, and
// nothing may ever appear outside.
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/security/restore_util.h"
#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace fs = std::filesystem;

constexpr int kAttempts = 200;

// Whether the attempt's file is in the real directory, found by its
// descriptor: the names move under the flipper, the directory does not.
bool restored_inside(int real_dir, const std::string& name) {
  struct stat st{};
  return ::fstatat(real_dir, ("sub/" + name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

TEST(RestoreRace, PrefixFlippedToASymlinkNeverLeadsOutside) {
  test::TestServer server;
  auto c = server.login(4);
  ASSERT_TRUE(c);
  const fs::path exp = server.dir() / "export";
  const fs::path outside = server.dir() / "outside";
  fs::create_directories(outside);
  fs::create_directories(exp / "flip");
  fs::create_directory_symlink(outside, exp / "other");
  const int real_dir = ::open((exp / "flip").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(real_dir, 0);

  // RENAME_EXCHANGE swaps the two names atomically: "flip" is a directory
  // one instant and a symlink to outside the next.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> flips{0};
  std::thread flipper([&] {
    while (!stop.load(std::memory_order_relaxed))
      if (::renameat2(AT_FDCWD, (exp / "flip").c_str(), AT_FDCWD, (exp / "other").c_str(), RENAME_EXCHANGE) == 0)
        flips.fetch_add(1, std::memory_order_relaxed);
  });
  // A failed ASSERT leaves the test early: the flipper must still stop.
  struct Stopper {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Stopper() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } stopper{stop, flipper};

  int restored = 0, refused = 0, stray = 0;
  for (int i = 0; i < kAttempts; ++i) {
    const std::string name = "f" + std::to_string(i);
    auto tar = make_tar({{name, AE_IFREG, "attempt " + std::to_string(i) + "\n"}});
    auto r = restore_stream(*c, (exp / "flip" / "sub").string(), tar);
    const bool in = restored_inside(real_dir, name);
    if (r.start != msg::Error::no_err) {
      EXPECT_EQ(r.start, msg::Error::illegal_args) << "attempt " << i;
      ++refused;
    } else if (r.reason == msg::DataHaltReason::successful && in) {
      ++restored;
    } else {
      ++stray;
      ADD_FAILURE() << "attempt " << i << ": started, halt reason " << static_cast<int>(r.reason)
                    << ", file inside the export: " << in;
    }
    // Checked on every attempt, so the first escape is the one reported.
    ASSERT_TRUE(fs::is_empty(outside)) << "attempt " << i << " wrote outside the export";
  }
  stop = true;
  flipper.join();
  ::close(real_dir);
  fprintf(stderr, "PREFIX race: %d attempts, %d restored inside, %d refused, %llu flips\n", kAttempts, restored,
          refused, static_cast<unsigned long long>(flips.load()));
  EXPECT_EQ(restored + refused, kAttempts);
  EXPECT_EQ(stray, 0);
  EXPECT_GT(flips.load(), static_cast<uint64_t>(kAttempts)) << "the flipper must really race the restores";
  EXPECT_TRUE(fs::is_empty(outside));
}

}  // namespace
}  // namespace ndmp::security
