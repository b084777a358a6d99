// Fuzz harness: the emulated library's CDB parsers (devices/emulated/
// ssc_target, smc_target), reached through the same Transport interface a
// DMA's SCSI_EXECUTE_CDB and TAPE_EXECUTE_CDB use.
//
// Input layout:
//   u8   shape      drives = 1 + bit 0; slots = 1 + (bits 1-2)
//   then up to 64 commands, each:
//     u8   target     % 3: drive 0, last drive, changer
//     u8   cdb_len    1 + cdb_len % 16
//     ...  cdb        cdb_len bytes
//     u8   direction  % 3: none, in, out
//     u16  length     data buffer length (in: buffer size; out: bytes sent,
//                     taken from the input, zero-padded if it runs out)
//
// Oracle: every command returns a transport answer; a CHECK CONDITION carries
// sense; residuals stay within the buffer; and after the sequence the library
// flushes and opens again from its directory (a DMA cannot leave state the
// next ndmpd start refuses).
#include <memory>
#include <vector>

#include "devices/emulated/library.h"
#include "fuzz/harness/input.h"
#include "fuzz/harness/scratch_dir.h"
#include "fuzz/harness/targets.h"

namespace ndmp::fuzz {

int emulated_cdb(const uint8_t* data, size_t size) {
  quiet_log();
  Input in(data, size);
  const uint8_t shape = in.u8();
  dev::emu::LibrarySpec spec;
  spec.drives = 1 + (shape & 1);
  spec.slots = 1 + ((shape >> 1) & 3);
  spec.import_export = 1;
  spec.tape_capacity = 1 << 20;  // small: the fuzzer reaches early warning and EOM
  for (unsigned i = 0; i < spec.slots; ++i) spec.barcodes.push_back("FZ00" + std::to_string(i) + "L6");

  ScratchDir dir;
  NDMP_FUZZ_CHECK(dev::emu::create_library(dir.path() / "lib", spec).ok());
  {
    auto lib = dev::emu::Library::open(dir.path() / "lib");
    NDMP_FUZZ_CHECK(lib.ok());
    std::unique_ptr<dev::Transport> transports[3] = {lib.value()->drive_transport(0),
                                                     lib.value()->drive_transport(spec.drives - 1),
                                                     lib.value()->changer_transport()};
    std::vector<uint8_t> cdb, buf;
    for (int i = 0; i < 64 && !in.empty(); ++i) {
      dev::Transport& t = *transports[in.u8() % 3];
      const size_t cdb_len = 1 + in.u8() % 16;
      auto cdb_bytes = in.bytes(cdb_len);
      cdb.assign(cdb_bytes.begin(), cdb_bytes.end());
      const int direction = in.u8() % 3;
      const size_t length = in.u16();
      dev::CdbCommand cmd;
      if (direction == 1) {
        buf.assign(length, 0xA5);  // exact size: ASan sees any write past it
        cmd = dev::CdbCommand::in(cdb, buf);
      } else if (direction == 2) {
        auto payload = in.bytes(length);
        buf.assign(payload.begin(), payload.end());
        buf.resize(length, 0);
        cmd = dev::CdbCommand::out(cdb, buf);
      } else {
        buf.clear();
        cmd = dev::CdbCommand::none(cdb);
      }
      const dev::CdbResult r = t.execute(cmd);
      if (r.transport != dev::TransportState::ok) continue;
      NDMP_FUZZ_CHECK(r.sense_length <= r.sense.size());
      if (r.check_condition()) NDMP_FUZZ_CHECK(r.sense_length >= 8);
      NDMP_FUZZ_CHECK(r.resid >= 0 && static_cast<size_t>(r.resid) <= cmd.data_length());
    }
    for (auto& t : transports) t.reset();  // releasing a drive flushes its position
    NDMP_FUZZ_CHECK(lib.value()->sync().ok());
  }
  auto again = dev::emu::Library::open(dir.path() / "lib");
  NDMP_FUZZ_CHECK(again.ok());
  return 0;
}

}  // namespace ndmp::fuzz
