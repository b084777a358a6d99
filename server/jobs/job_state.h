// The DATA and MOVER services of one session: their state machines, the
// variables GET_STATE reports, the data connection, and the worker threads.
//
//   DMA requests (session thread) ──lock mu──> audit, machine.check, act, machine.apply
//   mover worker  (tape <-> channel)  ──lock mu──> apply pause/halt events, post
//   data worker   (backup engine)     ──lock mu──> apply completed/error, post
//   acceptor      (LISTEN)            ──lock mu──> apply peer_connected
//                 (the mover's acceptor then runs the mover: one thread)
//
// LISTEN over TCP: the peer's connection may sit in the accept queue when the
// DMA's next request arrives (its DATA_CONNECT or MOVER_CONNECT returned, so
// the DMA followed the protocol's order). Such a request is served as if the
// connection were taken: settle() waits, without a timeout, for the acceptor
// that is certain to take it (PeerTake). Never a timed wait, never
// ILLEGAL_STATE for a DMA that did things in order.
//
// One mutex serialises every machine call (the machines themselves are not
// thread-safe); workers wait on `cv` for MOVER_READ, CONTINUE, ABORT, STOP.
// Posts owed by a request go after its reply (JobHost::queue_post); posts
// owed by a worker's event go out at once (JobHost::send_post).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backup/backup_engine.h"
#include "common/house_rule.h"
#include "backup/restore_engine.h"
#include "server/datapath/channel.h"
#include "snapshot/backup_source.h"
#include "statemachine/data_machine.h"
#include "statemachine/mover_machine.h"
#include "xdr/model.h"

namespace ndmp::server {

class JobHost;
class TapeService;
namespace report {
struct Job;  // server/jobs/job_reporter.cc
}

inline constexpr uint64_t kInfinity = ~uint64_t{0};

struct MoverVars {
  uint32_t record_size = 10240;  // persists across jobs (SPEC4); ndmjob's default
  uint64_t window_offset = 0;
  uint64_t window_length = kInfinity;
  uint64_t record_num = 0;
  uint64_t bytes_moved = 0;
  uint64_t seek_position = 0;
  uint64_t bytes_left_to_read = 0;
  msg::AddrType addr_type = msg::AddrType::local;
};

struct DataVars {
  uint64_t bytes_processed = 0;
  uint64_t files_processed = 0;  // archive entries written or restored, set when the engine ends (job journal line)
  uint64_t est_bytes_remain = 0;
  bool estimate_valid = false;
  uint64_t read_offset = 0, read_length = 0;
  msg::AddrType addr_type = msg::AddrType::local;
  std::vector<msg::Pval> env;  // as the DMA sent it, plus what the backup added
  std::string halt_text;
};

// The take of one TCP peer by its acceptor thread. All fields under the jobs
// mutex.
struct PeerTake {
  bool pending = false;  // an acceptor will take the listener's peer or give up
  bool taking = false;   // the acceptor is between wait_ready() and applying the peer
};

struct SessionJobs {
  // The service mutex (common/house_rule.h): no I/O while it is held.
  house::ServiceMutex mu;
  house::ServiceCondition cv;

  // Created on first use, at the negotiated version.
  std::optional<sm::MoverMachine> mover;
  std::optional<sm::DataMachine> data;
  sm::MoverMachine& mover_machine(int version);
  sm::DataMachine& data_machine(int version);

  // MOVER
  MoverVars mv;
  std::shared_ptr<Channel> mover_channel;
  std::unique_ptr<TcpListener> mover_listener;
  std::shared_ptr<TapeService> mover_tape;  // the tape the job uses
  std::thread mover_worker;  // also its acceptor, for a TCP LISTEN
  bool mover_wake = false;  // a request the worker must look at arrived

  // DATA
  DataVars dv;
  std::shared_ptr<Channel> data_channel;
  std::unique_ptr<TcpListener> data_listener;
  std::thread data_worker;
  std::thread data_acceptor;
  backup::BackupEngine* backup_engine = nullptr;   // valid while the worker runs
  backup::RestoreEngine* restore_engine = nullptr;

  // LOCAL data connection waiting for its other side (the side that listened).
  std::shared_ptr<Channel> pending_local_for_data;
  std::shared_ptr<Channel> pending_local_for_mover;
  bool data_listening_local = false;
  bool mover_listening_local = false;

  // The job this session's DATA operation reports (server/jobs/job_reporter.h).
  // Its own small mutex, taken after `mu` when both are held and only to
  // copy or swap the pointer.
  struct ReportSlot {
    std::mutex mu;
    std::shared_ptr<report::Job> job;
  } report;

  PeerTake mover_take;
  PeerTake data_take;
  // Called first by every handler holding `lock` (the jobs mutex): if a
  // peer is connected but not yet taken, waits until its acceptor took it.
  void settle_mover(house::ServiceLock& lock);
  void settle_data(house::ServiceLock& lock);

  // True while the MOVER is LISTEN or ACTIVE: the tape belongs to it then.
  bool mover_holds_tape();
  // Halts any running DATA or MOVER operation and waits for its threads.
  // Called when the session ends (the DMA's connection dropped or closed).
  void shutdown(JobHost& s);

  // Joins finished threads (called before starting new ones and on STOP).
  void join_mover_threads();
  void join_data_threads();
};

// A state-machine error as the NDMP error (the numbers are the protocol's).
inline msg::Error ndmp_error(sm::Error e) { return static_cast<msg::Error>(static_cast<uint32_t>(e)); }

// A one-entry TCP address, as GET_STATE and LISTEN replies carry it.
inline msg::Addr tcp_addr(uint32_t ip, uint16_t port) {
  msg::Addr a;
  a.type = msg::AddrType::tcp;
  a.tcp.push_back({ip, port, {}});
  return a;
}

// Turns state-machine notifications into posts: queued after the current
// reply when `after_reply`, else sent now.
void post_notifications(JobHost& s, const std::vector<sm::Notification>& notes, bool after_reply,
                        const std::string& text = {});

// Workers (server/jobs/mover_worker.cc, server/jobs/data_worker.cc). Started with the
// session's jobs mutex held; they take it themselves as needed.
void start_mover_worker(JobHost& s);
// MOVER_LISTEN over TCP: one thread takes the peer, then moves the data.
void start_mover_acceptor(JobHost& s);
// Blocks until `l`'s peer waits, then takes it, marking `t.taking` under
// the jobs mutex in between (nullptr if the listener was cancelled). The
// caller then, under the mutex, clears `t`, applies the connection and
// notifies `cv`.
std::shared_ptr<Channel> take_peer(SessionJobs& j, TcpListener& l, PeerTake& t);
// `plan`: the snapshot or the live tree, made and removed by the worker around the walk.
void start_data_backup(JobHost& s, backup::BackupRequest req, snapshot::SourcePlan plan);
void start_data_recover(JobHost& s, backup::RestoreRequest req, bool direct, sm::DataEvent op);

}  // namespace ndmp::server
