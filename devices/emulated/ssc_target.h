// One emulated SSC tape drive: answers CDBs as an LTO-like drive does
// (SSC-4), over a TapeImage. Handlers are looked up by opcode in a table;
// an opcode not in it gets ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE
// (5/20-00), as tgt and real drives answer.
//
// Sense this target returns (all fixed format, INFORMATION valid where SSC
// asks for a residual):
//   READ at a filemark            0/00-01 FILEMARK, info = requested length (or blocks) not read;
//                                 positioned after the mark
//   READ/SPACE at end of data     8/00-05 BLANK CHECK, info = residual
//   READ of a shorter record      0/00-00 ILI, info = requested - actual (resid likewise)
//   READ of a longer record       0/00-00 ILI, info = requested - actual (negative); buffer filled
//   WRITE into early warning      0/00-02 EOM, info 0: the record WAS written (every write in the zone)
//   WRITE past capacity           d/00-02 VOLUME OVERFLOW + EOM, info = length: NOT written
//   SPACE back to BOT             0/00-04 EOM (beginning of partition), info = residual
//   SPACE blocks over a filemark  0/00-01 FILEMARK, info = residual
//   any write on a WP tape        7/27-00 WRITE PROTECTED
//   medium access without tape    2/3a-00 MEDIUM NOT PRESENT (also after LOAD UNLOAD unload)
//   first command after a load    6/28-00 UNIT ATTENTION (not INQUIRY/REQUEST SENSE); command not executed
//   bad field / bad opcode        5/24-00 / 5/20-00
// LOG SENSE page 2Eh reports the flags raise_tape_alert() set, and clears
// them (SSC-4 TapeAlert, read-clears mode).
// SPACE residuals carry the sign of the request (SSC-4 7.? / Linux st
// computes drv_file = target - undone). READ POSITION: short and long forms
// are correct here (unlike tgt), long form includes the file number.
//
// Threads: execute() and the robot-side calls lock the drive's mutex, so a
// drive may be shared by its session thread and the changer's thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "devices/emulated/scsi_reply.h"
#include "devices/emulated/tape_image.h"
#include "devices/status.h"
#include "devices/transport.h"

namespace ndmp::dev::emu {

class SscDrive {
 public:
  SscDrive(unsigned index, Identity id, uint64_t capacity, uint64_t early_warning, std::filesystem::path pos_file);
  ~SscDrive();

  CdbResult execute(const CdbCommand& cmd);

  // Robot side. insert(): a tape enters the drive and is loaded (threaded),
  // with a UNIT ATTENTION pending; `position` restores a saved position.
  void insert(std::string barcode, std::unique_ptr<TapeImage> tape, bool write_protected,
              size_t position = 0, bool loaded = true, bool attention = true);
  bool has_tape() const;
  // Flushes and hands the tape back to the robot — unless the drive's
  // session holds PREVENT MEDIUM REMOVAL, checked under the same lock so a
  // session cannot lock the tape between the check and the removal.
  // Returns null with *prevented = true then.
  std::unique_ptr<TapeImage> remove(bool* prevented);
  // Flush the image and write the position file.
  Status sync();
  // Restores loaded flag/position from the position file if it names `barcode`.
  struct SavedPosition {
    bool loaded = true;
    size_t position = 0;
  };
  static std::optional<SavedPosition> read_saved(const std::filesystem::path& pos_file, const std::string& barcode);

  const Identity& identity() const { return id_; }

  // Test/operator control: sets TapeAlert flag 1..64 as if the drive had
  // detected the condition. Flags stay set until LOG SENSE page 2Eh is read
  // (SSC-4 default: the page is cleared when read), whatever is loaded.
  void raise_tape_alert(unsigned flag);

 private:
  using Entry = OpEntry<SscDrive>;
  static const std::array<Entry, 16>& table();

  CdbResult test_unit_ready(const CdbCommand&);
  CdbResult rewind(const CdbCommand&);
  CdbResult request_sense(const CdbCommand&);
  CdbResult read_block_limits(const CdbCommand&);
  CdbResult read(const CdbCommand&);
  CdbResult write(const CdbCommand&);
  CdbResult write_filemarks(const CdbCommand&);
  CdbResult space(const CdbCommand&);
  CdbResult inquiry(const CdbCommand&);
  CdbResult mode_select6(const CdbCommand&);
  CdbResult mode_sense6(const CdbCommand&);
  CdbResult load_unload(const CdbCommand&);
  CdbResult prevent_allow(const CdbCommand&);
  CdbResult locate10(const CdbCommand&);
  CdbResult read_position(const CdbCommand&);
  CdbResult log_sense(const CdbCommand&);

  bool ready() const { return tape_ && loaded_; }
  bool in_early_warning(uint64_t bytes) const { return bytes > capacity_ - early_warning_; }
  Status save_position_locked();
  void record_position_locked();  // save_position_locked(), a failure logged
  CdbResult fail(const SenseSpec& s, int32_t resid = 0);

  const unsigned index_;
  const Identity id_;
  const uint64_t capacity_;
  const uint64_t early_warning_;
  const std::filesystem::path pos_file_;

  mutable std::mutex mu_;
  std::unique_ptr<TapeImage> tape_;
  std::string barcode_;
  bool loaded_ = false;
  bool write_protected_ = false;
  bool attention_ = false;
  bool prevent_ = false;
  size_t pos_ = 0;
  uint32_t block_size_ = 0;  // 0 = variable
  uint8_t density_ = 0x5a;   // LTO-6, as tgt's default drive
  SenseSpec last_sense_{};
  uint64_t tape_alerts_ = 0;  // bit n-1 = TapeAlert flag n
};

// A Transport onto an SscDrive (not owned). Flushes the drive when released,
// so a session closing a tape leaves data and position on disk.
class SscTransport final : public Transport {
 public:
  explicit SscTransport(SscDrive& d, unsigned index) : d_(d), index_(index) {}
  ~SscTransport() override;
  CdbResult execute(const CdbCommand& cmd) override { return d_.execute(cmd); }
  std::string describe() const override { return "emulated drive " + std::to_string(index_); }

 private:
  SscDrive& d_;
  unsigned index_;
};

}  // namespace ndmp::dev::emu
