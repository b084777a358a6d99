// The control connections of one backup or restore, and what the job loop
// does with them whatever the job is.
//
//   two-way   (--server, or --data-server == --tape-server): ONE connection;
//             DATA and MOVER of the same session meet over a LOCAL data
//             connection (MOVER_LISTEN(LOCAL), DATA_CONNECT(LOCAL)).
//   three-way (--data-server A --tape-server B): two connections; MOVER_LISTEN
//             (TCP) on B, DATA_CONNECT to that address on A; the DMA forwards
//             A's NOTIFY_DATA_READ to B as MOVER_READ (SPEC4 3.5.2.4, facts 6.10).
//
// Posts (NOTIFY, LOG, FH) arrive on either connection at any time, also while
// a request waits for its reply (client::Client queues them); pump() hands
// them over in arrival order per connection.
// Threads: the job thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "tools/client/client.h"
#include "tools/ndmpctl/outcome.h"
#include "tools/ndmpctl/server_link.h"

namespace ndmp::ctl {

enum class Side { data, tape };

class JobLink {
 public:
  // One connection for both sides.
  JobLink(std::unique_ptr<client::Client> both, std::string who);
  // Two connections (three-way).
  JobLink(std::unique_ptr<client::Client> data, std::string data_who, std::unique_ptr<client::Client> tape,
          std::string tape_who);

  client::Client& data() { return *data_; }
  client::Client& tape() { return tape_ ? *tape_ : *data_; }
  bool three_way() const { return tape_ != nullptr; }
  const std::string& data_who() const { return data_who_; }
  const std::string& tape_who() const { return tape_ ? tape_who_ : data_who_; }

  // A request of the running job: a lost connection is Exit::connection, an
  // NDMP error Exit::job ("MOVER_LISTEN: NDMP_ILLEGAL_STATE_ERR (tape server h:p)").
  Result<client::CallResult> call(Side side, uint32_t code, const msg::Body& req);
  Result<client::CallResult> call(Side side, uint32_t code) { return call(side, code, msg::Empty{}); }

  // Waits up to `budget` for posts and hands each to `handle`; returns early
  // after the first batch. Posts queued during calls come first.
  void pump(std::chrono::milliseconds budget, const std::function<void(Side, const xdr::Message&)>& handle);

 private:
  std::unique_ptr<client::Client> data_, tape_;
  std::string data_who_, tape_who_;
};

// The two peers of a job: `data_server` / `tape_server` ("HOST[:PORT]", port
// 10000 when absent) when given, else `base` (--server) for that side; user,
// password, auth and version are `base`'s for both. usage() when a side has
// no server (base.host empty and no override).
Outcome job_servers(const ServerOptions& base, const std::string& data_server, const std::string& tape_server,
                    ServerOptions& data, ServerOptions& tape);
// Logs in to both; one connection when they name the same server.
Result<std::unique_ptr<JobLink>> connect_job(const ServerOptions& data, const ServerOptions& tape);

// The MOVER's half of a job start (facts 6.7, "order of calls"): v4 sets the
// window while IDLE, then MOVER_LISTEN; v2/v3 listen first, then set the
// window. LOCAL for a two-way job, TCP for three-way. Returns the address
// the data service must connect to.
Result<msg::Addr> start_mover(JobLink& link, msg::MoverMode mode, uint64_t window_offset, uint64_t window_length);
// DATA_CONNECT to `addr` (v3/v4; v2 carries the address in DATA_START_*).
Outcome connect_data(JobLink& link, const msg::Addr& addr);

// "SUCCESSFUL", "CONNECT_CLOSED", ... (the protocol's names).
const char* halt_name(msg::DataHaltReason r);
const char* halt_name(msg::MoverHaltReason r);
const char* pause_name(msg::MoverPauseReason r);

}  // namespace ndmp::ctl
