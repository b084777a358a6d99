// The composition root: builds a running server from a Config (users,
// devices — emulated library, named SG devices, discovered ones — and the
// optional Cloud Manager bridge) and serves DMAs until stopped. ndmpd's
// main() and the tests build the server the same way, through this class.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/context/config.h"
#include "server/context/context.h"
#include "events/tee_sink.h"
#include "server/jobs/job_event_queue.h"
#include "server/session/dispatch.h"

namespace ndmp::cm {
class Bridge;
}

namespace ndmp::server {

class Server {
 public:
  explicit Server(Config config);
  ~Server();

  // Loads users and devices, starts the Cloud Manager bridge when
  // cloudmanager.address is set (a bad bridge configuration or an unusable
  // journal is an error; an unreachable Cloud Manager is not: the bridge
  // connects in the background) and binds the listen sockets. Returns an
  // operator-readable error, or empty on success.
  std::string start();
  // Accepts connections until stop() (from another thread or a signal).
  void serve();
  // Stops accepting and ends the sessions. The bridge keeps running until
  // the Server is destroyed, so the halts of jobs ended by stop() are
  // journalled and, while the Cloud Manager answers, sent.
  void stop();
  // Blocks until at most `n` sessions run: a session counts until its thread
  // has released everything it held (devices, jobs, its descriptor).
  void wait_sessions_at_most(int n);

  // Ports actually bound (after start(); useful when configured with port 0).
  std::vector<uint16_t> bound_ports() const { return ports_; }
  ServerContext& context() { return *ctx_; }
  // The bridge, when cloudmanager.address was set at start or by a reload
  // since; else null. Any thread.
  cm::Bridge* bridge() { return live_bridge_.load(); }
  // Reload (ops/reload.h): the Cloud Manager connection settings of `c`
  // (address, port, name, space_policy, reply_timeout, reconnect_*) take
  // effect: the running bridge moves (cm::Bridge::reconfigure), or one is
  // started when ndmpd started without a Cloud Manager. The identity and the
  // journal stay as started. Returns an operator-readable error, and then
  // nothing changed. From one thread at a time (ndmpd's signal thread).
  std::string reconfigure_cloudmanager(const Config& c);
  // Job events on their way to the bridge and the observer (null without either).
  JobEventQueue* job_events() { return job_events_.get(); }
  // Before start(): one more observer of every job event (ops/job_observer.h:
  // journal fields, metrics, service status). It sees the events on the
  // queue's thread, never under a session's lock, and must outlive the Server.
  void observe_jobs(events::JobEventSink& observer) { observer_ = &observer; }

 private:
  void session_ended();
  // Front door for one accepted connection: lockout, admission, its thread.
  void admit(int fd, const sockaddr_storage& peer);

  std::unique_ptr<ServerContext> ctx_;
  // Every interface's handlers, indexed once and shared by all sessions.
  const DispatchIndex dispatch_;
  // Declared after ctx_, so destroyed before it; ctx_->jobs points here.
  std::unique_ptr<cm::Bridge> bridge_;
  std::atomic<cm::Bridge*> live_bridge_{nullptr};  // bridge_.get(), for readers on other threads
  events::JobEventSink* observer_ = nullptr;
  std::unique_ptr<events::TeeSink> tee_;       // observer_ and bridge_, when there is an observer
  std::unique_ptr<JobEventQueue> job_events_;  // between the sessions and bridge_ (or tee_)
  std::vector<int> listen_fds_;
  std::vector<uint16_t> ports_;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  int running_sessions_ = 0;  // under sessions_mutex_; ~Server waits on sessions_done_ for 0
  std::condition_variable sessions_done_;
  std::mutex sessions_mutex_;
  std::set<int> session_fds_;  // shut down on stop() so blocked sessions end
};

}  // namespace ndmp::server
