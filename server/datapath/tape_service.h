// NDMP tape semantics over the SSC driver, shared by the TAPE interface and
// the MOVER (which writes and reads the same open tape).
//
// The rules it adds to plain SSC (SPEC4 3.4, facts 6.4):
//  - Early warning: the WRITE that enters the zone succeeds (NO_ERR); the
//    next WRITE fails with EOM_ERR and count 0; writes after that succeed
//    again until physical end of medium (IO_ERR).
//  - Implicit file mark: after data was written with no file mark following,
//    TAPE_CLOSE, MTIO REW and MTIO OFF first write one file mark. (SPEC4 asks
//    it of every MTIO but EOF/TUR; ndmjob's test-tape expects spacing not to
//    write one, and a DMA that spaces over fresh data means the data.)
//  - READ at a file mark returns EOF_ERR; v4 leaves the tape on the BOT side
//    of the mark so the DMA sees it again, v2/v3 after it, as the drive does.
//    End of data is EOF_ERR in v2/v3 and EOM_ERR in v4 (ndmjob's test-tape).
//  - FSR/BSR: v4 stops at a file mark without crossing it; v2/v3 cross it.
//
// Threads: owned by one session; the mover thread uses it only while the
// session's tape interface is locked out (mover ACTIVE => DEVICE_BUSY).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "devices/tape_drive.h"
#include "devices/tape_write_rules.h"
#include "devices/transport.h"
#include "xdr/model.h"

namespace ndmp::server {

struct TapeIo {
  msg::Error error = msg::Error::no_err;
  uint32_t count = 0;  // bytes written/read, or MTIO residual
  std::string why;     // operator text when error != no_err
};

class TapeService {
 public:
  TapeService(std::string name, std::unique_ptr<dev::Transport> transport, msg::TapeOpenMode mode,
              uint32_t max_record);
  ~TapeService();

  // TAPE_OPEN checks: a medium unless raw, write-enabled unless read mode.
  msg::Error open_checks(std::string& why);

  const std::string& name() const { return name_; }
  msg::TapeOpenMode mode() const { return mode_; }
  bool writable() const { return mode_ != msg::TapeOpenMode::read; }

  TapeIo write(std::span<const uint8_t> record);
  // Reads one record into `out` (at most `count` bytes; excess discarded).
  TapeIo read(uint32_t count, std::vector<uint8_t>& out, int version);
  TapeIo mtio(msg::MtioOp op, uint32_t count, int version);
  // Moves `delta` records within the current tape file, for the mover's
  // direct access: LOCATE to the object `delta` away when the drive reports
  // its position (READ POSITION) and has LOCATE, one command however far;
  // otherwise, or when the LOCATE would cross a file mark, MTIO FSR/BSR
  // (count != 0 then: a file mark was in the way). A drive that answers
  // LOCATE with INVALID OPERATION CODE is not asked again.
  TapeIo seek_records(int64_t delta, int version);
  // The drive's TapeAlert flags (LOG SENSE 2Eh; reading clears them on most
  // drives). illegal_request (5/20-00) from a drive without LOG SENSE.
  dev::StatusOr<dev::TapeAlert> tape_alerts();
  // The implicit file mark, then release. Returns the error of that write.
  TapeIo close();
  msg::TapeGetStateReply state(int version);

  dev::TapeDrive& drive() { return drive_; }
  dev::Transport& transport() { return *transport_; }
  bool wrote_since_filemark() const { return rules_.owes_filemark(); }
  // For the mover, which pauses EOM itself at early warning: true once after
  // a write entered the early-warning zone, and the TAPE_WRITE rule (next
  // write reports EOM) is consumed with it.
  bool take_early_warning() {
    std::lock_guard lock(mu_);
    return rules_.take_early_warning();
  }

 private:
  // One command at a time on the drive: the mover writes records on its
  // thread while TAPE_GET_STATE (allowed in every state) asks the same drive
  // for its mode and position on the session thread. This is the device's
  // own lock, held for one device operation; no service mutex is held
  // around it (the mover releases the jobs mutex before writing).
  std::mutex mu_;
  std::string name_;
  std::unique_ptr<dev::Transport> transport_;
  dev::TapeDrive drive_;
  msg::TapeOpenMode mode_;
  uint32_t max_record_;
  dev::TapeWriteRules rules_{drive_};  // implicit file mark, early warning once
  bool last_error_ = false;  // TAPE_STATE_ERROR flag: previous op had a media error
  bool no_locate_ = false;   // the drive refused LOCATE as an unknown command
  std::vector<uint8_t> buffer_;  // reused read buffer (>= 2x max record: see tgt note in tape_drive.h)
};

}  // namespace ndmp::server
