// The dispatch index over the six interfaces: every message has one row, and
// the rows a DMA meets first resolve to the right interface.
#include <gtest/gtest.h>

#include <set>

#include "server/handlers/tables.h"
#include "xdr/model.h"

namespace ndmp::server {
namespace {

TEST(Dispatch, NoMessageNumberIsListedTwiceAcrossInterfaces) {
  const DispatchIndex index = index_all_interfaces();
  EXPECT_TRUE(index.duplicates().empty()) << "first duplicate: 0x" << std::hex << index.duplicates().front();
}

TEST(Dispatch, EveryRowHasAHandlerANameAndAVersion) {
  for (auto table : {connect_table(), config_table(), scsi_table(), tape_table(), data_table(), mover_table()}) {
    ASSERT_FALSE(table.empty());
    for (const auto& e : table) {
      EXPECT_NE(e.handler, nullptr) << e.name;
      EXPECT_NE(e.name, nullptr);
      EXPECT_NE(e.versions & kAllVersions, 0) << e.name;
    }
  }
}

TEST(Dispatch, FindsEachInterfaceByItsMessageNumberAndNothingElse) {
  const DispatchIndex index = index_all_interfaces();
  namespace code = msg::code;
  for (uint32_t c : {code::CONNECT_OPEN, code::CONFIG_GET_HOST_INFO, code::SCSI_OPEN, code::TAPE_OPEN,
                     code::DATA_START_BACKUP, code::MOVER_LISTEN}) {
    const DispatchEntry* e = index.find(c);
    ASSERT_NE(e, nullptr) << "0x" << std::hex << c;
    EXPECT_EQ(e->code, c);
  }
  EXPECT_EQ(index.find(0xdeadbeef), nullptr);
  EXPECT_EQ(index.find(0), nullptr);
}

}  // namespace
}  // namespace ndmp::server
