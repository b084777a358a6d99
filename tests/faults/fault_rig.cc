#include "tests/faults/fault_rig.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "common/log.h"
#include "devices/scsi_cdb.h"
#include "server/context/context.h"
#include "tools/ndmpctl/server_link.h"

namespace ndmp::faults {

using msg::Error;
namespace code = msg::code;

// ---- drive control --------------------------------------------------------

void Forwarder::attach(dev::Transport* t) {
  std::lock_guard lock(mu_);
  inner_ = t;
}

dev::CdbResult Forwarder::execute(const dev::CdbCommand& cmd) {
  std::lock_guard lock(mu_);
  if (!inner_) {
    dev::CdbResult r;
    r.transport = dev::TransportState::error;
    r.text = "no session holds the drive";
    return r;
  }
  return inner_->execute(cmd);
}

void DriveControl::hold_after(uint8_t opcode, unsigned n) {
  std::lock_guard lock(mu_);
  hold_opcode_ = opcode;
  hold_after_ = n;
  held_seen_ = 0;
}

void DriveControl::hold_writes_after(unsigned n) { hold_after(dev::op::write6, n); }

bool DriveControl::wait_held(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return holding_; });
}

void DriveControl::release() {
  std::lock_guard lock(mu_);
  hold_after_.reset();
  cv_.notify_all();
}

unsigned DriveControl::writes_done() const {
  std::lock_guard lock(mu_);
  return writes_;
}

unsigned DriveControl::commands_seen(uint8_t opcode) const {
  std::lock_guard lock(mu_);
  auto it = seen_.find(opcode);
  return it == seen_.end() ? 0 : it->second;
}

unsigned DriveControl::block_spaces_seen() const {
  std::lock_guard lock(mu_);
  return block_spaces_;
}

void DriveControl::reset_counts() {
  std::lock_guard lock(mu_);
  seen_.clear();
  block_spaces_ = 0;
}

dev::CdbResult DriveControl::execute(const dev::CdbCommand& cmd) {
  if (!cmd.cdb.empty()) {
    std::unique_lock lock(mu_);
    if (hold_after_ && cmd.cdb[0] == hold_opcode_) {
      if (held_seen_ >= *hold_after_) {
        holding_ = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return !hold_after_; });
        holding_ = false;
      }
      ++held_seen_;
    }
    if (cmd.cdb[0] == dev::op::write6) ++writes_;
    ++seen_[cmd.cdb[0]];
    if (cmd.cdb[0] == dev::op::space6 && cmd.cdb.size() > 1 && (cmd.cdb[1] & 0x0f) == 0) ++block_spaces_;
  }
  return faults_.execute(cmd);
}

namespace {

// What a session holds while it has the drive open: the real transport
// (whose death frees the drive in the inventory) seen through the control.
class ControlledTransport final : public dev::Transport {
 public:
  ControlledTransport(std::unique_ptr<dev::Transport> inner, DriveControl& ctl)
      : inner_(std::move(inner)), ctl_(ctl) {
    ctl_.attach(inner_.get());
  }
  ~ControlledTransport() override { ctl_.attach(nullptr); }
  dev::CdbResult execute(const dev::CdbCommand& cmd) override { return ctl_.execute(cmd); }
  std::string describe() const override { return "controlled " + inner_->describe(); }

 private:
  std::unique_ptr<dev::Transport> inner_;
  DriveControl& ctl_;
};

}  // namespace

Rig::Rig(RigShape shape, std::function<void(server::Config&)> tune, std::function<void(server::Server&)> before_start) {
  for (unsigned i = 0; i < shape.drives; ++i)
    controls_["emu-drive" + std::to_string(i)] = std::make_unique<DriveControl>();
  server_ = std::make_unique<test::TestServer>([shape, tune](server::Config& c) {
    c.library_dir = (fs::path(c.state_dir).parent_path() / "library").string();
    c.library_drives = shape.drives;
    c.library_slots = shape.slots;
    c.library_tape_mib = shape.tape_mib;
    if (tune) tune(c);
  }, std::move(before_start));
  // Set before any DMA connects (the contract of the seam).
  server_->server().context().wrap_transport = [this](const std::string& name, std::unique_ptr<dev::Transport> t)
      -> std::unique_ptr<dev::Transport> {
    auto it = controls_.find(name);
    if (it == controls_.end()) return t;
    return std::make_unique<ControlledTransport>(std::move(t), *it->second);
  };
}

