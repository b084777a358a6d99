// The data connection between a DATA service and a MOVER: the backup image
// stream. In one ndmpd session (NDMP LOCAL addresses) it is an in-process
// bounded pipe; between two servers (three-way, NDMP TCP addresses) it is a
// TCP connection. Both look the same to the services.
//
// Threads: one reader thread and one writer thread may use an endpoint at the
// same time; shutdown() may be called from any thread and unblocks both.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace ndmp::server {

class Channel {
 public:
  virtual ~Channel() = default;
  // Reads what is available, blocking until at least one byte: > 0 bytes,
  // 0 = the peer finished sending (end of stream), < 0 = failed or shut down.
  virtual long read(std::span<uint8_t> buf) = 0;
  // Zero-copy reading, offered by the in-process pipe (the mover writes tape
  // records straight from its ring): blocks until `want` bytes are there,
  // the stream ended or failed; points `data` at them and returns how many
  // can be seen in one piece (fewer than `want` at the end of the stream or
  // where the ring wraps), 0 at end of stream, < 0 failed or shut down. The
  // bytes stay put until consume(). Channels without it return -2.
  virtual long view(size_t want, const uint8_t*& data) {
    (void)want;
    data = nullptr;
    return kNoView;
  }
  virtual void consume(size_t n) { (void)n; }
  // The same, but returns as soon as anything is there (up to `most` bytes
  // in one piece), like read(): a restore must not wait for more bytes than
  // the mover may send before the DMA acts (the end of a tape file).
  virtual long view_some(size_t most, const uint8_t*& data) {
    (void)most;
    data = nullptr;
    return kNoView;
  }
  static constexpr long kNoView = -2;
  // Writes everything or fails (peer gone, shut down).
  virtual bool write_all(std::span<const uint8_t> data) = 0;
  // This side will send no more (end of stream for the peer).
  virtual void close_write() = 0;
  // After close_write(): blocks until the reading end is done with the
  // stream (in one session: the mover has written the last record and
  // halted) or the channel was shut down. At once where the peer cannot be
  // seen (TCP). A backup's DATA halts only then, so NOTIFY_DATA_HALTED
  // follows NOTIFY_MOVER_HALTED and a DMA that acts on the DATA's halt finds
  // the mover halted too (ndmjob otherwise waits out a 2 s poll).
  // false when the channel was shut down instead (the mover failed, e.g. on
  // a tape error, with part of the stream still in the buffer): the backup
  // did not reach the tape whole, however well the engine did.
  virtual bool await_reader() { return true; }
  // Abort both directions now; blocked calls return failure.
  virtual void shutdown() = 0;
  // "LOCAL" or "tcp 192.0.2.1:40000", for logs.
  virtual std::string describe() const = 0;
  // The peer's IPv4 address and port for GET_STATE (0 for LOCAL).
  virtual uint32_t peer_ip() const { return 0; }
  virtual uint16_t peer_port() const { return 0; }
};

// A bounded in-process pipe: a writer endpoint and a reader endpoint. The
// bound keeps memory per job fixed whatever the backup size; a full pipe
// blocks the writer (the backup engine) until the mover drains it.
std::pair<std::shared_ptr<Channel>, std::shared_ptr<Channel>> make_local_pipe(size_t capacity = 4u << 20);
// The pipe for a mover of `record_size`: about 4 MiB, a whole number of
// records so that records read through view() never straddle the ring's end.
std::pair<std::shared_ptr<Channel>, std::shared_ptr<Channel>> make_local_pipe_for_records(uint32_t record_size);

// Wraps a channel the mover reads a backup from (TCP): a thread receives
// ahead into a ring of whole records, offered through view() like the local
// pipe. shutdown() and close_write() reach the source.
std::shared_ptr<Channel> make_read_ahead(std::shared_ptr<Channel> source, uint32_t record_size);

// A connected TCP socket (takes ownership of fd).
std::shared_ptr<Channel> make_tcp_channel(int fd);

// Connects to an IPv4 address (host order) and port with a timeout.
// Returns nullptr and sets `why` on failure.
std::shared_ptr<Channel> connect_tcp(uint32_t ip, uint16_t port, std::string& why);

// A listening socket for one data connection.
class TcpListener {
 public:
  // Binds to `local_ip` (host order; the address the DMA reached us on) on
  // an ephemeral port. ok() false with `error()` text on failure.
  explicit TcpListener(uint32_t local_ip);
  ~TcpListener();
  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  uint32_t ip() const { return ip_; }
  uint16_t port() const { return port_; }
  // True if a peer has connected and waits in the accept queue.
  bool peer_waiting() const;
  // Blocks until a peer waits in the accept queue (true) or cancel() was
  // called (false). Split from take() so that the service can mark "taking"
  // under its mutex between the two (server/jobs/peer_take.h).
  bool wait_ready();
  // Takes the waiting peer without blocking (nullptr on error).
  std::shared_ptr<Channel> take();
  void cancel();

 private:
  int fd_ = -1;
  int wake_[2] = {-1, -1};
  uint32_t ip_ = 0;
  uint16_t port_ = 0;
  std::string error_;
};

// The local IPv4 address of a connected socket (host order); IPv4-mapped
// IPv6 addresses are unwrapped; 127.0.0.1 for a pure IPv6 control connection
// (NDMP v2-v4 data addresses are IPv4 only).
uint32_t local_ipv4_of(int fd);

std::string ipv4_text(uint32_t ip);

}  // namespace ndmp::server
