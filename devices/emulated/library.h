// The emulated tape library: SSC drives and an SMC changer that answer CDBs
// in process, over media stored as files. It is what ndmpd serves when a
// machine has no tape hardware, and what the tests run the drivers against.
//
// A library is one directory:
//
//   <dir>/library.conf      description (create_library writes it; text, key = value)
//   <dir>/state             which medium is in which element; rewritten atomically
//                           (write state.tmp, fsync, rename) after every robot move
//   <dir>/drive<i>.pos      per drive: loaded flag and position, rewritten atomically
//                           when the drive flushes (filemarks, rewind, space, locate,
//                           unload) and when its transport is released — not per record
//   <dir>/media/<barcode>.data / .idx   one tape image each (emulated/tape_image.h)
//
// Element addresses follow tgt and many real libraries: transport 1,
// import/export 10.., drives 500.., slots 1000... Tapes start in the first
// slots in barcode order.
//
// Threads: any number of sessions may use different drives at once. One mutex
// per library guards element contents and robot moves; one mutex per drive
// guards its medium and position. A move locks the library, then the drives
// involved; drive I/O locks only its drive. So I/O on drive 0 never waits for
// I/O on drive 1, and a robot move waits only for the drives it touches.
// The Library object must outlive every transport it hands out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "devices/status.h"
#include "devices/transport.h"

namespace ndmp::dev::emu {

struct LibrarySpec {
  unsigned drives = 2;
  unsigned slots = 8;
  unsigned import_export = 1;
  uint64_t tape_capacity = 256ull << 20;  // bytes of records a tape holds
  // Early-warning zone before the end: writes that end beyond
  // capacity - early_warning succeed with EOM/00-02. 0 = capacity / 50.
  uint64_t early_warning = 0;
  // One tape per barcode, placed in slots 0.. in this order. Barcodes are
  // 1..32 printable ASCII characters without blanks or '/'.
  std::vector<std::string> barcodes;
  std::vector<std::string> write_protected;  // barcodes created with the write-protect tab set
  std::string vendor = "NDMPD";
  std::string drive_product = "EMU-TAPE";
  std::string changer_product = "EMU-CHANGER";
  std::string serial_prefix = "EMU";  // drive serials EMU-DRV-0000.., changer EMU-CHG
};

// Creates a new library directory (the directory may exist but must not
// hold a library.conf). Fails with illegal_request on a bad spec (no drives,
// more barcodes than slots, duplicate barcode) and io on filesystem errors.
Status create_library(const std::filesystem::path& dir, const LibrarySpec& spec);

// Element address layout (SMC mode page 1Dh).
inline constexpr uint16_t kTransportAddress = 1;
inline constexpr uint16_t kFirstImportExport = 10;
inline constexpr uint16_t kFirstDrive = 500;
inline constexpr uint16_t kFirstSlot = 1000;

class LibraryImpl;

class Library {
 public:
  // Opens an existing library, restoring element contents and drive positions.
  static StatusOr<std::shared_ptr<Library>> open(const std::filesystem::path& dir);
  ~Library();

  const LibrarySpec& spec() const;
  const std::filesystem::path& dir() const;
  unsigned drive_count() const;

  // A transport to drive i (SSC) or to the changer (SMC). Several transports
  // to one drive may exist; exclusivity is the inventory's job. Each is used
  // by one thread at a time.
  std::unique_ptr<Transport> drive_transport(unsigned i);
  std::unique_ptr<Transport> changer_transport();

  // Identity as INQUIRY reports it, for the inventory without issuing CDBs.
  std::string drive_serial(unsigned i) const;
  std::string changer_serial() const;

  // Operator/test control: set or clear a tape's write-protect tab (takes
  // effect at the next load, as on a real cartridge).
  Status set_write_protect(const std::string& barcode, bool on);

  // Test/operator control: drive i raises TapeAlert flag 1..64 (emulated/ssc_target.h).
  // illegal_request for a drive or flag out of range.
  Status raise_tape_alert(unsigned drive, unsigned flag);

  // Flushes every drive's data and position to disk.
  Status sync();

 private:
  explicit Library(std::unique_ptr<LibraryImpl> impl);
  std::unique_ptr<LibraryImpl> impl_;
};

}  // namespace ndmp::dev::emu
