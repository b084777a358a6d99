// The Cloud Manager bridge: ndmpd as a "Streamer" reporting job status to a
// Cloud Manager over the 24-byte-header + protobuf protocol.
//
//   server threads                         bridge worker thread
//   publish(event) --append--> Journal --front()--> send, wait for reply
//   space_check()  --queue---> requests ----------> QueryBackupSpaceEnough
//                  <--answer or deadline---------
//
// Contract with the server (events/job_events.h):
//   - publish() never waits on the network: it journals the event (one
//     write() under the journal's lock, so the event outlives a crash of
//     ndmpd from then on), wakes the worker and returns. Progress events are
//     throttled here to one per job per progress_interval, by the events'
//     own timestamps; state changes and exceptions always go.
//   - space_check() answers within its deadline whatever the Cloud Manager
//     does, after applying the configured SpacePolicy:
//       refuse: enough, or not_enough / no_answer (the server then refuses the
//               backup with an NDMP error, and the bridge has logged why);
//       warn:   not enough or silence is logged as a warning, answer enough;
//       skip:   answer enough at once, nothing is asked.
//
// Delivery: one connection, one request in flight at a time (the header has
// no request id, so a reply is matched by being the next frame and having the
// request's command). The first message on a connection is StreamerHello.
// An event leaves the journal only on a reply with ErrorCode_Success; any
// other reply keeps it and retries after a growing pause; a lost connection
// reconnects with exponential backoff (reconnect_min doubling to
// reconnect_max) and re-sends from the oldest unacknowledged event, so
// delivery is in order and at least once, and the receiver drops repeats by
// (streamer_uuid, event_id). A bad frame from the Cloud Manager is logged and
// closes that connection only.
//
// Threads: publish/space_check/stats from any thread; start/stop from the
// owner. The worker owns the socket. Events published while stopped are
// journalled and sent after the next start.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cloudmanager/config.h"
#include "cloudmanager/frame.h"
#include "cloudmanager/journal.h"
#include "cloudmanager/status.h"
#include "events/job_events.h"

namespace ndmp::cm {

struct BridgeStats {
  bool connected = false;
  uint64_t connects = 0;      // successful connections (hello acknowledged)
  uint64_t delivered = 0;     // events acknowledged since start
  std::size_t pending = 0;    // events in the journal waiting for an ack
  uint64_t dropped = 0;       // progress events dropped for the journal bound
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

  void publish(const events::JobEvent& event) override;
  events::SpaceAnswer space_check(const std::string& job_id, uint64_t estimated_bytes,
                                  std::chrono::milliseconds deadline) override;

  BridgeStats stats() const;

 private:
  struct SpaceRequest;

  void run();
  Status connect_and_hello();
  void close_connection(const std::string& why);
  bool exchange(const std::string& request, wire::Command command, Frame& reply);
  void send_event(const JournalEntry& entry);
  void ask_space(const std::shared_ptr<SpaceRequest>& request);
  std::shared_ptr<SpaceRequest> take_space_request();
  void fail_space_requests(const std::string& why);
  void pause(std::chrono::milliseconds d);
  void read_idle();

  const BridgeConfig cfg_;
  std::unique_ptr<Journal> journal_;
  int wake_fd_ = -1;
  std::thread worker_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};

  // Worker-only state.
  int fd_ = -1;
  FrameBuffer in_{FrameRules{}};
  std::chrono::milliseconds refuse_pause_{0};
  bool unreachable_logged_ = false;

  mutable std::mutex mu_;  // guards what follows
  std::deque<std::shared_ptr<SpaceRequest>> space_requests_;
  std::map<std::string, std::chrono::system_clock::time_point> last_progress_;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> connects_{0};
  std::atomic<uint64_t> delivered_{0};
};

}  // namespace ndmp::cm
