// Job reporting: turns what a session's DATA and MOVER services do into
// JobEvents (events/job_events.h) for the server's observer, ctx().jobs (the
// Cloud Manager bridge). Every function is a no-op when ctx().jobs is null.
//
//   handlers/data.cc  start_backup/recover ──> data_started     -> started
//   data_worker.cc    sink/source bytes    ──> data_bytes       -> progress (first bytes, then
//                                                                  at most one per interval)
//   mover_worker.cc   pause / media error  ──> mover_changed    -> paused(EOM|EOW|EOF|SEEK),
//                                                                  exception(MEDIA_ERROR)
//   handlers/mover.cc MOVER_CONTINUE       ──> mover_continued  -> continued
//   data_worker.cc    finish()             ──> data_halted      -> exception(TARGET_LOST |
//   handlers/data.cc  DATA_ABORT                                   SOURCE_LOST) on a lost
//                                                                  connection, then halted
//   tape_alert_report TapeAlert flags     ──> note_tape_alerts -> tape_alert_flags of the
//                                                                  exception and halted events
//   data_worker.cc    worker ends          ──> data_worker_done -> halted(ABORTED) if the
//                                                                  session ended mid-job
//   space_check.cc    backup refused       ──> job_refused      -> refused(SPACE_CHECK)
//   space_check.cc    no room, policy warn ──> job_warned       -> exception(STORAGE_FULL)
//   handlers/tape.cc  TAPE_OPEN, drive gone──> device_failed    -> exception(DRIVE_OFFLINE)
//   handlers/scsi.cc  changer CDB timeout  ──> device_failed    -> exception(CHANGER_NOT_RESPONDING)
//
// A job is one DATA operation of one session (job_id: a random UUID, minted
// by new_job_id() so the backup space check can name the job before it
// starts). The MOVER's pauses and continues belong to the job of the same
// session; a session with a MOVER but no DATA job (the tape side of a
// three-way job) reports nothing here, since its DATA side, wherever it
// runs, reports the job.
//
// Reason strings are those cloudmanager/event_mapping.h maps: pause "EOM",
// "EOW", "EOF", "SEEK" (and "MEDIA_ERROR" for a v2/v3 media-error pause, which
// the bridge sends verbatim); halt "SUCCESSFUL", "ABORTED", "INTERNAL_ERROR",
// "CONNECT_ERROR"; exceptions "MEDIA_ERROR", "TARGET_LOST", "SOURCE_LOST".
//
// Threads: callable from the session thread and the job's worker threads.
// data_halted, mover_changed and mover_continued are called with the
// session's jobs mutex held and never take it; data_bytes and
// data_worker_done take it, so they must be called without it. Lock order: the jobs mutex before a job's own mutex.
// publish() on the sink is a memory push (server/jobs/job_event_queue.h): the
// bridge journals on the queue's own thread, so a report never waits on the
// disk or the network, even with the jobs mutex held.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devices/status.h"
#include "events/job_events.h"
#include "statemachine/data_machine.h"
#include "statemachine/mover_machine.h"

namespace ndmp::server {

class JobHost;

namespace report {

// A fresh job id (random RFC 4122 version 4 UUID, lower-case text).
std::string new_job_id();

// DATA went ACTIVE for `kind` of `source_path` (FILESYSTEM, or the restore
// destination): the job `job_id` begins and "started" is published. A job
// still registered for this session (a previous one never halted) is
// replaced.
void data_started(JobHost& s, const std::string& job_id, events::JobKind kind, const std::string& source_path);

// `n` more bytes went through the data connection. Publishes progress for the
// first bytes and then when progress_interval has passed since the last
// progress; bytes, average rate since the start, and for a backup the time
// left from the engine's estimate. Called without the jobs mutex.
void data_bytes(JobHost& s, uint64_t n);

// DATA went HALTED for `reason` (the engine ended in finish(), or the DMA's
// DATA_ABORT): publishes the halt, preceded by an exception when the data
// connection was lost, and ends the job. Reported at the transition, not
// later, because a DMA may DATA_STOP (back to IDLE, reason NA) as soon as it
// has the halt post. Called with the jobs mutex held; a second call for the
// same job does nothing.
void data_halted(JobHost& s, sm::DataHaltReason reason, const std::string& text);

// The data worker is about to return. Reports the halt of a job still open
// (the session ended and SessionJobs::shutdown aborted it without a post),
// else nothing. Called without the jobs mutex.
void data_worker_done(JobHost& s);

// The mover's machine `m` changed state inside the worker (pause, halt).
// `text` is the operator text of the change (tape error), if any.
// Called with the jobs mutex held.
void mover_changed(JobHost& s, const sm::MoverMachine& m, const std::string& text);

// MOVER_CONTINUE was accepted; `tape` is the drive the mover goes on with.
// Called with the jobs mutex held.
void mover_continued(JobHost& s, const std::string& tape);

// The DMA asked for job `job_id` and it was refused before it started
// (`reason` names the check, e.g. "SPACE_CHECK"; `text` is what the DMA was
// told): publishes "refused". The job never becomes the session's job.
// Callable with or without the jobs mutex.
void job_refused(JobHost& s, const std::string& job_id, events::JobKind kind, const std::string& source_path,
                 const std::string& reason, const std::string& text);

// A device the configuration offers failed in a way that is not the tape's
// or the DMA's doing: `reason` "DRIVE_OFFLINE" (a tape drive that cannot be
// opened or does not answer) or "CHANGER_NOT_RESPONDING" (a changer whose
// command timed out or whose transport failed). Published as an exception of
// the session's current job, or of no job (job_id "") when none runs, since
// a changer is mostly driven between jobs. Called without the jobs mutex.
void device_failed(JobHost& s, const std::string& reason, const std::string& device, const std::string& text);

// True when a device answer of category `c` means the device itself is gone
// or broken (hardware error, timeout, transport failure, node vanished), not
// a tape or request matter.
bool device_offline(dev::Category c);

// Job `job_id` is about to start despite a warning (`reason`
// "STORAGE_FULL": the Cloud Manager reported not enough space and the policy
// is warn): publishes an exception for it, before its "started".
void job_warned(JobHost& s, const std::string& job_id, events::JobKind kind, const std::string& source_path,
                const std::string& reason, const std::string& text);

// The drive reported TapeAlert `flags` during the job (jobs/tape_alert_report.h):
// they go into the job's later exception and halted events, merged with any
// seen before. Called without the jobs mutex.
void note_tape_alerts(JobHost& s, const std::vector<uint8_t>& flags);

// The id of this session's current job, or "" (tests and logs).
std::string current_job_id(JobHost& s);

}  // namespace report
}  // namespace ndmp::server
