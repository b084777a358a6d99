// The on-disk tape image: round trip, truncation, crash recovery.
#include "devices/emulated/tape_image.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "test_util.h"

namespace ndmp::dev::test {
namespace {

using emu::TapeImage;

TEST(TapeImage, RecordsAndFilemarksRoundTripAcrossReopen) {
  TempDir dir;
  const auto base = dir.path() / "T1";
  {
    auto img = TapeImage::open(base, true);
    ASSERT_TRUE(img.ok()) << img.status().to_string();
    ASSERT_TRUE((*img)->append_record(pattern(100, 1)));
    ASSERT_TRUE((*img)->append_filemark());
    ASSERT_TRUE((*img)->append_record(pattern(200, 2)));
  }
  auto img = TapeImage::open(base, false);
  ASSERT_TRUE(img.ok());
  ASSERT_EQ((*img)->object_count(), 3u);
  EXPECT_FALSE((*img)->is_filemark(0));
  EXPECT_TRUE((*img)->is_filemark(1));
  EXPECT_EQ((*img)->record_length(2), 200u);
  EXPECT_EQ((*img)->data_bytes(), 300u);
  EXPECT_EQ((*img)->filemarks_before(2), 1u);
  std::vector<uint8_t> buf(200);
  auto n = (*img)->read_record(2, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 200u);
  EXPECT_EQ(buf, pattern(200, 2));
  EXPECT_EQ(std::filesystem::file_size(base.string() + ".data"), 300u) << "data file is the bare records";
}

TEST(TapeImage, TruncateDropsEverythingAfter) {
  TempDir dir;
  auto img = TapeImage::open(dir.path() / "T", true);
  ASSERT_TRUE(img.ok());
  for (uint32_t i = 0; i < 600; ++i) ASSERT_TRUE((*img)->append_record(pattern(10, i)));  // crosses index flushes
  ASSERT_TRUE((*img)->truncate(5));
  EXPECT_EQ((*img)->object_count(), 5u);
  EXPECT_EQ((*img)->data_bytes(), 50u);
  ASSERT_TRUE((*img)->append_record(pattern(7, 99)));
  ASSERT_TRUE((*img)->sync());
  img = TapeImage::open(dir.path() / "T", false);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ((*img)->object_count(), 6u);
  EXPECT_EQ((*img)->record_length(5), 7u);
}

TEST(TapeImage, RewritingALargeTapeFromBotStartsAFreshDataFile) {
  TempDir dir;
  const auto base = dir.path() / "T";
  auto img = TapeImage::open(base, true);
  ASSERT_TRUE(img.ok());
  const auto big = pattern(1 << 20, 3);
  for (int i = 0; i < 70; ++i) ASSERT_TRUE((*img)->append_record(big));  // over the 64 MiB threshold
  ASSERT_TRUE((*img)->append_filemark());
  ASSERT_TRUE((*img)->sync());
  ASSERT_TRUE((*img)->truncate(0));  // what WRITE at BOT does
  EXPECT_EQ((*img)->object_count(), 0u);
  EXPECT_EQ(std::filesystem::file_size(base.string() + ".data"), 0u);
  EXPECT_FALSE(std::filesystem::exists(base.string() + ".data.new"));
  ASSERT_TRUE((*img)->append_record(pattern(300, 4)));
  ASSERT_TRUE((*img)->sync());
  img = TapeImage::open(base, false);
  ASSERT_TRUE(img.ok());
  ASSERT_EQ((*img)->object_count(), 1u);
  std::vector<uint8_t> buf(300);
  ASSERT_TRUE((*img)->read_record(0, buf).ok());
  EXPECT_EQ(buf, pattern(300, 4));
  EXPECT_EQ(std::filesystem::file_size(base.string() + ".data"), 300u);
}

TEST(TapeImage, RecoversFromTornIndexAndUnindexedData) {
  TempDir dir;
  const auto base = dir.path() / "T";
  {
    auto img = TapeImage::open(base, true);
    ASSERT_TRUE(img.ok());
    ASSERT_TRUE((*img)->append_record(pattern(100, 1)));
    ASSERT_TRUE((*img)->append_record(pattern(100, 2)));
  }
  // A crash: data of a third record written, its index entry torn (2 of 4 bytes),
  // and an index entry naming data that never reached the disk.
  {
    std::ofstream d(base.string() + ".data", std::ios::app | std::ios::binary);
    auto extra = pattern(50, 3);
    d.write(reinterpret_cast<const char*>(extra.data()), std::streamsize(extra.size()));
    std::ofstream i(base.string() + ".idx", std::ios::app | std::ios::binary);
    const char torn[2] = {50, 0};
    i.write(torn, 2);
  }
  auto img = TapeImage::open(base, false);
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_EQ((*img)->object_count(), 2u) << "torn entry dropped";
  EXPECT_EQ(std::filesystem::file_size(base.string() + ".data"), 200u) << "unindexed data cut";
  {
    std::ofstream i(base.string() + ".idx", std::ios::app | std::ios::binary);
    const char entry[4] = {char(0xe8), 0x03, 0, 0};  // 1000 bytes that do not exist
    i.write(entry, 4);
  }
  img = TapeImage::open(base, false);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ((*img)->object_count(), 2u) << "entry beyond the data dropped";
}

TEST(TapeImage, RejectsAForeignFile) {
  TempDir dir;
  const auto base = dir.path() / "X";
  std::ofstream(base.string() + ".idx") << "this is not a tape index";
  std::ofstream(base.string() + ".data") << "";
  auto img = TapeImage::open(base, false);
  ASSERT_FALSE(img.ok());
  EXPECT_TRUE(img.status().is(Category::io));
}

}  // namespace
}  // namespace ndmp::dev::test
