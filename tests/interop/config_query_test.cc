// ndmjob, a DMA we did not write, connects to ndmpd at each NDMP version,
// logs in with MD5 and with TEXT, and queries the server (ndmjob -q).
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include "fmt/format.h"
#include "tests/interop/ndmjob_runner.h"
#include "tests/support/test_server.h"

namespace ndmp::test {
namespace {

class NdmjobQuery : public ::testing::TestWithParam<std::tuple<int, char>> {
 protected:
  void SetUp() override {
    if (!ndmjob_available()) GTEST_SKIP() << "SKIPPED: " << kNdmjob << " is not installed (apt-get install amanda-common)";
  }
};

TEST_P(NdmjobQuery, ReportsHostServerButypesAndFilesystems) {
  auto [version, auth] = GetParam();
  TestServer server;
  std::string agent = fmt::format("127.0.0.1:{}/{}{},{},{}", server.port(), version, auth, kUser, kPassword);
  auto run = run_ndmjob({"-q", "-D", agent});
  SCOPED_TRACE(run.command + "\n" + run.output);
  ASSERT_FALSE(run.timed_out);
  EXPECT_FALSE(run.has("err connect")) << "ndmjob could not connect or authenticate";
  EXPECT_TRUE(run.has(fmt::format("NDMPv{}", version)));
  utsname u{};
  ::uname(&u);
  EXPECT_TRUE(run.has(fmt::format("hostname   {}", u.nodename)));
  EXPECT_TRUE(run.has("os_type    Linux"));
  if (version >= 3) {
    EXPECT_TRUE(run.has("product    ndmpd"));
    EXPECT_TRUE(run.has("Backup type info of tar format"));
    EXPECT_TRUE(run.has((server.dir() / "export").string())) << "fs info should list the export";
    EXPECT_TRUE(run.has("NDMP" + std::to_string(version) + "_ADDR_TCP"));
  } else {
    EXPECT_TRUE(run.has("tar"));
  }
}

INSTANTIATE_TEST_SUITE_P(AllVersionsBothAuths, NdmjobQuery,
                         ::testing::Combine(::testing::Values(2, 3, 4), ::testing::Values('m', 't')),
                         [](const auto& info) {
                           return fmt::format("v{}_{}", std::get<0>(info.param),
                                              std::get<1>(info.param) == 'm' ? "md5" : "text");
                         });

TEST(NdmjobAuth, WrongPasswordIsRefused) {
  if (!ndmjob_available()) GTEST_SKIP() << "SKIPPED: ndmjob is not installed";
  TestServer server;
  auto run = run_ndmjob({"-q", "-D", fmt::format("127.0.0.1:{}/4m,{},wrong", server.port(), kUser)});
  SCOPED_TRACE(run.output);
  EXPECT_TRUE(run.has("err connect-auth")) << "ndmjob should report an authentication failure";
  EXPECT_FALSE(run.has("product    ndmpd"));
}

}  // namespace
}  // namespace ndmp::test
