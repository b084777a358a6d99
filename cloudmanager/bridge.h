// The Cloud Manager bridge: ndmpd as a "Streamer" reporting job status to a
// Cloud Manager over the 24-byte-header + protobuf protocol.
//
//   server threads                     report worker (connection 1)
//   publish(event) --append--> Journal --front()--> StreamerHello, then reports
//   space_check()  --> SpaceQuerier (connection 2, its own worker)
//                  <-- answer or deadline --    QueryBackupSpaceEnough
//
// Contract with the server (events/job_events.h):
//   - publish() never waits on the network: it journals the event (one
//     write() under the journal's lock, so the event outlives a crash of
//     ndmpd from then on), wakes the worker and returns. Progress events are
//     throttled here to one per job per progress_interval, by the events'
//     own timestamps; state changes and exceptions always go.
//   - space_check() answers within its deadline whatever the Cloud Manager
//     does, with the outcome in its own words (refused with the Cloud
//     Manager's error code, no answer within the deadline, not connected,
//     "not enough" with the figures), and `proceed` after the SpacePolicy:
//       refuse: only "enough" proceeds;
//       warn:   every outcome proceeds, the others logged as a warning;
//       skip:   proceeds at once, nothing is asked.
//   Space queries have their own connection (space_query.h says why), so a
//   slow answer to a report never holds a query up.
//
// Extensions are negotiated, never required. The first message on the report
// connection is StreamerHello (2700, an ndmpd extension). A Cloud Manager
// that accepts it gets the job status reports (2701-2703). One built to the
// protocol summary alone answers UnrecognizedCommand (or
// OperationNotSupported): the bridge then stays connected, marks the
// extension unavailable for this connection, and does not send reports, which
// such a Cloud Manager cannot take; the events published meanwhile leave the
// journal unsent (counted in `not_sent`) so the journal stays bounded. Space
// queries go on as before, since they are the summary's own command (the
// query itself carries job_uuid and backup_size: all the status the summary
// lets a Streamer carry). Every new connection asks again, so a Cloud Manager
// upgraded and restarted gets reports from then on.
//
// Delivery of reports: one request in flight at a time (the header has no
// request id, so a reply is matched by being the next frame and having the
// request's command). An event leaves the journal only on a reply with
// ErrorCode_Success; any other reply keeps it and retries after a growing
// pause; a lost connection reconnects with exponential backoff (reconnect_min
// doubling to reconnect_max) and re-sends from the oldest unacknowledged
// event, so delivery is in order and at least once, and the receiver drops
// repeats by (streamer_uuid, event_id). A reply not received within
// reply_timeout, or a bad frame, closes that connection only.
//
// Reload (reconfigure): the connection settings (BridgeConnection: address,
// port, name, space policy, reply timeout, reconnect pauses) may change while
// the bridge runs. The report worker takes the change between two exchanges,
// never inside one: a report in flight to the old Cloud Manager is answered
// (and leaves the journal) or is not (and stays), then the old connection is
// closed and the worker connects to the new address and sends everything
// still in the journal from the oldest unacknowledged event, with the same
// streamer_uuid and event ids. Nothing is lost, and a repeat is dropped by
// the receiver as after any reconnect. An empty address turns the bridge
// off: no connection, space checks not asked, reports kept in the journal
// (within journal_max_bytes) for the next address given.
//
// Threads: publish/space_check/stats/reconfigure from any thread; start/stop
// from the owner. The report worker owns its socket, the SpaceQuerier its own. Events
// published while stopped are journalled and sent after the next start.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cloudmanager/config.h"
#include "cloudmanager/frame.h"
#include "cloudmanager/journal.h"
#include "cloudmanager/link.h"
#include "cloudmanager/space_query.h"
#include "cloudmanager/status.h"
#include "events/job_events.h"

namespace ndmp::cm {

// Whether the connected Cloud Manager takes the job status extension.
enum class Extension {
  unknown,      // not connected yet
  accepted,     // StreamerHello answered Success: reports are sent
  unavailable,  // StreamerHello answered UnrecognizedCommand/OperationNotSupported
};
const char* to_string(Extension e);

struct BridgeStats {
  bool connected = false;
  uint64_t connects = 0;      // successful connections (hello acknowledged)
  uint64_t delivered = 0;     // events acknowledged since start
  std::size_t pending = 0;    // events in the journal waiting for an ack
  uint64_t dropped = 0;       // progress events dropped for the journal bound
  Extension extension = Extension::unknown;
  uint64_t not_sent = 0;      // events the Cloud Manager could not take (no extension)
};

class Bridge final : public events::JobEventSink {
 public:
  explicit Bridge(BridgeConfig config);
  ~Bridge() override;  // stop()s
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Opens the journal and starts the worker (which connects in the
  // background). An error means the configuration or the journal is unusable;
  // an unreachable Cloud Manager is not an error.
  Status start();
  // Stops the worker and closes the connection; the journal stays open so
  // publish() keeps recording. Idempotent.
  void stop();

  // Takes `next` as the connection settings from the next exchange on (see
  // the top of this file). An error (check_connection's words) changes
  // nothing. Returns at once; the switch happens on the worker.
  Status reconfigure(const BridgeConnection& next);

  void publish(const events::JobEvent& event) override;
  // False while off (reconfigured with an empty address): nobody is asked.
  bool answers_space_checks() const override { return !off_; }
  events::SpaceAnswer space_check(const std::string& job_id, uint64_t estimated_bytes,
                                  std::chrono::milliseconds deadline) override;

  BridgeStats stats() const;

 private:
  void run();
  Status connect_and_hello();
  void close_connection(const std::string& why);
  bool exchange(const std::string& request, wire::Command command, Frame& reply);
  void send_event(const JournalEntry& entry);
  void set_aside(const JournalEntry& entry);
  void pause(std::chrono::milliseconds d);
  void read_idle();
  void apply_reconfigure();

  const BridgeConfig cfg_;
  std::unique_ptr<Journal> journal_;
  int wake_fd_ = -1;
  std::thread worker_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};

  SpaceQuerier space_;

  // Report-worker-only state.
  BridgeConnection conn_;  // the settings in use (cfg_'s until a reconfigure)
  Link link_;
  std::chrono::milliseconds refuse_pause_{0};
  bool unreachable_logged_ = false;

  mutable std::mutex mu_;  // guards what follows
  std::map<std::string, std::chrono::system_clock::time_point> last_progress_;
  std::optional<BridgeConnection> next_conn_;  // reconfigured, not yet taken by the worker
  std::atomic<bool> reconfigure_pending_{false};
  std::atomic<bool> off_{false};
  std::atomic<SpacePolicy> space_policy_;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> connects_{0};
  std::atomic<uint64_t> delivered_{0};
  std::atomic<Extension> extension_{Extension::unknown};
  std::atomic<uint64_t> not_sent_{0};
};

}  // namespace ndmp::cm
