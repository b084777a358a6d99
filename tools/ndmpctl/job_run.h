// The loop every job runs once DATA and MOVER are started, after ndmjob's
// DMA (facts 6.9): take posts as they come, ask DATA_GET_STATE and
// MOVER_GET_STATE about once a second (progress, and the halts a lost post
// would hide), and stop when the job's end condition holds.
//
// Posts are dispatched by message number in one table (kPostTable in
// job_run.cc); what a backup or a restore does with them is in the
// subclasses' hooks. A hook that fails sets the outcome and the loop ends;
// wind_down() then aborts what still runs and brings both machines back to
// IDLE (DATA_STOP, MOVER_STOP), so the server is left ready for the next job.
// Threads: the job thread only.
#pragma once

#include <string>
#include <vector>

#include "tools/ndmpctl/job_link.h"
#include "tools/ndmpctl/job_media.h"
#include "tools/ndmpctl/progress.h"

namespace ndmp::ctl {

class JobRun {
 public:
  JobRun(JobLink& link, JobMedia& media, Progress& progress) : link_(link), media_(media), progress_(progress) {}
  virtual ~JobRun() = default;

  // Runs until finished() or a failure. The outcome is the loop's own
  // (connection lost, a pause that could not be served); whether the job
  // succeeded is for the caller to judge from data_state()/mover_state().
  Outcome run();
  // Aborts a side that has not halted, waits for both to halt, then
  // DATA_STOP and MOVER_STOP. Errors here only add to reasons().
  void wind_down();

  const msg::DataGetStateReply& data_state() const { return data_; }
  const msg::MoverGetStateReply& mover_state() const { return mover_; }
  // What the servers said went wrong: halt texts, LOG_MESSAGE errors.
  const std::vector<std::string>& reasons() const { return reasons_; }
  // "DATA halted INTERNAL_ERROR, MOVER halted ABORTED: <reasons>"
  std::string halt_summary() const;
  // After Ctrl-C, wind_down() and the unload: asks the servers whether both
  // sides are idle again, and says so and where the tape is.
  std::string interrupted_summary(const Outcome& unloaded, bool loaded);

  // Handlers of the post table (public for the table only).
  void post_log_message(Side, const xdr::Message&);
  void post_log_log(Side, const xdr::Message&);
  void post_data_halted(Side, const xdr::Message&);
  void post_mover_halted(Side, const xdr::Message&);
  void post_mover_paused(Side, const xdr::Message&);
  void post_other(Side, const xdr::Message& m) { on_post(m); }

 protected:
  // File history, LOG_FILE, NOTIFY_DATA_READ: the job's own business.
  virtual void on_post(const xdr::Message&) {}
  // NOTIFY_MOVER_PAUSED: change tapes and MOVER_CONTINUE, or MOVER_CLOSE.
  virtual Outcome on_pause(const msg::NotifyMoverPausedPost& p) = 0;
  // True when the loop may end (both halted for a backup, DATA for a restore).
  virtual bool finished() const = 0;
  // Stops the loop with `o` (first failure wins).
  void fail(Outcome o) {
    if (failure_.ok()) failure_ = std::move(o);
  }
  Outcome poll_states();
  ProgressSnapshot snapshot() const;

  JobLink& link_;
  JobMedia& media_;
  Progress& progress_;
  msg::DataGetStateReply data_;
  msg::MoverGetStateReply mover_;
  bool data_halt_post_ = false, mover_halt_post_ = false;
  std::vector<std::string> reasons_;
  Outcome failure_;

 private:
  std::vector<msg::NotifyMoverPausedPost> pauses_;
};

}  // namespace ndmp::ctl
