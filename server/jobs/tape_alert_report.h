// TapeAlert reporting: after each job and after each tape error the drive's
// TapeAlert flags (LOG SENSE page 2Eh, devices/tape_alert.h) are read and
// every flag set is told to
//   - the operator log:  "<session>: tape emu-drive0: TapeAlert 3 (Hard error) after a tape error",
//   - the DMA:           one LOG_MESSAGE (LOG_LOG in v2) per flag, type ERROR for
//                        critical flags, WARNING for warnings, NORMAL for information,
//   - the job:           report::note_tape_alerts, which puts the flags in the job's
//                        exception and halted events (events::JobEvent::tape_alert_flags).
// A drive without LOG SENSE (tgt) is not an error: nothing is reported.
//
// Threads: called from the mover and data workers without the jobs mutex (it
// issues a SCSI command).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace ndmp::server {

class JobHost;
class TapeService;

// Reads and reports; `when` completes the sentence: "after the job",
// "after a tape error". Returns the flags set (ascending), empty if none or
// unreadable.
std::vector<uint8_t> report_tape_alerts(JobHost& s, TapeService& tape, std::string_view when);

// The session's mover tape, if it has one, read after its job.
void report_tape_alerts_after_job(JobHost& s);

}  // namespace ndmp::server
