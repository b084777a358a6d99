// One tape drive, as an `mt` user sees it, whichever way it is reached:
//   NdmpDrive   - NDMP TAPE_* requests on a connection of its own (--server)
//   LocalDrive  - the SSC driver (devices/tape_drive.h) over a local
//                 transport: SG_IO (--local) or the emulated library (--library)
// Each drive verb is written once, against this interface.
//
// Semantics both implementations keep:
//  - records are variable length; read() returns one record, a file mark or
//    end of data, and stops AFTER a file mark (next read starts the next file);
//  - data written and not followed by a file mark gets one at close(), as the
//    Linux st driver and an NDMP server (SPEC4 3.4) do;
//  - an NDMP server's tape device rewinds at close (ndmpd advertises
//    TAPE_ATTR_REWIND), so positioning does not survive between two ndmpctl
//    commands with --server; local drives keep their position.
// Threads: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "devices/status.h"
#include "devices/tape_drive.h"
#include "tools/client/client.h"
#include "tools/ndmpctl/outcome.h"

namespace ndmp::ctl {

struct DriveState {
  bool loaded = false;
  bool write_protected = false;
  std::optional<uint64_t> file, block;  // file marks since BOT, records since the last mark
  std::optional<uint32_t> block_size;   // 0 = variable
  std::optional<uint64_t> total_bytes, remaining_bytes;
};

struct ReadRecord {
  enum class Kind { record, filemark, end_of_data } kind = Kind::record;
  std::vector<uint8_t> data;
};

class Drive {
 public:
  virtual ~Drive() = default;
  virtual const std::string& name() const = 0;
  // Opens the drive for reading (or writing). false = no tape is loaded
  // (not an error for `tape status`; other verbs make it one).
  virtual Result<bool> open(bool write) = 0;
  virtual Result<DriveState> status() = 0;
  virtual Outcome rewind() = 0;
  // Spaces `count` file marks forward (> 0) or backward (< 0). Returns the
  // residual: how many were not spaced because BOT or end of data came first.
  virtual Result<uint32_t> space_files(int32_t count) = 0;
  // Positions at end of recorded data (to append).
  virtual Outcome end_of_data() = 0;
  virtual Outcome write_filemarks(uint32_t count) = 0;
  // Rewinds and unloads the tape (mt offline / eject).
  virtual Outcome eject() = 0;
  virtual Result<ReadRecord> read(uint32_t max_bytes) = 0;
  virtual Outcome write(std::span<const uint8_t> record) = 0;
  // Writes the owed file mark and releases the drive.
  virtual Outcome close() = 0;
};

// TAPE_OPEN/.../TAPE_CLOSE on `client`, which it owns.
std::unique_ptr<Drive> make_ndmp_drive(std::unique_ptr<client::Client> client, std::string device);

// The SSC driver over `transport`, which it owns. `keep_alive` is held for
// the transport's sake (the emulated library must outlive its transports).
std::unique_ptr<Drive> make_local_drive(std::unique_ptr<dev::Transport> transport, std::string name,
                                        std::shared_ptr<void> keep_alive = {});

// "WRITE(6) on /dev/sg3: medium_error: ... 3/0c/00 Medium Error: Write error"
Outcome device_failure(const std::string& what, const dev::Status& st);

}  // namespace ndmp::ctl