// ---- the DMA side -----------------------------------------------------------

void load_tape(client::Client& c, unsigned slot, unsigned drive) {
  msg::ScsiOpenRequest so;
  so.device = "emu-changer";
  ASSERT_EQ(c.call(code::SCSI_OPEN, so).error(), Error::no_err);
  const uint16_t from = static_cast<uint16_t>(1000 + slot - 1), to = static_cast<uint16_t>(500 + drive);
  msg::ExecuteCdbRequest cdb;
  cdb.cdb = {0xA5, 0, 0, 1, uint8_t(from >> 8), uint8_t(from), uint8_t(to >> 8), uint8_t(to), 0, 0, 0, 0};
  ASSERT_EQ(c.call(code::SCSI_EXECUTE_CDB, cdb).as<msg::ExecuteCdbReply>().status, 0) << "MOVE MEDIUM";
  ASSERT_EQ(c.call(code::SCSI_CLOSE).error(), Error::no_err);
}

Error open_tape(client::Client& c, msg::TapeOpenMode mode, unsigned drive) {
  msg::TapeOpenRequest o;
  o.device = "emu-drive" + std::to_string(drive);
  o.mode = mode;
  return c.call(code::TAPE_OPEN, o).error();
}

namespace {

Error window(client::Client& c) {
  msg::MoverSetWindowRequest w;
  w.offset = 0;
  w.length = kAll;
  return c.call(code::MOVER_SET_WINDOW, w).error();
}

// MOVER_SET_RECORD_SIZE, window and LISTEN in the order of each version;
// DATA_CONNECT on v3/v4. Fills `mover` for v2's DATA_START_*.
void set_up_local_mover(client::Client& c, msg::MoverMode mode, msg::Addr& mover) {
  msg::MoverSetRecordSizeRequest rs;
  rs.len = kRecord;
  ASSERT_EQ(c.call(code::MOVER_SET_RECORD_SIZE, rs).error(), Error::no_err);
  if (c.version() >= 4) {
    ASSERT_EQ(window(c), Error::no_err);
  }
  msg::MoverListenRequest l;
  l.mode = mode;
  l.type = msg::AddrType::local;
  ASSERT_EQ(c.call(code::MOVER_LISTEN, l).error(), Error::no_err);
  if (c.version() < 4) {
    ASSERT_EQ(window(c), Error::no_err);
  }
  if (c.version() >= 3) {
    msg::DataConnectRequest dc;
    dc.addr.type = msg::AddrType::local;
    ASSERT_EQ(c.call(code::DATA_CONNECT, dc).error(), Error::no_err);
  } else {
    mover.type = msg::AddrType::local;
  }
}

}  // namespace

Error start_local_backup(client::Client& c, const fs::path& src, unsigned drive, std::vector<msg::Pval> extra_env) {
  Error e = open_tape(c, msg::TapeOpenMode::rdwr, drive);
  if (e != Error::no_err) return e;
  msg::DataStartBackupRequest b;
  set_up_local_mover(c, msg::MoverMode::read, b.mover);
  if (::testing::Test::HasFatalFailure()) return Error::undefined;
  b.butype = "tar";
  b.env = {{"FILESYSTEM", src.string()}, {"HIST", "n"}};
  for (auto& p : extra_env) {
    auto same = std::find_if(b.env.begin(), b.env.end(), [&](const msg::Pval& q) { return q.name == p.name; });
    if (same != b.env.end())
      same->value = p.value;
    else
      b.env.push_back(p);
  }
  return c.call(code::DATA_START_BACKUP, b).error();
}

namespace {
// Opens the tape for reading and sends `r` (its mover address filled in).
Error start_recover(client::Client& c, unsigned drive, msg::DataStartRecoverRequest r) {
  Error e = open_tape(c, msg::TapeOpenMode::read, drive);
  if (e != Error::no_err) return e;
  set_up_local_mover(c, msg::MoverMode::write, r.mover);
  if (::testing::Test::HasFatalFailure()) return Error::undefined;
  r.butype = "tar";
  return c.call(code::DATA_START_RECOVER, r).error();
}
}  // namespace

