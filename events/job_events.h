// Job events: what the server tells observers (the Cloud Manager bridge, logs)
// about a backup or restore job. A neutral contract: server/ produces events,
// cloudmanager/ consumes them, and neither includes the other.
//
// Contract: the server calls JobEventSink::publish from its own threads and
// never waits on the sink; an implementation must return quickly (queue and
// hand off). space_check is the one question the server asks before a backup;
// it must answer within the given deadline whatever the remote side does.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ndmp::events {

enum class JobKind { backup, restore };

enum class JobEventType {
  started,    // DATA went ACTIVE
  paused,     // MOVER paused (reason in `reason`: "EOM", "EOW", "EOF", "SEEK")
  continued,  // MOVER continued after a pause
  progress,   // periodic progress (bytes, rate, estimate)
  halted,     // DATA halted: reason "SUCCESSFUL", "ABORTED", "INTERNAL_ERROR", "CONNECT_ERROR"
  exception,  // a fault worth an operator's attention (media, device, library, target lost);
              // reasons in cloudmanager/event_mapping.h ("DRIVE_OFFLINE", "TAPE_ALERT",
              // "CHANGER_NOT_RESPONDING", ...)
  refused,    // the DMA asked for a job that never started (reason "SPACE_CHECK";
              // `text` carries the words the DMA was given)
};

struct JobEvent {
  std::string job_id;           // unique per job, stable across the job's events
  JobKind kind = JobKind::backup;
  JobEventType type = JobEventType::started;
  std::string reason;           // machine-readable reason, see JobEventType
  std::string text;             // operator text
  std::string source_path;      // FILESYSTEM of the job
  std::string device;           // tape drive name, if any
  std::string media_label;      // current tape label/barcode, if known
  uint64_t bytes = 0;           // bytes processed so far
  uint64_t files = 0;           // files (archive entries) written or restored so far, as last seen
  uint64_t session_id = 0;      // the DMA session running the job (as in the log's "session N")
  uint64_t rate_bytes_per_sec = 0;
  int64_t est_seconds_left = -1;  // -1 = unknown
  // TapeAlert flags (1..64, SSC-3 annex) the drive reported set, read after
  // the job or after a device error; empty when none or not read.
  std::vector<uint8_t> tape_alert_flags;
  std::chrono::system_clock::time_point when = std::chrono::system_clock::now();
};

// What became of one backup space check. Each outcome has its own words
// (`text`), the same in the log and to the DMA.
enum class SpaceOutcome {
  enough,         // answered: there is room (free_bytes set)
  not_enough,     // answered: no room (free_bytes set)
  refused,        // the Cloud Manager answered the query with an error (error_code set)
  no_answer,      // asked, no answer within the deadline
  not_connected,  // could not be asked: no connection to the Cloud Manager
  bad_answer,     // an answer that does not parse
  skipped,        // the policy asks nothing
};

struct SpaceAnswer {
  SpaceOutcome outcome = SpaceOutcome::no_answer;
  // After the configured policy: true when the backup may go on.
  bool proceed = false;
  uint64_t asked_bytes = 0;  // the estimate that was asked about
  int64_t free_bytes = -1;   // as the Cloud Manager reported it; -1 when not answered
  int32_t error_code = 0;    // the Cloud Manager's ErrorCode when refused
  // Operator words for the outcome, without the policy ("the Cloud Manager
  // refused the space query with error QuotaInsufficient (2502)").
  std::string text;
};

// The answer of an observer that asks nobody (a watcher, or a tee without a
// bridge): the backup goes on.
inline SpaceAnswer space_not_asked() {
  SpaceAnswer a;
  a.outcome = SpaceOutcome::skipped;
  a.proceed = true;
  a.text = "no Cloud Manager is asked";
  return a;
}

class JobEventSink {
 public:
  virtual ~JobEventSink() = default;
  virtual void publish(const JobEvent& event) = 0;
  virtual SpaceAnswer space_check(const std::string& job_id, uint64_t estimated_bytes,
                                  std::chrono::milliseconds deadline) = 0;
  // Whether space_check means anything: an observer that only watches (logs,
  // metrics) says no, and the server then skips the pre-backup estimate.
  virtual bool answers_space_checks() const { return true; }
};

}  // namespace ndmp::events
