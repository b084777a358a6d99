// cmsim: a Cloud Manager simulator speaking the same protocol as the bridge
// (cloudmanager/), for tests, demos, and operators who want to see what
// ndmpd would send.
//
// It accepts Streamer connections, validates and decodes every frame with a
// codec of its own (own_codec.h: written from the protocol summary's tables,
// not cloudmanager/'s codec, so a mistake in either shows as a disagreement),
// records every message it receives as one JSON line, and answers:
//   StreamerHello            Success
//   QueryBackupSpaceEnough   enough = (backup_size <= free space), free_size
//   ReportJob*               Success; a repeat of (streamer_uuid, event_id)
//                            is acknowledged again and recorded as a duplicate
//   anything else            ErrorCode_UnrecognizedCommand
// Told to be seed-only, it is a Cloud Manager built to the protocol summary
// alone: it knows QueryBackupSpaceEnough and answers the extension's commands
// (StreamerHello, ReportJob*) with UnrecognizedCommand.
// A frame the decoder rejects is recorded ("bad_frame") and closes that
// connection only.
//
// It can be told (methods here, flags and stdin commands in main.cc) to
// refuse (answer the command's own *Failed error code), answer space queries
// with a chosen error code, leave space queries or reports unanswered
// (connection kept open), delay each reply,
// disconnect after some more messages without answering the last, drop all
// connections, and go away (stop listening) and come back on the same port.
//
// JSON line fields: seq, time (s), peer, version, data_type, direction and
// error_code (numbers as on the wire), command (name, or "unknown"),
// command_number, flags1, body_length, body (as the own decoder read it, by
// field name), duplicate, answer (error code sent back, or "none:
// disconnected" / "none: silent" / "none: bad frame"), bad_frame (reason).
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
#include "tools/cmsim/own_codec.h"

namespace ndmp::cmsim {

struct SimConfig {
  std::string address = "127.0.0.1";
  uint16_t port = 0;                         // 0 = any free port (see port())
  int64_t free_bytes = int64_t{1} << 40;     // what QueryBackupSpaceEnough compares with
  std::string record_path;                   // JSON lines; "" = none, "-" = stdout
  int32_t max_body = cm::kDefaultMaxBody;
  bool seed_only = false;                    // knows only the protocol summary's commands
};

struct Received {
  uint64_t seq = 0;                          // arrival order, from 1
  cm::wire::Command command = cm::wire::Command_None;
  std::string body;                          // the raw protobuf body
  std::string streamer_uuid;                 // for StreamerHello and ReportJob*
  int64_t event_id = 0;                      // for ReportJob*
  bool duplicate = false;
  cm::wire::ErrorCode answer = cm::wire::ErrorCode_Success;
  bool answered = true;                      // false: disconnected, or left silent, instead
  bool silent = false;                       // left unanswered on purpose (connection kept)
  std::string json;                          // the recorded line
  own::Body fields;                          // the body, decoded by cmsim's own decoder

  // A decoded field: "" / 0 / {} when absent.
  std::string str(const std::string& name) const;
  int64_t num(const std::string& name) const;
  std::vector<int64_t> nums(const std::string& name) const;
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
  void set_seed_only(bool seed_only);
  // Space queries answered with this error code and no body (0 = answered).
  void set_query_error(int32_t error_code);
  // Recorded and never answered (the connection stays open).
  void set_query_silent(bool silent);
  void set_report_silent(bool silent);  // ReportJob* only
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
  enum class Action { reply, silent, disconnect };
  Action handle(const own::Header& h, const std::string& body, const std::string& peer, own::Header& reply,
                std::string& reply_body);
  void record(Received r, const std::string& json_line);
  void drop_connections();
  void reap_locked();

  const SimConfig cfg_;
  std::atomic<uint16_t> port_{0};
  std::atomic<int64_t> free_bytes_;
  std::atomic<bool> refuse_{false};
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<int> disconnect_after_{0};
  std::atomic<bool> seed_only_{false};
  std::atomic<int32_t> query_error_{0};
  std::atomic<bool> query_silent_{false};
  std::atomic<bool> report_silent_{false};
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