Error start_local_restore(client::Client& c, const fs::path& target, unsigned drive) {
  msg::DataStartRecoverRequest r;
  r.env = {{"PREFIX", target.string()}};
  return start_recover(c, drive, std::move(r));
}

Error start_direct_restore(client::Client& c, const std::string& name, uint64_t fh_info, const fs::path& target,
                           unsigned drive) {
  msg::DataStartRecoverRequest r;
  r.env = {{"PREFIX", target.string()}, {"DIRECT", "y"}};
  msg::Name n;
  n.original_path = name;
  n.destination_path = target.string();
  n.fh_info = fh_info;
  r.nlist.push_back(n);
  return start_recover(c, drive, std::move(r));
}

namespace {
// The text of a LOG_MESSAGE (v3/v4) or LOG_LOG (v2) post.
std::string log_entry(const xdr::Message& m) {
  if (m.header.code == code::LOG_LOG) return static_cast<const msg::LogLogPost&>(*m.body).entry;
  return static_cast<const msg::LogMessagePost&>(*m.body).entry;
}
// File history as a DMA keeps it for direct access: name -> fh_info.
void note_history(const xdr::Message& m, std::map<std::string, uint64_t>& history) {
  if (m.header.code == code::FH_ADD_FILE) {
    for (const auto& f : static_cast<const msg::FhAddFilePost&>(*m.body).files)
      if (!f.names.empty()) history[f.names.front().unix_name] = f.fh_info;
  } else {
    for (const auto& f : static_cast<const msg::FhAddUnixPathPost&>(*m.body).paths) history[f.name] = f.fstat.fh_info;
  }
}
}  // namespace

JobEnd drive_job(client::Client& c, std::function<void(client::Client&, msg::MoverPauseReason)> on_pause) {
  JobEnd end;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = c.next_post(0, std::chrono::seconds(1));
    if (!p) {
      // A restore's data service may already be done while its mover waits
      // for nothing: look at the state instead of waiting for ever.
      continue;
    }
    switch (p->header.code) {
      case code::NOTIFY_DATA_READ: {
        const auto& rd = static_cast<const msg::NotifyDataReadPost&>(*p->body);
        msg::MoverReadRequest mr;
        mr.offset = rd.offset;
        mr.length = rd.length;
        EXPECT_EQ(c.call(code::MOVER_READ, mr).error(), Error::no_err);
        break;
      }
      case code::NOTIFY_MOVER_PAUSED: {
        const auto reason = static_cast<const msg::NotifyMoverPausedPost&>(*p->body).reason;
        if (!end.paused) end.paused = reason;
        if (on_pause) {
          on_pause(c, reason);
        } else if (reason == msg::MoverPauseReason::eof || reason == msg::MoverPauseReason::eom) {
          c.call(code::MOVER_CLOSE);
        } else {
          c.call(code::MOVER_ABORT);
        }
        break;
      }
      case code::NOTIFY_MOVER_HALTED:
        end.mover = static_cast<const msg::NotifyMoverHaltedPost&>(*p->body).reason;
        break;
      case code::LOG_MESSAGE:
      case code::LOG_LOG:
        end.log_messages.push_back(log_entry(*p));
        break;
      case code::FH_ADD_FILE:
      case code::FH_ADD_UNIX_PATH:
        note_history(*p, end.history);
        break;
      case code::FH_ADD_DIR:
      case code::FH_ADD_NODE:
        end.node_history.push_back(std::move(*p));
        break;
      case code::NOTIFY_DATA_HALTED: {
        const auto& h = static_cast<const msg::NotifyDataHaltedPost&>(*p->body);
        end.halted = true;
        end.data = h.reason;
        end.data_text = h.text;
        // The mover's halt may follow; collect it without waiting long.
        if (!end.mover)
          if (auto m = c.next_post(code::NOTIFY_MOVER_HALTED, std::chrono::seconds(5)))
            end.mover = static_cast<const msg::NotifyMoverHaltedPost&>(*m->body).reason;
        for (auto& q : c.queued_posts()) {
          if (q.header.code == code::LOG_MESSAGE || q.header.code == code::LOG_LOG) end.log_messages.push_back(log_entry(q));
          if (q.header.code == code::FH_ADD_FILE || q.header.code == code::FH_ADD_UNIX_PATH) note_history(q, end.history);
          if (q.header.code == code::FH_ADD_DIR || q.header.code == code::FH_ADD_NODE) end.node_history.push_back(std::move(q));
        }
        return end;
      }
      default:
        break;
    }
  }
  ADD_FAILURE() << "DATA did not halt within " << kWait.count() << " s";
  return end;
}

