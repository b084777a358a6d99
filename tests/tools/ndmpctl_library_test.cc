// The same verbs with --library (the emulated library opened in process)
// and with --local on SG devices when the real-device suite names them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "devices/emulated/library.h"
#include "tests/support/test_server.h"
#include "tests/tools/ndmpctl_support.h"

namespace ndmp {
namespace {

using test::ctl;

class NdmpctlLibrary : public ::testing::Test {
 protected:
  test::TempDir tmp;
  std::string dir = (tmp.path() / "lib").string();

  void SetUp() override {
    dev::emu::LibrarySpec spec;
    spec.drives = 2;
    spec.slots = 3;
    spec.tape_capacity = 4 << 20;
    spec.barcodes = {"LIB001", "LIB002", "LIB003"};
    auto st = dev::emu::create_library(dir, spec);
    ASSERT_TRUE(st.ok()) << st.to_string();
  }
  test::CtlRun run(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> a = {"--library", dir};
    a.insert(a.end(), args.begin(), args.end());
    return ctl(a, input);
  }
  test::Contents library() {
    auto lib = dev::emu::Library::open(dir);
    EXPECT_TRUE(lib.ok());
    auto t = lib.value()->changer_transport();
    return test::contents_of(*t);
  }
};

TEST_F(NdmpctlLibrary, StatusLoadUnloadTransferImportExport) {
  auto s = run({"status"});
  ASSERT_EQ(s.rc, 0) << s.err;
  EXPECT_EQ(s.out,
            "  Storage Changer emu-changer:2 Drives, 4 Slots ( 1 Import/Export )\n"
            "Data Transfer Element 0:Empty\n"
            "Data Transfer Element 1:Empty\n"
            "      Storage Element 1:Full :VolumeTag=LIB001\n"
            "      Storage Element 2:Full :VolumeTag=LIB002\n"
            "      Storage Element 3:Full :VolumeTag=LIB003\n"
            "      Storage Element 4 IMPORT/EXPORT:Empty\n");
  ASSERT_EQ(run({"load", "3", "1"}).rc, 0);
  EXPECT_EQ(library()[501], "LIB003");
  EXPECT_EQ(run({"unload", "1", "1"}).rc, 4);  // slot 1 is full
  EXPECT_EQ(library()[501], "LIB003") << "a full slot is refused";
  ASSERT_EQ(run({"unload", "--drive", "1"}).rc, 0);
  EXPECT_EQ(library()[1002], "LIB003");
  ASSERT_EQ(run({"transfer", "1", "@10"}).rc, 0);
  EXPECT_EQ(library()[10], "LIB001");
  ASSERT_EQ(run({"import", "1"}).rc, 0);
  ASSERT_EQ(run({"export", "2"}).rc, 0);
  auto lib = library();
  EXPECT_EQ(lib[1000], "LIB001");
  EXPECT_EQ(lib[10], "LIB002");
  EXPECT_EQ(lib[1001], "");
}

TEST_F(NdmpctlLibrary, LabelsAndRawRecordsPersistInTheDirectory) {
  ASSERT_EQ(run({"label", "0", "VOL-A", "--slot", "1"}).rc, 0);
  ASSERT_EQ(run({"label", "1", "VOL-C", "--slot", "3"}).rc, 0);
  auto ls = run({"labels", "--json"});
  ASSERT_EQ(ls.rc, 0) << ls.err;
  EXPECT_NE(ls.out.find("{\"slot\":1,\"volume_tag\":\"LIB001\",\"state\":\"labelled\",\"label\":\"VOL-A\""),
            std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("{\"slot\":2,\"volume_tag\":\"LIB002\",\"state\":\"blank\",\"label\":null}"),
            std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("\"label\":\"VOL-C\""), std::string::npos) << ls.out;

  // Local drives keep their position between commands, like /dev/nst.
  ASSERT_EQ(run({"load", "2", "0"}).rc, 0);
  auto in = (tmp.path() / "in").string(), out = (tmp.path() / "out").string();
  std::ofstream(in) << std::string(100000, 'x');
  auto w = run({"write", in, "--record-size", "32768"});
  ASSERT_EQ(w.rc, 0) << w.err;
  EXPECT_EQ(w.out, "wrote 4 records, 100000 bytes from " + in + " to emu-drive0\n");
  auto st = run({"tape", "status", "--json"});
  // The file number is tracked; the block number after a reopen only where
  // the device reports it (the emulated drive does not).
  EXPECT_NE(st.out.find("\"file\":1,"), std::string::npos) << st.out;
  ASSERT_EQ(run({"rewind"}).rc, 0);
  auto r = run({"read", out});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "read 4 records, 100000 bytes from emu-drive0 into " + out + " (stopped at file mark)\n");
  auto r2 = run({"read", out});
  EXPECT_EQ(r2.out, "read 0 records, 0 bytes from emu-drive0 into " + out + " (stopped at end of data)\n") << r2.err;
  ASSERT_EQ(run({"bsf", "1"}).rc, 0);
  ASSERT_EQ(run({"eject"}).rc, 0);
  EXPECT_EQ(run({"tape", "status"}).out, "Drive emu-drive0: no tape loaded\n");
  ASSERT_EQ(run({"unload"}).rc, 0);
  EXPECT_EQ(library()[1001], "LIB002");
}

TEST_F(NdmpctlLibrary, DevicesAndUnknownDrive) {
  auto d = run({"devices"});
  ASSERT_EQ(d.rc, 0) << d.err;
  EXPECT_NE(d.out.find("emu-drive1       tape"), std::string::npos) << d.out;
  auto bad = run({"tape", "status", "-d", "7"});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("drive 7 does not exist"), std::string::npos) << bad.err;
  auto info = run({"info"});
  EXPECT_EQ(info.rc, 2) << "info needs a server";
}

// --local on real SG devices: only where the real-device suite names them.
TEST(NdmpctlLocal, StatusAndTapeStatusOnSgDevices) {
  const char* changer = std::getenv("NDMP_TEST_SG_CHANGER");
  const char* tape = std::getenv("NDMP_TEST_SG_TAPE");
  if (!changer || !tape || !*changer || !*tape)
    GTEST_SKIP() << "SKIPPED: --local on SG devices needs NDMP_TEST_SG_CHANGER and NDMP_TEST_SG_TAPE "
                    "(comma-separated /dev/sgN paths); none are set on this machine";
  std::string ch = std::string(changer).substr(0, std::string(changer).find(','));
  auto s = ctl({"--local", ch, "--drives", tape, "status"});
  ASSERT_EQ(s.rc, 0) << s.err;
  EXPECT_NE(s.out.find("Storage Changer " + ch), std::string::npos) << s.out;
  auto t = ctl({"--local", ch, "--drives", tape, "tape", "status"});
  EXPECT_EQ(t.rc, 0) << t.err;
  auto d = ctl({"--local", ch, "devices"});
  EXPECT_EQ(d.rc, 0) << d.err;
}

}  // namespace
}  // namespace ndmp
