// The writer's side of a tape that every user of a drive must honour, kept in
// one place for ndmpd's tape service and ndmpctl's local drive:
//
//  - The implicit file mark: data written and not yet followed by a file mark
//    owes one before the tape is rewound, unloaded or released, so that what
//    was written ends as a file (SSC's and the Linux st driver's convention,
//    SPEC4 3.4). settle() writes it; when to call it is the caller's policy
//    (ndmpd does not before spacing, for ndmjob's test-tape T-BWR).
//  - Early warning reported once: a WRITE that lands in the early-warning zone
//    succeeds (SSC-4 4.2.5); the next WRITE writes nothing and reports end of
//    medium (Category::eom) once, so the writer can close the file and go on
//    to the next tape while there is still room for the mark (SPEC4 3.4.6).
//
// Threads: whatever serialises the drive serialises this too.
#pragma once

#include <cstdint>
#include <span>

#include "devices/status.h"
#include "devices/tape_drive.h"

namespace ndmp::dev {

class TapeWriteRules {
 public:
  explicit TapeWriteRules(TapeDrive& drive) : drive_(drive) {}

  // WRITE under the rules: OK when the record was written (early warning
  // included); Category::eom with nothing written once after an early warning.
  Status write(std::span<const uint8_t> record);
  // WRITE FILEMARKS: the owed mark is paid; early warning is not a failure.
  Status write_filemarks(uint32_t count);
  // Writes the owed file mark, if any. Whatever the outcome, nothing is owed
  // afterwards: a failed mark is reported once, not retried at every close.
  Status settle();

  bool owes_filemark() const { return owed_; }
  // True once after a write entered the early-warning zone; the EOM that the
  // next write would report is consumed with it (the mover pauses instead).
  bool take_early_warning();
  // The tape moved back (rewind, unload): a pending early warning is void.
  void rewound() { eom_pending_ = false; }

 private:
  TapeDrive& drive_;
  bool owed_ = false;        // data written and no file mark since
  bool eom_pending_ = false; // early warning seen: the next write reports EOM
};

}  // namespace ndmp::dev
