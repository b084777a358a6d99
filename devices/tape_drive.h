// SSC tape drive driver over any Transport (SSC-4 command set, the subset
// NDMP TAPE and MOVER need). It never knows whether the target is real.
//
// Position tracking. tgt's READ POSITION is broken (always reports block 0)
// and some drives lack LOCATE, so the driver keeps its own account of where
// the tape is, from what its own commands did and from residuals:
//   file  = filemarks between BOT and the position (NDMP file_num),
//   block = blocks since the last filemark or BOT (NDMP blockno),
//   object = logical objects (blocks + filemarks) from BOT (LOCATE address).
// Each is "known" or not: REWIND, a load, and UNIT ATTENTION 28h (medium may
// have changed) reset all to 0 at BOT; SPACE to end of data and spacing
// backwards over a filemark lose `block`/`file`/`object` as SSC gives no
// count for them; a later REWIND restores them (NDMP v4 §3.4.4: "stays
// unknown until BOT"). read_position() asks the device and falls back to the
// tracked value when the device answers INVALID OPERATION CODE or reports
// BPU (block position unknown), which is what tgt's answer looks like.
// locate() uses LOCATE(10) and falls back to REWIND + SPACE blocks/filemarks
// over the tracked object count when the drive lacks LOCATE — correct only for
// targets where the driver has seen every object written since BOT; the fallback
// says so in its log line.
//
// UNIT ATTENTION is never retried silently on medium-access commands: the
// command was not executed (SAM-5), and after a medium change retrying a WRITE
// would write at the wrong place. test_unit_ready() consumes pending unit
// attentions (up to 8), because that is what a server does when it opens a drive.
//
// Threads: one thread at a time (the session owning the open device).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "devices/status.h"
#include "devices/transport.h"

namespace ndmp::dev {

struct InquiryData {
  uint8_t peripheral_type = 0x1f;  // 1 = sequential access (tape), 8 = medium changer
  bool removable = false;
  std::string vendor, product, revision;  // trimmed of trailing blanks
  std::string serial;                     // VPD page 0x80, empty if the device has none
};

// INQUIRY standard data + VPD 0x80. Shared by both drivers.
StatusOr<InquiryData> inquire(Transport& t);

struct BlockLimits {
  uint32_t max_block = 0;  // 0 = no limit reported
  uint32_t min_block = 0;
  uint8_t granularity = 0;
};

struct TapeMode {
  uint32_t block_size = 0;  // 0 = variable-block mode
  uint8_t density = 0;
  bool write_protected = false;  // device-specific parameter WP bit
  uint8_t buffered_mode = 0;
};

struct ReadResult {
  size_t bytes = 0;            // bytes placed in the buffer
  bool filemark = false;       // stopped at a filemark (positioned after it); bytes == 0 in variable mode
  bool end_of_data = false;    // BLANK CHECK: nothing more was written
  bool eom = false;            // physical end of medium
  bool ili = false;            // record length differed from the request
  int64_t record_length = -1;  // true record length when ili (may exceed the buffer: data truncated)
};

struct TapePosition {
  std::optional<uint64_t> file;    // filemarks since BOT
  std::optional<uint64_t> block;   // blocks since last filemark/BOT
  std::optional<uint64_t> object;  // blocks + filemarks since BOT (LOCATE address)
  bool at_bot = false;
  bool from_device = false;  // `object` came from READ POSITION rather than tracking
};

struct Capacity {
  std::optional<uint64_t> total_bytes;      // uncompressed, as the device reports
  std::optional<uint64_t> remaining_bytes;
};

enum class SpaceCode : uint8_t { blocks = 0, filemarks = 1, end_of_data = 3 };

// TapeAlert flags (LOG SENSE page 2Eh), bit n-1 = flag n (1..64).
struct TapeAlert {
  uint64_t flags = 0;
  bool set(unsigned flag) const { return flag >= 1 && flag <= 64 && (flags >> (flag - 1)) & 1; }
};

class TapeDrive {
 public:
  // Borrows the transport; it must outlive the driver.
  explicit TapeDrive(Transport& t) : t_(t) {}