void finish_job(client::Client& c) {
  if (data_state(c).state != msg::DataState::idle) {
    if (data_state(c).state != msg::DataState::halted) c.call(code::DATA_ABORT);
    EXPECT_EQ(c.call(code::DATA_STOP).error(), Error::no_err);
  }
  auto ms = mover_state(c).state;
  if (ms != msg::MoverState::idle) {
    if (ms != msg::MoverState::halted) c.call(code::MOVER_ABORT);
    EXPECT_EQ(c.call(code::MOVER_STOP).error(), Error::no_err);
  }
  EXPECT_EQ(c.call(code::TAPE_CLOSE).error(), Error::no_err);
}

msg::MoverGetStateReply mover_state(client::Client& c) {
  return c.call(code::MOVER_GET_STATE).as<msg::MoverGetStateReply>();
}
msg::DataGetStateReply data_state(client::Client& c) {
  return c.call(code::DATA_GET_STATE).as<msg::DataGetStateReply>();
}

// ---- checks -----------------------------------------------------------------

std::unique_ptr<client::Client> login_port(uint16_t port, int version) {
  auto c = std::make_unique<client::Client>();
  std::string err = c->connect("127.0.0.1", port);
  if (err.empty()) err = c->open(version);
  if (err.empty()) err = c->auth_md5(test::kUser, test::kPassword);
  if (!err.empty()) {
    ADD_FAILURE() << "login: " << err;
    return nullptr;
  }
  return c;
}

TapeContents read_tape(test::TestServer& s, unsigned drive, uint32_t record) { return read_tape(s.port(), drive, record); }

TapeContents read_tape(uint16_t port, unsigned drive, uint32_t record) {
  TapeContents out;
  auto c = login_port(port, 4);
  if (!c) return out;
  Error e = open_tape(*c, msg::TapeOpenMode::read, drive);
  EXPECT_EQ(e, Error::no_err) << "reading the tape back";
  if (e != Error::no_err) {
    out.end = e;
    return out;
  }
  msg::TapeMtioRequest rew;
  rew.op = msg::MtioOp::rew;
  EXPECT_EQ(c->call(code::TAPE_MTIO, rew).error(), Error::no_err);
  msg::TapeReadRequest rd;
  rd.count = record;
  for (;;) {
    auto r = c->call(code::TAPE_READ, rd);
    if (!r.ok) {
      ADD_FAILURE() << "TAPE_READ: " << r.failure;
      break;
    }
    if (r.error() != Error::no_err) {
      out.end = r.error();
      break;
    }
    const auto& data = r.as<msg::TapeReadReply>().data;
    out.bytes.insert(out.bytes.end(), data.begin(), data.end());
    ++out.records;
  }
  EXPECT_EQ(c->call(code::TAPE_CLOSE).error(), Error::no_err);
  return out;
}

ArchiveListing list_archive(const std::vector<uint8_t>& image) {
  ArchiveListing out;
  archive* a = archive_read_new();
  archive_read_support_format_all(a);
  archive_read_support_filter_none(a);
  if (archive_read_open_memory(a, image.data(), image.size()) != ARCHIVE_OK) {
    out.error = archive_error_string(a) ? archive_error_string(a) : "cannot open";
    archive_read_free(a);
    return out;
  }
  archive_entry* ent = nullptr;
  for (;;) {
    int r = archive_read_next_header(a, &ent);
    if (r == ARCHIVE_EOF) {
      out.clean_end = true;
      break;
    }
    if (r < ARCHIVE_WARN) {
      out.error = archive_error_string(a) ? archive_error_string(a) : "bad header";
      break;
    }
    Entry e;
    e.path = archive_entry_pathname(ent);
    e.size = archive_entry_size(ent);
    char buf[65536];
    for (;;) {
      la_ssize_t n = archive_read_data(a, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        e.complete = false;
        out.error = archive_error_string(a) ? archive_error_string(a) : "bad data";
        break;
      }
      e.data.append(buf, static_cast<size_t>(n));
    }
    if (e.complete && static_cast<int64_t>(e.data.size()) != e.size) e.complete = false;
    const bool stop = !e.complete;
    out.entries.push_back(std::move(e));
    if (stop) break;
  }
  archive_read_free(a);
  return out;
}

