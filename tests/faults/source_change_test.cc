// Fault matrix: the source changes under a running backup (docs/FAULTS.md,
// "Source file vanishing or shrinking"). The backup engine handles both
// (backup/README.md): a file that vanished after the directory was listed is
// skipped with a warning; a file that shrank while being read is padded with
// zeros to the size in its header, so the archive stays well-formed.
//
// Placement without timing: the source holds a_shrink (32 MiB, first in
// walk order), b_vanish and c_rest/. The drive's gate holds the 2nd tape
// write; by then the engine has produced two records, so it is inside
// a_shrink (far larger than the 4 MiB local pipe) and has listed but not yet
// visited b_vanish. The test truncates a_shrink to 1 MiB, deletes b_vanish
// and releases the gate.
//
// What must hold afterwards: the backup completes successfully; the log names
// both files; a restore of the tape gives c_rest/ exactly, no b_vanish, and
// a_shrink as its first 1 MiB followed by zeros up to 32 MiB.
#include <gtest/gtest.h>

#include "tests/faults/fault_rig.h"

namespace ndmp::faults {
namespace {

using msg::Error;

TEST(SourceChange, VanishedAndShrunkFilesDuringBackup) {
  const fs::path log_file = fs::temp_directory_path() / ("ndmpd-faults-src-" + std::to_string(::getpid()));
  LogCapture log(log_file);
  Rig rig{{.drives = 1, .slots = 2, .tape_mib = 128}};
  const fs::path src = rig.export_dir() / "src";
  fs::create_directories(src);
  constexpr size_t kBig = 32u << 20, kKept = 1u << 20;
  write_pattern(src / "a_shrink", kBig, 7);
  const std::string original = slurp(src / "a_shrink");
  write_pattern(src / "b_vanish", 50'000, 8);
  make_tree(src / "c_rest", 20, 10'000);

  auto c = rig.login(4);
  ASSERT_TRUE(c);
  load_tape(*c, 1);
  rig.drive().hold_writes_after(1);
  ASSERT_EQ(start_local_backup(*c, src), Error::no_err);
  ASSERT_TRUE(rig.drive().wait_held());
  fs::resize_file(src / "a_shrink", kKept);
  fs::remove(src / "b_vanish");
  rig.drive().release();
  auto end = drive_job(*c);
  ASSERT_TRUE(end.halted);
  EXPECT_EQ(end.data, msg::DataHaltReason::successful) << "a changing source does not fail the backup";
  finish_job(*c);
  EXPECT_TRUE(log.contains("/a_shrink shrank")) << log.text();
  EXPECT_TRUE(log.contains("/b_vanish vanished")) << log.text();

  const fs::path target = rig.export_dir() / "restored";
  ASSERT_EQ(start_local_restore(*c, target), Error::no_err);
  auto rend = drive_job(*c);
  ASSERT_TRUE(rend.halted);
  EXPECT_EQ(rend.data, msg::DataHaltReason::successful);
  finish_job(*c);
  EXPECT_EQ(compare_trees(src / "c_rest", target / "c_rest"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(target / "b_vanish"));
  const std::string restored = slurp(target / "a_shrink");
  ASSERT_EQ(restored.size(), kBig) << "the archive keeps the size it announced";
  // The engine had read ahead of the truncation: the log says where the
  // file ended for it ("shrank to N bytes"). Up to N the bytes are the
  // file's, after N zeros.
  const std::string text = log.text();
  const auto at = text.find("/a_shrink shrank to ");
  ASSERT_NE(at, std::string::npos);
  const size_t cut = std::stoull(text.substr(at + std::string("/a_shrink shrank to ").size()));
  EXPECT_GE(cut, kKept);
  EXPECT_LT(cut, kBig);
  EXPECT_TRUE(restored.compare(0, cut, original, 0, cut) == 0) << "the bytes read before the cut are exact";
  EXPECT_EQ(restored.find_first_not_of('\0', cut), std::string::npos) << "the rest is zero padding";
  fs::remove(log_file);
}

}  // namespace
}  // namespace ndmp::faults
