// ndmpctl against an in-process ndmpd serving the emulated library over
// loopback: every subcommand, its output, and the library's state afterwards
// as read through a separate NDMP session.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "tests/support/test_server.h"
#include "tests/tools/ndmpctl_support.h"
#include "tools/ndmpctl/server_link.h"

namespace ndmp {
namespace {

using test::ctl;

void with_library(server::Config& c) {
  c.library_dir = (std::filesystem::path(c.state_dir).parent_path() / "library").string();
  c.library_drives = 2;
  c.library_slots = 4;
  c.library_tape_mib = 4;
}

class NdmpctlServer : public ::testing::Test {
 protected:
  test::TestServer server{with_library};
  test::TempDir tmp;
  std::string pwfile = (tmp.path() / "pw").string();

  void SetUp() override { std::ofstream(pwfile) << test::kPassword << "\n"; }

  std::vector<std::string> base() const {
    return {"--server", "127.0.0.1:" + std::to_string(server.port()), "--password-file", pwfile};
  }
  test::CtlRun run(std::vector<std::string> args, const std::string& input = "") {
    auto a = base();
    a.insert(a.end(), args.begin(), args.end());
    return ctl(a, input);
  }
  // The changer's contents, read on a session of its own.
  test::Contents library() {
    auto c = server.login(4);
    auto t = ctl::NdmpScsiTransport::open(std::move(c), "emu-changer");
    EXPECT_TRUE(t.ok()) << t.outcome().text;
    return t.ok() ? test::contents_of(*t.value()) : test::Contents{};
  }
};

TEST_F(NdmpctlServer, InfoNamesHostAuthButypeAndDevices) {
  auto r = run({"info"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("NDMP version 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Authentication: md5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  tar (attributes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("changer  emu-changer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tape     emu-drive1"), std::string::npos) << r.out;
  auto j = run({"--json", "info"});
  ASSERT_EQ(j.rc, 0) << j.err;
  EXPECT_NE(j.out.find("\"ndmp_version\":4"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("{\"kind\":\"tape\",\"name\":\"emu-drive0\"}"), std::string::npos) << j.out;
}

TEST_F(NdmpctlServer, InfoAtForcedVersionTwoSaysWhatV2Lacks) {
  auto r = run({"--ndmp-version", "2", "info"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("NDMP version 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NDMP v2 has no"), std::string::npos) << r.out;
}

TEST_F(NdmpctlServer, DevicesListsChangerAndDrivesWithSerials) {
  auto r = run({"devices"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("emu-changer      changer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("emu-drive0       tape"), std::string::npos) << r.out;
  auto j = run({"devices", "--json"});
  ASSERT_EQ(j.rc, 0);
  EXPECT_EQ(j.out.front(), '[');
  EXPECT_NE(j.out.find("\"name\":\"emu-drive1\",\"kind\":\"tape\""), std::string::npos) << j.out;
}

TEST_F(NdmpctlServer, StatusPrintsTheMtxLayout) {
  auto r = run({"status"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "  Storage Changer emu-changer:2 Drives, 5 Slots ( 1 Import/Export )\n"
            "Data Transfer Element 0:Empty\n"
            "Data Transfer Element 1:Empty\n"
            "      Storage Element 1:Full :VolumeTag=NDM001L6\n"
            "      Storage Element 2:Full :VolumeTag=NDM002L6\n"
            "      Storage Element 3:Full :VolumeTag=NDM003L6\n"
            "      Storage Element 4:Full :VolumeTag=NDM004L6\n"
            "      Storage Element 5 IMPORT/EXPORT:Empty\n");
}

TEST_F(NdmpctlServer, StatusWorksAtEveryProtocolVersion) {
  for (const char* v : {"2", "3", "4"}) {
    auto r = run({"--ndmp-version", v, "--drives", "emu-drive0,emu-drive1", "--changer", "emu-changer", "status"});
    EXPECT_EQ(r.rc, 0) << "v" << v << ": " << r.err;
    EXPECT_NE(r.out.find("Storage Element 4:Full :VolumeTag=NDM004L6"), std::string::npos) << r.out;
  }
}

TEST_F(NdmpctlServer, LoadAndUnloadMoveTheTapeAndStatusShowsWhere) {
  auto r = run({"load", "2", "1"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "Loading media from Storage Element 2 into Data Transfer Element 1...done\n");
  auto lib = library();
  EXPECT_EQ(lib[501], "NDM002L6");
  EXPECT_EQ(lib[1001], "");
  auto s = run({"status"});
  EXPECT_NE(s.out.find("Data Transfer Element 1:Full (Storage Element 2 Loaded):VolumeTag = NDM002L6"),
            std::string::npos) << s.out;
  auto j = run({"status", "--json"});
  EXPECT_NE(j.out.find("{\"drive\":1,\"address\":501,\"full\":true,\"volume_tag\":\"NDM002L6\",\"source_slot\":2"),
            std::string::npos) << j.out;
  // Unload with no slot returns the tape where it came from.
  auto u = run({"unload", "--drive", "1"});
  ASSERT_EQ(u.rc, 0) << u.err;
  lib = library();
  EXPECT_EQ(lib[501], "");
  EXPECT_EQ(lib[1001], "NDM002L6");
}

TEST_F(NdmpctlServer, UnloadIntoAnotherSlotAndRawAddresses) {
  ASSERT_EQ(run({"load", "@1000", "@500"}).rc, 0);
  ASSERT_EQ(run({"transfer", "2", "5"}).rc, 0);  // slot 2 -> the import/export element
  auto u = run({"unload", "2", "0"});
  ASSERT_EQ(u.rc, 0) << u.err;
  auto lib = library();
  EXPECT_EQ(lib[1001], "NDM001L6");
  EXPECT_EQ(lib[10], "NDM002L6");
  EXPECT_EQ(lib[1000], "");
}

TEST_F(NdmpctlServer, MovesIntoFullOrFromEmptyElementsAreRefusedBeforeTheRobotMoves) {
  auto full = run({"transfer", "1", "2"});
  EXPECT_EQ(full.rc, 4);
  EXPECT_EQ(full.err, "ndmpctl: slot 2 is full (NDM002L6): cannot move slot 1 there\n");
  auto empty = run({"unload", "0"});
  EXPECT_EQ(empty.rc, 4);
  EXPECT_NE(empty.err.find("drive 0 is empty"), std::string::npos) << empty.err;
  auto bad = run({"load", "9", "0"});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("slots are 1..4, import/export 5..5"), std::string::npos) << bad.err;
  EXPECT_EQ(library()[1000], "NDM001L6");
}

TEST_F(NdmpctlServer, ExportThenImportThroughTheMailslot) {
  auto e = run({"export", "3"});
  ASSERT_EQ(e.rc, 0) << e.err;
  EXPECT_EQ(e.out, "Moved NDM003L6 from slot 3 to import/export 5\n");
  EXPECT_EQ(library()[10], "NDM003L6");
  auto again = run({"export", "4"});
  EXPECT_EQ(again.rc, 4);
  EXPECT_NE(again.err.find("every import/export element is full"), std::string::npos);
  auto i = run({"import"});
  ASSERT_EQ(i.rc, 0) << i.err;
  auto lib = library();
  EXPECT_EQ(lib[10], "");
  EXPECT_EQ(lib[1002], "NDM003L6");  // first empty slot
}

TEST_F(NdmpctlServer, InventoryRescansAndShowsStatus) {
  auto r = run({"inventory"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("Storage Element 1:Full :VolumeTag=NDM001L6"), std::string::npos) << r.out;
}

TEST_F(NdmpctlServer, LabelWithSlotThenLabelsReadsEveryTape) {
  auto l = run({"label", "0", "MONDAY", "--slot", "2"});
  ASSERT_EQ(l.rc, 0) << l.err;
  EXPECT_EQ(l.out, "Labelled the tape in emu-drive0 \"MONDAY\"\n");
  auto lib = library();
  EXPECT_EQ(lib[1001], "NDM002L6") << "the tape goes back to its slot";
  EXPECT_EQ(lib[500], "");
  // Relabelling needs --force.
  auto again = run({"label", "0", "TUESDAY", "--slot", "2"});
  EXPECT_EQ(again.rc, 4);
  EXPECT_NE(again.err.find("already labelled \"MONDAY\""), std::string::npos) << again.err;
  EXPECT_EQ(library()[1001], "NDM002L6");

  auto ls = run({"labels"});
  ASSERT_EQ(ls.rc, 0) << ls.err;
  EXPECT_NE(ls.out.find("Storage Element 1:NDM001L6:blank\n"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("Storage Element 2:NDM002L6:label \"MONDAY\" ("), std::string::npos) << ls.out;
  auto js = run({"labels", "--json"});
  EXPECT_NE(js.out.find("{\"slot\":2,\"volume_tag\":\"NDM002L6\",\"state\":\"labelled\",\"label\":\"MONDAY\""),
            std::string::npos) << js.out;
  EXPECT_EQ(library(), lib) << "labels puts every tape back";
}

TEST_F(NdmpctlServer, LabelsRefusesAFullDrive) {
  ASSERT_EQ(run({"load", "1"}).rc, 0);
  auto r = run({"labels"});
  EXPECT_EQ(r.rc, 4);
  EXPECT_NE(r.err.find("drive 0 is full"), std::string::npos) << r.err;
}

TEST_F(NdmpctlServer, TapeVerbsWriteReadSpaceAndStatus) {
  ASSERT_EQ(run({"load", "1", "0"}).rc, 0);
  auto st = run({"tape", "status"});
  ASSERT_EQ(st.rc, 0) << st.err;
  EXPECT_NE(st.out.find("Drive emu-drive0: tape loaded\nFile number=0, block number=0"), std::string::npos) << st.out;

  std::vector<char> data(150000);
  std::mt19937 rng(7);
  for (auto& c : data) c = static_cast<char>(rng());
  auto in = (tmp.path() / "in.bin").string(), in2 = (tmp.path() / "in2.bin").string();
  std::ofstream(in, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  std::ofstream(in2, std::ios::binary) << "second file";
  auto w = run({"write", in, "--record-size", "65536"});
  ASSERT_EQ(w.rc, 0) << w.err;
  EXPECT_EQ(w.out, "wrote 3 records, 150000 bytes from " + in + " to emu-drive0\n");
  ASSERT_EQ(run({"write", in2, "--append"}).rc, 0);

  auto out = (tmp.path() / "out.bin").string();
  auto r = run({"read", out, "--file", "0"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "read 3 records, 150000 bytes from emu-drive0 into " + out + " (stopped at file mark)\n");
  std::ifstream back(out, std::ios::binary);
  std::vector<char> got((std::istreambuf_iterator<char>(back)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, data);
  auto r2 = run({"tape", "read", out, "--file", "1", "--json"});
  ASSERT_EQ(r2.rc, 0) << r2.err;
  EXPECT_EQ(r2.out, "{\"drive\":\"emu-drive0\",\"records\":1,\"bytes\":11,\"stopped_at\":\"file mark\"}\n");

  EXPECT_EQ(run({"fsf", "2"}).rc, 0);
  auto over = run({"fsf", "3"});
  EXPECT_EQ(over.rc, 4);
  EXPECT_EQ(over.err, "ndmpctl: emu-drive0: 1 file mark not spaced: end of data reached first\n");
  auto bsf = run({"bsf"});
  EXPECT_EQ(bsf.rc, 4) << "the server rewinds at close: a new command starts at BOT";
  EXPECT_EQ(run({"eod"}).rc, 0);
  EXPECT_EQ(run({"weof", "1"}).rc, 0);
  EXPECT_EQ(run({"rewind"}).rc, 0);
  auto js = run({"tape", "status", "--json"});
  EXPECT_NE(js.out.find("\"loaded\":true,\"write_protected\":false,\"file\":0,\"block\":0"), std::string::npos) << js.out;
}

TEST_F(NdmpctlServer, EjectThenStatusSaysNoTape) {
  ASSERT_EQ(run({"load", "1", "0"}).rc, 0);
  auto e = run({"eject"});
  ASSERT_EQ(e.rc, 0) << e.err;
  auto st = run({"tape", "status"});
  EXPECT_EQ(st.rc, 0);
  EXPECT_EQ(st.out, "Drive emu-drive0: no tape loaded\n");
  auto rw = run({"rewind"});
  EXPECT_EQ(rw.rc, 4);
  EXPECT_EQ(rw.err, "ndmpctl: emu-drive0: no tape loaded\n");
  EXPECT_EQ(run({"unload"}).rc, 0);
  EXPECT_EQ(library()[1000], "NDM001L6");
}

TEST_F(NdmpctlServer, EraseAsksFirstAndLeavesABlankTape) {
  ASSERT_EQ(run({"load", "1", "0"}).rc, 0);
  ASSERT_EQ(run({"label", "0", "OLD"}).rc, 0);
  auto no = run({"erase"}, "n\n");
  EXPECT_EQ(no.rc, 1);
  EXPECT_NE(no.err.find("Erase the tape in emu-drive0?"), std::string::npos);
  EXPECT_NE(no.err.find("not erased"), std::string::npos);
  auto yes = run({"erase"}, "y\n");
  ASSERT_EQ(yes.rc, 0) << yes.err;
  // A blank tape takes a label without --force.
  auto l = run({"label", "0", "NEW"});
  EXPECT_EQ(l.rc, 0) << l.err;
}

TEST_F(NdmpctlServer, DeviceErrorsNameTheNdmpError) {
  auto r = run({"--drives", "nosuch", "tape", "status"});
  EXPECT_EQ(r.rc, 4);
  EXPECT_EQ(r.err, "ndmpctl: TAPE_OPEN nosuch: NDMP_NO_DEVICE_ERR\n");
  auto c = run({"--changer", "bogus", "status"});
  EXPECT_EQ(c.rc, 4);
  EXPECT_EQ(c.err, "ndmpctl: SCSI_OPEN bogus: NDMP_NO_DEVICE_ERR\n");
}

TEST_F(NdmpctlServer, UsageErrorsExitTwo) {
  EXPECT_EQ(run({}).rc, 2);
  EXPECT_EQ(run({"frobnicate"}).rc, 2);
  EXPECT_EQ(run({"tape", "spin"}).rc, 2);
  EXPECT_EQ(run({"load"}).rc, 2);
  EXPECT_EQ(run({"label", "0", "has blank"}).rc, 2);
  EXPECT_EQ(ctl({"status"}).rc, 2) << "no target";
  auto pw = ctl({"--server", "localhost", "--password", "x", "status"});
  EXPECT_EQ(pw.rc, 2);
  EXPECT_NE(pw.err.find("never given on the command line"), std::string::npos);
}

TEST_F(NdmpctlServer, EverySubcommandHasHelp) {
  for (const char* cmd : {"info", "devices", "status", "inventory", "load", "unload", "transfer", "import", "export",
                          "label", "labels", "rewind", "fsf", "bsf", "eod", "weof", "eject", "erase", "read",
                          "write"}) {
    auto r = ctl({cmd, "--help"});
    EXPECT_EQ(r.rc, 0) << cmd << ": " << r.err;
    EXPECT_EQ(r.out.rfind("usage: ndmpctl [TARGET] ", 0), 0u) << cmd << ": " << r.out;
  }
  auto t = ctl({"tape", "status", "--help"});
  EXPECT_EQ(t.rc, 0);
  EXPECT_NE(t.out.find("usage: ndmpctl [TARGET] tape status"), std::string::npos);
  auto top = ctl({"--help"});
  EXPECT_EQ(top.rc, 0);
  EXPECT_NE(top.out.find("tape status"), std::string::npos);
}

// The built program: exit statuses and password sources as a script sees them.
TEST_F(NdmpctlServer, BinaryTakesThePasswordFromTheEnvironment) {
  const std::string addr = "127.0.0.1:" + std::to_string(server.port());
  auto ok = test::ctl_binary({"--server", addr, "status"}, {std::string("NDMP_PASSWORD=") + test::kPassword});
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_NE(ok.out.find("Storage Changer emu-changer"), std::string::npos);
  auto bad = test::ctl_binary({"--server", addr, "status"}, {"NDMP_PASSWORD=wrong"});
  EXPECT_EQ(bad.rc, 3);
  EXPECT_EQ(bad.err, "ndmpctl: authentication failed: NDMP_NOT_AUTHORIZED_ERR (user \"ndmp\")\n");
  auto none = test::ctl_binary({"--server", addr, "status"});
  EXPECT_EQ(none.rc, 3) << "no password and no terminal";
  EXPECT_NE(none.err.find("no password"), std::string::npos) << none.err;
  auto down = test::ctl_binary({"--server", "127.0.0.1:1", "status"}, {"NDMP_PASSWORD=x"});
  EXPECT_EQ(down.rc, 3);
  EXPECT_NE(down.err.find("cannot connect to 127.0.0.1:1"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace ndmp
