// Environment parsing (facts sheet 6.13).
#include <gtest/gtest.h>

#include "backup/nlist.h"
#include "backup/options.h"

namespace ndmp::backup {
namespace {

TEST(BackupEnv, DefaultsAndUnknownVariablesKept) {
  BackupOptions o;
  Env env = {{"FILESYSTEM", "/export/home"}, {"VENDOR_THING", "42"}};
  ASSERT_TRUE(parse_backup_env(env, o));
  EXPECT_EQ(o.filesystem, "/export/home");
  EXPECT_EQ(o.level, 0);
  EXPECT_TRUE(o.update);
  EXPECT_EQ(o.history, HistoryMode::file);
  EXPECT_EQ(o.env, env) << "GET_ENV must return every variable the DMA sent";
}

TEST(BackupEnv, RecognisedValues) {
  BackupOptions o;
  ASSERT_TRUE(parse_backup_env({{"FILESYSTEM", "/x"}, {"TYPE", "tar"}, {"HIST", "n"}, {"LEVEL", "3"},
                                {"UPDATE", "N"}, {"EXCLUDE", "*.o,, tmp ,/a/b"}}, o));
  EXPECT_EQ(o.history, HistoryMode::none);
  EXPECT_EQ(o.level, 3);
  EXPECT_FALSE(o.update);
  EXPECT_EQ(o.excludes, (std::vector<std::string>{"*.o", "tmp", "/a/b"}));
  ASSERT_TRUE(parse_backup_env({{"FILESYSTEM", "/x"}, {"HIST", "y"}, {"HIST_TYPE", "d"}}, o));
  EXPECT_EQ(o.history, HistoryMode::dir);
  ASSERT_TRUE(parse_backup_env({{"FILESYSTEM", "/x"}, {"HIST", "f"}}, o));
  EXPECT_EQ(o.history, HistoryMode::file) << "HIST=f is file style, not false";
  ASSERT_TRUE(parse_backup_env({{"PREFIX", "/from/prefix"}}, o));
  EXPECT_EQ(o.filesystem, "/from/prefix") << "ndmjob sends PREFIX without FILESYSTEM";
}

TEST(BackupEnv, BadValuesNameTheVariable) {
  BackupOptions o;
  struct Case { Env env; const char* needle; };
  for (const auto& c : std::vector<Case>{{{{"FILESYSTEM", "/x"}, {"LEVEL", "10"}}, "LEVEL"},
                                         {{{"FILESYSTEM", "/x"}, {"LEVEL", "a"}}, "LEVEL"},
                                         {{{"FILESYSTEM", "/x"}, {"TYPE", "dump"}}, "TYPE"},
                                         {{{"FILESYSTEM", "/x"}, {"HIST", "maybe"}}, "HIST"},
                                         {{{"FILESYSTEM", "/x"}, {"UPDATE", "perhaps"}}, "UPDATE"},
                                         {{{"HIST", "y"}}, "FILESYSTEM"}}) {
    Status s = parse_backup_env(c.env, o);
    EXPECT_EQ(s.code(), Status::Code::invalid_argument);
    EXPECT_NE(s.text().find(c.needle), std::string::npos) << s.text();
  }
}

TEST(RestoreEnv, DirectAndRecursive) {
  RestoreEnvOptions o;
  ASSERT_TRUE(parse_restore_env({}, o));
  EXPECT_FALSE(o.direct);
  EXPECT_TRUE(o.recursive);
  ASSERT_TRUE(parse_restore_env({{"DIRECT", "y"}, {"RECURSIVE", "n"}}, o));
  EXPECT_TRUE(o.direct);
  EXPECT_FALSE(o.recursive);
  EXPECT_FALSE(parse_restore_env({{"DIRECT", "sometimes"}}, o));
}

TEST(RestoreEnv, VerifyAndDigestMismatch) {
  RestoreEnvOptions o;
  ASSERT_TRUE(parse_restore_env({}, o));
  EXPECT_EQ(o.check, CheckMode::restore);
  EXPECT_FALSE(o.halt_on_mismatch) << "a restore goes on past a damaged file unless asked to halt";
  ASSERT_TRUE(parse_restore_env({{"VERIFY", "y"}}, o));
  EXPECT_EQ(o.check, CheckMode::verify);
  ASSERT_TRUE(parse_restore_env({{"VERIFY", "Compare"}, {"DIGEST_MISMATCH", "halt"}}, o));
  EXPECT_EQ(o.check, CheckMode::compare);
  EXPECT_TRUE(o.halt_on_mismatch);
  ASSERT_TRUE(parse_restore_env({{"VERIFY", "no"}, {"DIGEST_MISMATCH", "continue"}}, o));
  EXPECT_EQ(o.check, CheckMode::restore);
  Status bad = parse_restore_env({{"VERIFY", "maybe"}}, o);
  EXPECT_NE(bad.text().find("VERIFY=maybe"), std::string::npos) << bad.text();
  bad = parse_restore_env({{"DIGEST_MISMATCH", "ignore"}}, o);
  EXPECT_NE(bad.text().find("DIGEST_MISMATCH=ignore"), std::string::npos) << bad.text();
}

TEST(NlistNames, CanonicalFormsAndRefusals) {
  EXPECT_EQ(canonical_nlist_name("/a/b/"), "a/b");
  EXPECT_EQ(canonical_nlist_name("/"), "");
  EXPECT_EQ(canonical_relative("./a//./b"), "a/b");
  EXPECT_FALSE(canonical_relative("/etc/passwd"));
  EXPECT_FALSE(canonical_relative("a/../../b"));
  EXPECT_FALSE(canonical_nlist_name("/a/.."));
  EXPECT_TRUE(selects("a", "a/b"));
  EXPECT_FALSE(selects("a", "ab"));
  EXPECT_TRUE(selects("", "anything"));
}

}  // namespace
}  // namespace ndmp::backup
