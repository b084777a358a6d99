// A DMA names the tree to back up (FILESYSTEM) and where a restore goes
// (PREFIX, FILESYSTEM or the nlist destination). Only paths inside a
// configured export — judged after symlinks — are accepted; anything else is
// refused with NDMP_ILLEGAL_ARGS_ERR before the job starts, and logged.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/security/security_util.h"

namespace ndmp::security {
namespace {

namespace code = msg::code;
using msg::Error;

class ExportPaths : public ::testing::TestWithParam<int> {
 protected:
  test::TestServer server;
  std::unique_ptr<client::Client> c = server.login(GetParam());
  std::string exp = (server.dir() / "export").string();

  std::vector<std::string> outside() {
    std::filesystem::create_directory_symlink("/etc", server.dir() / "export" / "etc-link");
    return {"/etc", "../../etc", exp + "/../../etc", exp + "/etc-link", exp + "/etc-link/", "/", ""};
  }
  Error start_backup(const std::string& fs) {
    msg::DataStartBackupRequest b;
    b.butype = "tar";
    b.env = {{"FILESYSTEM", fs}};
    b.mover.type = msg::AddrType::local;
    auto r = c->call(code::DATA_START_BACKUP, b);
    EXPECT_TRUE(r.ok) << r.failure;
    return r.error();
  }
  Error start_recover(const std::string& prefix) {
    msg::DataStartRecoverRequest q;
    q.butype = "tar";
    q.env = {{"PREFIX", prefix}};
    q.mover.type = msg::AddrType::local;
    msg::Name n;
    n.original_path = "/passwd";
    n.destination_path = prefix;
    q.nlist.push_back(n);
    auto r = c->call(code::DATA_START_RECOVER, q);
    EXPECT_TRUE(r.ok) << r.failure;
    return r.error();
  }
};

TEST_P(ExportPaths, BackupOfAPathOutsideTheExportsIsRefused) {
  ASSERT_TRUE(c);
  LogCapture log;
  for (const auto& p : outside()) EXPECT_EQ(start_backup(p), Error::illegal_args) << "FILESYSTEM \"" << p << "\"";
  EXPECT_TRUE(log.contains("\"/etc\" is not inside an export")) << log.text();
  auto st = c->call(code::DATA_GET_STATE);
  ASSERT_EQ(st.error(), Error::no_err);
  EXPECT_EQ(st.as<msg::DataGetStateReply>().state, msg::DataState::idle) << "no job was started";
}

TEST_P(ExportPaths, RestoreIntoAPathOutsideTheExportsIsRefused) {
  ASSERT_TRUE(c);
  LogCapture log;
  for (const auto& p : outside()) EXPECT_EQ(start_recover(p), Error::illegal_args) << "PREFIX \"" << p << "\"";
  EXPECT_TRUE(log.contains("\"/etc\" is not inside an export")) << log.text();
  auto st = c->call(code::DATA_GET_STATE);
  ASSERT_EQ(st.error(), Error::no_err);
  EXPECT_EQ(st.as<msg::DataGetStateReply>().state, msg::DataState::idle) << "no job was started";
}

INSTANTIATE_TEST_SUITE_P(Versions, ExportPaths, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

}  // namespace
}  // namespace ndmp::security
