// cmsim: a Cloud Manager simulator speaking the same protocol as the bridge
// (cloudmanager/), for tests, demos, and operators who want to see what
// ndmpd would send.
//
// It accepts Streamer connections, validates every frame with the same codec,
// records every message it receives as one JSON line, and answers:
//   StreamerHello            Success
//   QueryBackupSpaceEnough   enough = (backup_size <= free space), free_size
//   ReportJob*               Success; a repeat of (streamer_uuid, event_id)
//                            is acknowledged again and recorded as a duplicate
//   anything else            ErrorCode_UnrecognizedCommand
// A frame the codec rejects is recorded ("bad_frame") and closes that
// connection only.
//
// It can be told (methods here, flags and stdin commands in main.cc) to
// refuse (answer the command's own *Failed error code), delay each reply,
// disconnect after some more messages without answering the last, drop all
// connections, and go away (stop listening) and come back on the same port.
//
// JSON line fields: seq, time (s), peer, version, data_type, direction,
// command, command_number, error_code, flags1, body_length, body (the
// protobuf as JSON, proto field names), duplicate, answer (error code sent
// back, or "none: disconnected"/"none: bad frame"), bad_frame (reason).
//
// Threads: one accept thread and one thread per connection, all owned here;
// every public method is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cloudmanager/frame.h"
#include "cloudmanager/status.h"

namespace ndmp::cmsim {

struct SimConfig {
  std::string address = "127.0.0.1";
  uint16_t port = 0;                         // 0 = any free port (see port())
  int64_t free_bytes = int64_t{1} << 40;     // what QueryBackupSpaceEnough compares with
  std::string record_path;                   // JSON lines; "" = none, "-" = stdout
  int32_t max_body = cm::kDefaultMaxBody;
};

struct Received {
  uint64_t seq = 0;                          // arrival order, from 1
  cm::wire::Command command = cm::wire::Command_None;
  std::string body;                          // the raw protobuf body
  std::string streamer_uuid;                 // for StreamerHello and ReportJob*
  int64_t event_id = 0;                      // for ReportJob*
  bool duplicate = false;
  cm::wire::ErrorCode answer = cm::wire::ErrorCode_Success;
  bool answered = true;                      // false: disconnected instead
  std::string json;                          // the recorded line
};

class Simulator {
 public:
  explicit Simulator(SimConfig config);
  ~Simulator();  // stop()s
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  cm::Status start();
  void stop();
  uint16_t port() const { return port_; }

  // Control.
  void set_free_space(int64_t bytes);
  void set_refuse(bool refuse);
  void set_delay(std::chrono::milliseconds delay);
  // The n-th message from now is recorded but not answered: its connection
  // is closed instead (0 = never).
  void set_disconnect_after(int n);
  void disconnect_all();
  void go_away();              // stop listening, drop every connection
  cm::Status come_back();      // listen again on the same port

  // Observation.
  std::vector<Received> received() const;
  // Job status reports, duplicates left out, in arrival order.
  std::vector<Received> events() const;
  std::size_t connections_accepted() const;
  // Waits until `pred` holds (checked at every received message and on
  // timeout); true when it did.
  bool wait_until(const std::function<bool(const Simulator&)>& pred, std::chrono::milliseconds timeout) const;

 private:
  struct Conn {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  cm::Status listen_locked();
  void accept_loop(int listen_fd, int wake_fd);
  void serve(Conn* conn);
  // Returns false when the connection must close without a reply.
  bool handle(const cm::Frame& f, const std::string& peer, cm::Header& reply, std::string& reply_body);
  void record(Received r, const std::string& json_line);
  void drop_connections();
  void reap_locked();

  const SimConfig cfg_;
  std::atomic<uint16_t> port_{0};
  std::atomic<int64_t> free_bytes_;
  std::atomic<bool> refuse_{false};
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<int> disconnect_after_{0};
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  int listen_fd_ = -1;
  int accept_wake_ = -1;
  std::thread acceptor_;
  std::list<Conn> conns_;
  std::size_t accepted_ = 0;
  std::vector<Received> received_;
  std::set<std::pair<std::string, int64_t>> seen_events_;
  FILE* record_ = nullptr;
};

}  // namespace ndmp::cmsim
