// What the fault matrix (docs/FAULTS.md) shares: an in-process ndmpd with
// the emulated library whose drives pass through a controllable decorator,
// the DMA's side of a local backup and restore driven message by message,
// and the checks an operator would make afterwards (the tape read back with
// TAPE_READ and opened with libarchive, the changer's element status read
// through NDMP, the log).
//
// Drive control: ServerContext::wrap_transport (the test seam in
// server/context/context.h) wraps every emulated drive a session opens. Each drive has
// one DriveControl that outlives the opens: a dev::FaultTransport (faults fire
// by the count of an opcode since they were added, whichever session opened
// the drive) and a gate that holds WRITE(6) or READ(6) commands so a test can
// act at a known point of a job (the job is then provably in the middle, with a
// known number of records on the tape) without waiting for a time.
//
// Threads: DriveControl is called by the session's mover thread (execute) and
// by the test thread; it is internally synchronised. Client helpers are used
// by the test thread only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "devices/fault_transport.h"
#include "devices/media_changer.h"
#include "tests/support/test_server.h"

namespace ndmp::faults {

namespace fs = std::filesystem;
inline constexpr uint64_t kAll = ~uint64_t{0};
inline constexpr uint32_t kRecord = 32768;
inline constexpr auto kWait = std::chrono::seconds(60);

// Forwards to whichever transport the drive's current session opened.
class Forwarder final : public dev::Transport {
 public:
  void attach(dev::Transport* t);
  dev::CdbResult execute(const dev::CdbCommand& cmd) override;
  std::string describe() const override { return "forwarder"; }

 private:
  std::mutex mu_;
  dev::Transport* inner_ = nullptr;
};

class DriveControl {
 public:
  DriveControl() : faults_(fwd_) {}
  // Arms a fault (see devices/fault_transport.h); counting starts now.
  void add(const dev::Fault& f) { faults_.add(f); }
  size_t pending_faults() const { return faults_.pending(); }
  // Commands of `opcode` (WRITE(6), READ(6)) after the first `n` counted
  // from now wait until release().
  void hold_after(uint8_t opcode, unsigned n);
  void hold_writes_after(unsigned n);
  // Waits until a command is being held; false after `timeout`.
  bool wait_held(std::chrono::milliseconds timeout = kWait);
  void release();
  unsigned writes_done() const;  // WRITE(6) commands passed on to the drive
  // Commands of `opcode` sent to the drive since the rig started or reset_counts().
  unsigned commands_seen(uint8_t opcode) const;
  // SPACE(6) over blocks (code 0), as opposed to over file marks.
  unsigned block_spaces_seen() const;
  void reset_counts();

  // For the wrapper: the command path and the current session's transport.
  dev::CdbResult execute(const dev::CdbCommand& cmd);
  void attach(dev::Transport* t) { fwd_.attach(t); }

 private:
  Forwarder fwd_;
  dev::FaultTransport faults_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint8_t hold_opcode_ = 0;
  std::optional<unsigned> hold_after_;
  unsigned held_seen_ = 0;  // commands of hold_opcode_ since hold_after()
  bool holding_ = false;
  unsigned writes_ = 0;
  std::map<uint8_t, unsigned> seen_;  // commands by opcode
  unsigned block_spaces_ = 0;
};

// Library shape for a rig. Slots hold tapes NDM001L6.. in slot 1..slots.
struct RigShape {
  unsigned drives = 1;
  unsigned slots = 4;
  uint64_t tape_mib = 64;
};

// An in-process ndmpd with a controllable emulated library.
class Rig {
 public:
  explicit Rig(RigShape shape = {}, std::function<void(server::Config&)> tune = {},
               std::function<void(server::Server&)> before_start = {});
  test::TestServer& server() { return *server_; }
  DriveControl& drive(unsigned i = 0) { return *controls_.at("emu-drive" + std::to_string(i)); }
  fs::path export_dir() const { return server_->dir() / "export"; }
  std::unique_ptr<client::Client> login(int version = 4) { return server_->login(version); }