std::vector<dev::ElementStatus> element_status(uint16_t port) {
  auto c = login_port(port, 4);
  if (!c) return {};
  auto t = ctl::NdmpScsiTransport::open(std::move(c), "emu-changer");
  if (!t.ok()) {
    ADD_FAILURE() << "SCSI_OPEN emu-changer: " << t.outcome().text;
    return {};
  }
  dev::MediaChanger mc(**t);
  auto st = mc.read_element_status();
  if (!st.ok()) {
    ADD_FAILURE() << "READ ELEMENT STATUS: " << st.status().to_string();
    return {};
  }
  return st.value();
}

std::vector<dev::ElementStatus> element_status(test::TestServer& s) { return element_status(s.port()); }

LibraryView library_view(const std::vector<dev::ElementStatus>& elements) {
  LibraryView v;
  uint16_t first_slot = 0xffff, first_drive = 0xffff;
  for (const auto& e : elements) {
    if (e.type == dev::ElementType::storage) first_slot = std::min(first_slot, e.address);
    if (e.type == dev::ElementType::data_transfer) first_drive = std::min(first_drive, e.address);
  }
  for (const auto& e : elements) {
    if (e.type == dev::ElementType::data_transfer) {
      const size_t i = e.address - first_drive;
      if (v.drives.size() <= i) v.drives.resize(i + 1);
      v.drives[i] = e.full ? e.volume_tag : "";
    }
    if (e.type == dev::ElementType::storage && e.full) v.slots[e.address - first_slot + 1u] = e.volume_tag;
  }
  return v;
}

// ---- files ------------------------------------------------------------------

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), {});
}

void write_pattern(const fs::path& p, size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string data(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t r = rng();
    for (size_t k = i; k < std::min(n, i + 8); ++k, r >>= 8) data[k] = static_cast<char>('a' + (r & 0xff) % 26);
  }
  std::ofstream(p, std::ios::binary) << data;
}

void make_tree(const fs::path& root, int files, size_t base_size) {
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  for (int i = 0; i < files; ++i)
    write_pattern(root / (i % 2 ? "a" : "b") / ("f" + std::to_string(i)), base_size + i * 997u, i + 1);
}

std::vector<std::string> compare_trees(const fs::path& a, const fs::path& b) {
  std::vector<std::string> diffs;
  std::map<std::string, fs::file_type> in_a, in_b;
  for (auto& e : fs::recursive_directory_iterator(a)) in_a[fs::relative(e.path(), a).string()] = e.symlink_status().type();
  if (fs::exists(b))
    for (auto& e : fs::recursive_directory_iterator(b)) in_b[fs::relative(e.path(), b).string()] = e.symlink_status().type();
  for (auto& [rel, type] : in_a) {
    auto it = in_b.find(rel);
    if (it == in_b.end()) {
      diffs.push_back("missing: " + rel);
      continue;
    }
    if (it->second != type) diffs.push_back("type differs: " + rel);
    else if (type == fs::file_type::regular && slurp(a / rel) != slurp(b / rel)) diffs.push_back("content differs: " + rel);
  }
  for (auto& [rel, type] : in_b)
    if (!in_a.count(rel)) diffs.push_back("extra: " + rel);
  return diffs;
}

LogCapture::LogCapture(const fs::path& file) : file_(file) {
  if (!log::set_file(file.string())) ADD_FAILURE() << "cannot log to " << file;
}
LogCapture::~LogCapture() { log::set_file("/dev/stderr"); }

}  // namespace ndmp::faults
