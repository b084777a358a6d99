// Backup space queries (QueryBackupSpaceEnough, 1606) on a connection of
// their own, with a worker thread of their own.
//
// Why a second connection rather than priority on the report connection: the
// header has no request id, so a connection carries one request at a time,
// and a query given priority would still wait for the reply to a report
// already in flight (up to the reply timeout). On its own connection a query
// never waits behind a report, whatever the Cloud Manager does with reports,
// and a Cloud Manager that knows nothing but the protocol summary's commands
// is asked exactly as any other: no StreamerHello is sent here, the query
// carries streamer_uuid itself.
//
// The connection is opened when the first query comes and kept; a query not
// answered by its deadline closes it (a late answer would otherwise answer
// the next query), and the next query opens a new one. Queries are asked one
// at a time in arrival order; one whose asker has given up is not sent.
//
// A reload that moves the Cloud Manager (retarget) takes effect between two
// queries: a query in flight is answered (or times out) on the old
// connection, the next one connects to the new address.
//
// Threads: ask() and retarget() from any thread; start/stop from the owner.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cloudmanager/config.h"
#include "cloudmanager/link.h"
#include "cloudmanager/status.h"
#include "events/job_events.h"

namespace ndmp::cm {

class SpaceQuerier {
 public:
  explicit SpaceQuerier(const BridgeConfig& cfg);
  ~SpaceQuerier();  // stop()s
  SpaceQuerier(const SpaceQuerier&) = delete;
  SpaceQuerier& operator=(const SpaceQuerier&) = delete;

  Status start();
  void stop();

  // Asks and waits at most `deadline`. The answer's outcome and words are
  // filled; `proceed` is left to the caller (the policy is not applied here).
  events::SpaceAnswer ask(const std::string& job_id, uint64_t bytes, std::chrono::milliseconds deadline);

  // The next query goes to `c`'s address, with its reply timeout.
  void retarget(const BridgeConnection& c);

 private:
  struct Request;
  void run();
  std::shared_ptr<Request> take();
  void serve(Request& r);
  void apply_retarget();

  const BridgeConfig& cfg_;  // streamer_uuid and max_body; the rest may be retargeted
  Link link_;  // worker-only
  std::chrono::milliseconds io_timeout_;  // worker-only
  int wake_fd_ = -1;
  std::thread worker_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};

  std::mutex mu_;  // guards requests_, where_ and next_
  std::deque<std::shared_ptr<Request>> requests_;
  std::string where_;  // "address:port" asked, for the askers' words
  std::optional<BridgeConnection> next_;  // a retarget the worker has not applied yet
};

// Operator words for each outcome (also used by the bridge's log).
std::string space_words(const events::SpaceAnswer& a, std::chrono::milliseconds deadline);

}  // namespace ndmp::cm