  StatusOr<InquiryData> inquiry() { return inquire(t_); }
  // ok when a medium is loaded and ready. no_medium when none is present
  // (NDMP: NO_TAPE_LOADED), not_ready otherwise. Pending UNIT ATTENTIONs are
  // consumed first (and reset the tracked position to BOT).
  Status test_unit_ready();
  // REQUEST SENSE; for drives that report deferred errors that way.
  StatusOr<Sense> request_sense();
  StatusOr<BlockLimits> read_block_limits();
  StatusOr<TapeMode> mode_sense();
  // MODE SELECT(6) with a block descriptor: block size (0 = variable) and
  // density (0 = keep the drive's default).
  Status set_block_size(uint32_t block_size, uint8_t density = 0);

  // Reads one record (variable mode) or max/block_size blocks (fixed mode).
  // Returns ok with details in ReadResult for records, short records (ili),
  // filemarks and end of data; a non-ok Status for everything else
  // (medium_error, no_medium, ...). Note tgt: a short record read with a
  // buffer smaller than twice the record returns corrupt data (tgt bug).
  StatusOr<ReadResult> read(std::span<uint8_t> buffer);
  // Writes one record (fixed mode: whole blocks). ok; early_warning (the
  // record WAS written, the tape is in its early-warning zone, SSC-4 4.2.5);
  // eom (NOT written, VOLUME OVERFLOW); write_protected; medium_error; ...
  Status write(std::span<const uint8_t> record);
  // ok / early_warning (marks written) / eom / write_protected / ...
  Status write_filemarks(uint32_t count);
  // Signed count (negative = towards BOT). Returns the residual: how many of
  // the requested units were NOT spaced (0 when all were). Hitting a filemark
  // while spacing blocks, BOT or end of data is reported through `stopped`.
  struct SpaceResult {
    int64_t resid = 0;
    Category stopped = Category::ok;  // filemark, blank_check (EOD), eom (BOT/EOM)
  };
  StatusOr<SpaceResult> space(SpaceCode code, int32_t count);
  Status rewind();
  // What locate() does on a drive without LOCATE (5/20-00): position by
  // REWIND + SPACE (exact only where the driver saw every object written, see
  // above), or return the drive's refusal so the caller can choose.
  enum class IfNoLocate { rewind_and_space, refuse };
  Status locate(uint64_t object, IfNoLocate if_none = IfNoLocate::rewind_and_space);
  StatusOr<TapePosition> read_position();
  Status load();
  Status unload();
  Status prevent_removal(bool prevent);
  // LOG SENSE page 2Eh. illegal_request with invalid_opcode() sense when the
  // drive has no LOG SENSE (tgt).
  StatusOr<TapeAlert> tape_alert();
  // LOG SENSE page 31h (Tape capacity, as LTO drives report it, in MiB).
  // Fields are empty where the device does not say.
  Capacity capacity();
  // Is a medium loaded and is it write-protected, in one call (NDMP TAPE_OPEN).
  Status check_writable();

  // Position as tracked (never issues a command).
  const TapePosition& tracked() const { return pos_; }
  // The decoded sense of the most recent command that returned CHECK CONDITION.
  const std::optional<Sense>& last_sense() const { return last_sense_; }
  Transport& transport() { return t_; }

 private:
  CdbResult run(const CdbCommand& cmd);
  // LOG SENSE of one page into `buf`; bytes of parameters after the 4-byte header.
  StatusOr<size_t> log_page(uint8_t page, std::span<uint8_t> buf);
  void reset_position_to_bot();
  void lose_position();
  void advance_blocks(int64_t n);
  void advance_filemarks(int64_t n);

  Transport& t_;
  TapePosition pos_;
  uint32_t block_size_ = 0;  // cached from mode_sense/set_block_size; 0 = variable
  std::optional<Sense> last_sense_;
};

}  // namespace ndmp::dev