 private:
  std::map<std::string, std::unique_ptr<DriveControl>> controls_;
  std::unique_ptr<test::TestServer> server_;
};

// ---- the DMA side -------------------------------------------------------

// MOVE MEDIUM slot (1-based) -> drive through the changer, as a DMA does.
void load_tape(client::Client& c, unsigned slot, unsigned drive = 0);
// TAPE_OPEN of emu-drive<drive> with `mode`.
msg::Error open_tape(client::Client& c, msg::TapeOpenMode mode, unsigned drive = 0);
// Opens the tape read/write, sets record size and window and starts a local
// backup of `src` (the sequence of each version; HIST=n unless `extra_env`
// says otherwise: its variables replace those of the same name). Returns the
// DATA_START_BACKUP error (fatal test failures on the steps before).
msg::Error start_local_backup(client::Client& c, const fs::path& src, unsigned drive = 0,
                              std::vector<msg::Pval> extra_env = {});
// Opens the tape for reading and starts a local restore of the whole image
// into `target` (PREFIX).
msg::Error start_local_restore(client::Client& c, const fs::path& target, unsigned drive = 0);
// Opens the tape for reading and starts a direct access restore (DIRECT=y)
// of the one `name` whose entry starts at stream offset `fh_info`.
msg::Error start_direct_restore(client::Client& c, const std::string& name, uint64_t fh_info, const fs::path& target,
                                unsigned drive = 0);

struct JobEnd {
  bool halted = false;                       // NOTIFY_DATA_HALTED arrived
  msg::DataHaltReason data = msg::DataHaltReason::na;
  std::string data_text;                     // v2/v3 text_reason
  std::optional<msg::MoverHaltReason> mover;  // NOTIFY_MOVER_HALTED, if it arrived
  std::optional<msg::MoverPauseReason> paused;  // the first NOTIFY_MOVER_PAUSED, if any
  std::vector<std::string> log_messages;     // LOG_MESSAGE (v3/v4) and LOG_LOG (v2) entries
  std::map<std::string, uint64_t> history;   // file history: name -> fh_info (backups with HIST=y)
  std::vector<xdr::Message> node_history;    // FH_ADD_DIR and FH_ADD_NODE posts in arrival order (HIST=d)
};
// Plays the DMA until DATA halts: forwards NOTIFY_DATA_READ as MOVER_READ;
// on a mover pause calls `on_pause` (default: MOVER_CLOSE for EOF/EOM, i.e.
// "no more tape", else MOVER_ABORT).
JobEnd drive_job(client::Client& c,
                 std::function<void(client::Client&, msg::MoverPauseReason)> on_pause = {});
// DATA_STOP, MOVER_STOP (after an abort if needed) and TAPE_CLOSE.
void finish_job(client::Client& c);

msg::MoverGetStateReply mover_state(client::Client& c);
msg::DataGetStateReply data_state(client::Client& c);

// ---- what an operator checks afterwards ----------------------------------

// A new session opens emu-drive<drive>, rewinds and TAPE_READs records of up
// to `record` bytes until the first error; the concatenated records and the
// error that ended the reading (EOF at a file mark, EOM at end of data).
struct TapeContents {
  std::vector<uint8_t> bytes;
  size_t records = 0;
  msg::Error end = msg::Error::no_err;
};
TapeContents read_tape(test::TestServer& s, unsigned drive = 0, uint32_t record = kRecord);
TapeContents read_tape(uint16_t port, unsigned drive = 0, uint32_t record = kRecord);
// A client logged in with MD5 at v4 to the ndmpd on loopback `port`.
std::unique_ptr<client::Client> login_port(uint16_t port, int version = 4);

// The entries libarchive reads from a tar image, each with its data; reading
// stops at the first damaged or truncated entry (complete == false for it).
struct Entry {
  std::string path;
  int64_t size = 0;
  std::string data;
  bool complete = true;
};
struct ArchiveListing {
  std::vector<Entry> entries;
  bool clean_end = false;  // the end-of-archive marker was reached
  std::string error;       // libarchive's reason when not clean
};
ArchiveListing list_archive(const std::vector<uint8_t>& image);

// READ ELEMENT STATUS through SCSI_OPEN emu-changer on a new session.
std::vector<dev::ElementStatus> element_status(test::TestServer& s);
std::vector<dev::ElementStatus> element_status(uint16_t port);
// The barcode in drive `drive` ("" if empty) and the barcodes of full slots.
struct LibraryView {
  std::vector<std::string> drives;  // by drive index; "" = empty
  std::map<unsigned, std::string> slots;  // slot number (1-based) -> barcode, full slots only
};
LibraryView library_view(const std::vector<dev::ElementStatus>& elements);

// ---- files ---------------------------------------------------------------

std::string slurp(const fs::path& p);
// Writes `n` bytes of a pattern seeded by `seed` (so each file differs).
void write_pattern(const fs::path& p, size_t n, unsigned seed);
// A source tree: `files` files of growing size under dirs a/ and b/.
void make_tree(const fs::path& root, int files, size_t base_size);
// Every regular file and directory under `a` equals the one under `b`
// (relative paths, types, contents); differences listed as text.
std::vector<std::string> compare_trees(const fs::path& a, const fs::path& b);

// Redirects the process's operator log to a file for this object's life.
class LogCapture {
 public:
  explicit LogCapture(const fs::path& file);
  ~LogCapture();
  std::string text() const { return slurp(file_); }
  bool contains(const std::string& needle) const { return text().find(needle) != std::string::npos; }

 private:
  fs::path file_;
};

}  // namespace ndmp::faults
