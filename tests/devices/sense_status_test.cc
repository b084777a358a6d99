// Sense decoding (through sg_lib) and the one sense -> Category table.
#include <gtest/gtest.h>

#include "devices/emulated/scsi_reply.h"
#include "devices/status.h"

namespace ndmp::dev::test {
namespace {

CdbResult cc(const emu::SenseSpec& s) { return emu::check_condition(s); }

TEST(Sense, DecodesFixedFormatWithSscBitsAndNegativeInfo) {
  auto b = emu::fixed_sense(emu::SenseSpec{}.with_ili().with_info(-100));
  Sense s = decode_sense(b);
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.key, 0);
  EXPECT_TRUE(s.ili);
  EXPECT_FALSE(s.filemark);
  EXPECT_TRUE(s.info_valid);
  EXPECT_EQ(s.info, -100) << "fixed-format INFORMATION is 32-bit two's complement";
}

TEST(Sense, DecodesDescriptorFormat) {
  // 72h descriptor sense: MEDIUM ERROR 11/00, information descriptor 0x1234,
  // stream commands descriptor with FILEMARK.
  const uint8_t b[] = {0x72, 0x03, 0x11, 0x00, 0, 0, 0, 12 + 4,
                       0x00, 0x0a, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34,
                       0x04, 0x02, 0, 0x80};
  Sense s = decode_sense(b);
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.key, 3);
  EXPECT_EQ(s.asc, 0x11);
  EXPECT_TRUE(s.info_valid);
  EXPECT_EQ(s.info, 0x1234);
  EXPECT_TRUE(s.filemark);
  EXPECT_NE(s.text.find("Unrecovered read error"), std::string::npos) << s.text;
}

TEST(Sense, EmptyIsInvalidAndSaysSo) {
  Sense s = decode_sense({});
  EXPECT_FALSE(s.valid);
  EXPECT_EQ(s.text, "no sense data");
}

TEST(Status, OneTableMapsSenseToCategories) {
  namespace S = emu::sense;
  EXPECT_TRUE(Status::from_result(emu::good(), "x").ok());
  EXPECT_EQ(Status::from_result(cc(S::no_medium()), "x").category(), Category::no_medium);
  EXPECT_EQ(Status::from_result(cc(S::not_ready_unloaded()), "x").category(), Category::not_ready);
  EXPECT_EQ(Status::from_result(cc(S::write_protected()), "x").category(), Category::write_protected);
  EXPECT_EQ(Status::from_result(cc(S::end_of_data()), "x").category(), Category::blank_check);
  EXPECT_EQ(Status::from_result(cc(S::filemark_detected()), "x").category(), Category::filemark);
  EXPECT_EQ(Status::from_result(cc(S::early_warning()), "x").category(), Category::eom)
      << "the tape driver turns NO SENSE+EOM on a write into early_warning";
  EXPECT_EQ(Status::from_result(cc(S::volume_overflow()), "x").category(), Category::eom);
  EXPECT_EQ(Status::from_result(cc(S::write_error()), "x").category(), Category::medium_error);
  EXPECT_EQ(Status::from_result(cc({0x4, 0x44, 0x00}), "x").category(), Category::hardware_error);
  EXPECT_EQ(Status::from_result(cc(S::invalid_opcode()), "x").category(), Category::illegal_request);
  EXPECT_EQ(Status::from_result(cc(S::medium_changed()), "x").category(), Category::unit_attention);
  EXPECT_EQ(Status::from_result(cc({0xb, 0x47, 0x00}), "x").category(), Category::io);
  EXPECT_TRUE(Status::from_result(cc(emu::SenseSpec{}.with_ili().with_info(5)), "x").ok())
      << "ILI alone is information for the reader, not an error";
  CdbResult busy;
  busy.scsi_status = scsi_status::busy;
  EXPECT_EQ(Status::from_result(busy, "x").category(), Category::busy);
  CdbResult rc;
  rc.scsi_status = scsi_status::reservation_conflict;
  EXPECT_EQ(Status::from_result(rc, "x").category(), Category::busy);
  CdbResult to;
  to.transport = TransportState::timeout;
  EXPECT_EQ(Status::from_result(to, "x").category(), Category::timeout);
  CdbResult gone;
  gone.transport = TransportState::no_device;
  EXPECT_EQ(Status::from_result(gone, "x").category(), Category::no_device);
}

TEST(Status, CarriesSenseAndOperatorText) {
  Status s = Status::from_result(cc(emu::sense::write_error().with_info(3)), "WRITE(6) on drive 0");
  ASSERT_TRUE(s.sense().has_value());
  EXPECT_EQ(s.sense()->asc, 0x0c);
  EXPECT_EQ(s.sense()->info, 3);
  EXPECT_NE(s.to_string().find("medium_error: WRITE(6) on drive 0: 3/0c/00"), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace ndmp::dev::test
