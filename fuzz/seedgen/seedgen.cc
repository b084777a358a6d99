// Writes the fuzz seed corpora (fuzz/corpus/<target>/) from real sessions, in
// the input layouts of fuzz/harness/*.cc:
//
//   record_reader, message_decoder
//       DMA sessions (tools/client) against an in-process ndmpd with an
//       emulated library (tests/support/test_server.h), through a TCP relay
//       that records both directions: the handshake, MD5 login, every CONFIG
//       query, SCSI MOVE MEDIUM and READ ELEMENT STATUS, TAPE write, file
//       marks, rewind, read, a failed login, for v2, v3 and v4; then, when
//       Debian's ndmjob is installed, ndmjob's own sessions through the same
//       relay (-q queries and the -o test-tape suite, each version).
//   emulated_cdb
//       the CDBs our SSC/SMC drivers (devices/) send while loading a tape,
//       writing, reading and spacing, recorded below the drivers.
//   cm_frame
//       one frame per Cloud Manager command a Streamer exchanges, in each
//       direction, with every scalar field set.
//   restore_tar
//       a real backup stream of a small tree (backup/backup_engine.h) and
//       hostile archives: absolute and ".." names, a symlink escape, a hard
//       link to outside, a write through a pre-existing symlink, and an nlist
//       destination that climbs out.
//
// Usage: fuzz_seedgen OUT_DIR   (OUT_DIR/<target>/<hash> files; existing
// files of the same content are kept, so reruns only add).
#include <archive.h>
#include <archive_entry.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include <google/protobuf/descriptor.h>

#include "backup/backup_engine.h"
#include "common/log.h"
#include "cloudmanager/commands.h"
#include "cloudmanager/frame.h"
#include "devices/emulated/library.h"
#include "devices/media_changer.h"
#include "devices/tape_drive.h"
#include "server/context/auth.h"
#include "tests/interop/ndmjob_runner.h"
#include "tests/support/test_server.h"
#include "xdr/codec.h"
#include "xdr/record.h"

namespace fs = std::filesystem;
using namespace ndmp;

namespace {

fs::path g_out;
std::map<std::string, int> g_written;

void write_seed(const std::string& target, const std::vector<uint8_t>& bytes) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: stable names, duplicates collapse
  for (uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  fs::create_directories(g_out / target);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
  std::ofstream(g_out / target / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ++g_written[target];
}

// ---- TCP relay that records both directions of one connection ----

struct Capture {
  std::vector<uint8_t> to_server, to_client;
};

class Relay {
 public:
  explicit Relay(uint16_t upstream) : upstream_(upstream) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 4) != 0)
      throw std::runtime_error("relay: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Relay() { ::close(fd_); }
  uint16_t port() const { return port_; }

  // Accepts one connection, forwards until either side closes, returns the bytes.
  Capture serve_one() {
    Capture cap;
    int c = ::accept(fd_, nullptr, nullptr);
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(upstream_);
    if (c < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("relay: cannot reach the server");
    pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
    std::vector<uint8_t> buf(1 << 16);
    bool open = true;
    while (open && ::poll(p, 2, -1) > 0) {
      for (int i = 0; i < 2 && open; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::recv(p[i].fd, buf.data(), buf.size(), 0);
        if (n <= 0) {
          open = false;
          break;
        }
        auto& log = i == 0 ? cap.to_server : cap.to_client;
        log.insert(log.end(), buf.begin(), buf.begin() + n);
        ::send(p[1 - i].fd, buf.data(), static_cast<size_t>(n), MSG_NOSIGNAL);
      }
    }
    ::close(c);
    ::close(s);
    return cap;
  }

 private:
  uint16_t upstream_;
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::vector<std::vector<uint8_t>> split_records(const std::vector<uint8_t>& stream) {
  std::vector<std::vector<uint8_t>> out;
  xdr::RecordReader r(64u << 20);
  std::span<const uint8_t> s(stream);
  while (!s.empty()) {
    size_t used = 0;
    if (r.feed(s, used) != xdr::RecordReader::Status::complete) break;
    s = s.subspan(used);
    out.push_back(r.take());
  }
  return out;
}

// message_decoder selector for a version: index into {0, 2, 3, 4}.
uint8_t selector(int version) { return version == 0 ? 0 : static_cast<uint8_t>(version - 1); }

void seeds_from_capture(const Capture& cap, int version) {
  // Keep the corpus small: a stream's first 16 KB (later records repeat the
  // same messages), and at most two records per message code and direction.
  constexpr size_t kStreamCap = 16000;
  std::map<uint64_t, int> per_code;
  for (const auto* stream : {&cap.to_server, &cap.to_client}) {
    const size_t n = std::min(stream->size(), kStreamCap);
    // record_reader: largest cap, default fragment limit, one chunking (the
    // fuzzer varies the seed); and
    // the same records cut into 100-byte fragments as a long-record DMA sends.
    for (uint32_t seed : {0x12345u}) {
      std::vector<uint8_t> in = {0xFF, 0xFF, 0, uint8_t(seed >> 24), uint8_t(seed >> 16), uint8_t(seed >> 8),
                                 uint8_t(seed)};
      in.insert(in.end(), stream->begin(), stream->begin() + static_cast<std::ptrdiff_t>(n));
      write_seed("record_reader", in);
    }
    std::vector<uint8_t> frag = {0xFF, 0xFF, 0, 0, 0, 0, 7};
    for (const auto& rec : split_records(*stream)) {
      if (frag.size() + rec.size() > kStreamCap) break;
      xdr::append_record(frag, rec, 100);
    }
    write_seed("record_reader", frag);

    for (const auto& rec : split_records(*stream)) {
      if (rec.size() > 16384) continue;
      for (int v : {0, version}) {
        auto d = xdr::decode(v, rec);
        if (d.status != xdr::DecodeStatus::ok) continue;
        const uint64_t key = uint64_t{d.message.header.code} << 8 | uint64_t(d.message.header.type) << 4 | uint64_t(v);
        if (++per_code[key] > 2) continue;
        std::vector<uint8_t> in = {selector(v)};
        in.insert(in.end(), rec.begin(), rec.end());
        write_seed("message_decoder", in);
      }
    }
  }
}

void dma_session(test::TestServer& server, int version) {
  namespace code = msg::code;
  Relay relay(server.port());
  std::thread driver([&] {
    client::Client c;
    if (!c.connect("127.0.0.1", relay.port()).empty() || !c.open(version).empty()) return;
    c.call(version == 2 ? code::CONFIG_GET_HOST_INFO : code::CONFIG_GET_SERVER_INFO);
    (void)c.auth_md5(test::kUser, "not the password");  // a failed attempt
    if (!c.auth_md5(test::kUser, test::kPassword).empty()) return;
    for (uint32_t q : {code::CONFIG_GET_HOST_INFO, code::CONFIG_GET_CONNECTION_TYPE, code::CONFIG_GET_BUTYPE_INFO,
                       code::CONFIG_GET_FS_INFO, code::CONFIG_GET_TAPE_INFO, code::CONFIG_GET_SCSI_INFO,
                       code::CONFIG_GET_SERVER_INFO, code::CONFIG_GET_EXT_LIST})
      if (xdr::has_codec(version, q, xdr::MessageType::request)) c.call(q);
    msg::ScsiOpenRequest so;
    so.device = "emu-changer";
    c.call(code::SCSI_OPEN, so);
    msg::ExecuteCdbRequest mv;
    mv.cdb = {0xA5, 0, 0, 1, 0x03, 0xE8, 0x01, 0xF4, 0, 0, 0, 0};  // MOVE MEDIUM 1000 -> 500
    c.call(code::SCSI_EXECUTE_CDB, mv);
    msg::ExecuteCdbRequest res;
    res.flags = 1;
    res.datain_len = 4096;
    res.cdb = {0xB8, 0x10, 0, 0, 0, 20, 0, 0x00, 0x10, 0x00, 0, 0};  // READ ELEMENT STATUS, all, voltag
    c.call(code::SCSI_EXECUTE_CDB, res);
    c.call(code::SCSI_GET_STATE);
    c.call(code::SCSI_CLOSE);
    msg::TapeOpenRequest to;
    to.device = "emu-drive0";
    to.mode = msg::TapeOpenMode::rdwr;
    c.call(code::TAPE_OPEN, to);
    msg::TapeWriteRequest w;
    for (size_t n : {512u, 10240u, 3u}) {
      w.data.assign(n, 0);
      for (size_t i = 0; i < n; ++i) w.data[i] = static_cast<uint8_t>(i * 31 + n);
      c.call(code::TAPE_WRITE, w);
    }
    msg::TapeMtioRequest m;
    m.op = msg::MtioOp::eof;
    m.count = 1;
    c.call(code::TAPE_MTIO, m);
    m.op = msg::MtioOp::rew;
    m.count = 0;
    c.call(code::TAPE_MTIO, m);
    msg::TapeReadRequest rd;
    rd.count = 10240;
    c.call(code::TAPE_READ, rd);
    m.op = msg::MtioOp::fsf;
    m.count = 1;
    c.call(code::TAPE_MTIO, m);
    c.call(code::TAPE_GET_STATE);
    c.call(code::TAPE_CLOSE);
    msg::Empty e;
    c.send_only(code::CONNECT_CLOSE, e);
  });
  Capture cap = relay.serve_one();
  driver.join();
  seeds_from_capture(cap, version);
}

// ---- CDBs as our drivers send them ----

class RecordingTransport : public dev::Transport {
 public:
  RecordingTransport(dev::Transport& inner, uint8_t target, std::vector<uint8_t>& log)
      : inner_(inner), target_(target), log_(log) {}
  dev::CdbResult execute(const dev::CdbCommand& cmd) override {
    log_.push_back(target_);
    log_.push_back(static_cast<uint8_t>(cmd.cdb.size() - 1));
    log_.insert(log_.end(), cmd.cdb.begin(), cmd.cdb.end());
    const size_t len = std::min<size_t>(cmd.data_length(), 0xFFFF);
    log_.push_back(cmd.direction == dev::Direction::none ? 0 : cmd.direction == dev::Direction::in ? 1 : 2);
    log_.push_back(static_cast<uint8_t>(len >> 8));
    log_.push_back(static_cast<uint8_t>(len));
    if (cmd.direction == dev::Direction::out) log_.insert(log_.end(), cmd.data_out.begin(), cmd.data_out.begin() + len);
    return inner_.execute(cmd);
  }
  std::string describe() const override { return inner_.describe(); }

 private:
  dev::Transport& inner_;
  uint8_t target_;
  std::vector<uint8_t>& log_;
};

void cdb_seeds() {
  test::TempDir dir;
  dev::emu::LibrarySpec spec;  // the harness's shape byte 0x07: 2 drives, 4 slots
  spec.drives = 2;
  spec.slots = 4;
  spec.import_export = 1;
  spec.tape_capacity = 1 << 20;
  for (unsigned i = 0; i < spec.slots; ++i) spec.barcodes.push_back("FZ00" + std::to_string(i) + "L6");
  if (!dev::emu::create_library(dir.path() / "lib", spec)) throw std::runtime_error("create_library");
  auto lib = dev::emu::Library::open(dir.path() / "lib");
  auto drive_t = lib.value()->drive_transport(0);
  auto changer_t = lib.value()->changer_transport();

  auto session = [&](auto body) {
    std::vector<uint8_t> log = {0x07};
    RecordingTransport d(*drive_t, 0, log), ch(*changer_t, 2, log);
    dev::TapeDrive drive(d);
    dev::MediaChanger changer(ch);
    body(drive, changer);
    write_seed("emulated_cdb", log);
  };
  session([](dev::TapeDrive& drive, dev::MediaChanger& changer) {
    (void)changer.inquiry();
    (void)changer.test_unit_ready();
    (void)changer.element_address_assignment();
    (void)changer.read_element_status();
    (void)changer.initialize_element_status();
    (void)changer.prevent_removal(true);
    (void)changer.prevent_removal(false);
    (void)drive.inquiry();
    (void)drive.test_unit_ready();
  });
  session([](dev::TapeDrive& drive, dev::MediaChanger& changer) {
    (void)changer.move_medium(dev::emu::kFirstSlot, dev::emu::kFirstDrive);
    (void)drive.test_unit_ready();
    (void)drive.read_block_limits();
    (void)drive.mode_sense();
    (void)drive.set_block_size(0);
    std::vector<uint8_t> rec(4096, 0x5A);
    for (int i = 0; i < 3; ++i) (void)drive.write(rec);
    (void)drive.write_filemarks(1);
    (void)drive.write(rec);
    (void)drive.read_position();
    (void)drive.rewind();
    std::vector<uint8_t> buf(8192);
    (void)drive.read(buf);
    (void)drive.space(dev::SpaceCode::filemarks, 1);
    (void)drive.read(buf);
    (void)drive.space(dev::SpaceCode::blocks, -1);
    (void)drive.locate(2);
    (void)drive.request_sense();
    (void)drive.set_block_size(512);
    (void)drive.write(std::vector<uint8_t>(1024, 1));
    (void)drive.rewind();
    (void)changer.move_medium(dev::emu::kFirstDrive, dev::emu::kFirstSlot);
  });
}

// ---- Cloud Manager frames ----

void fill(google::protobuf::Message& m) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->is_repeated()) continue;
    using T = google::protobuf::FieldDescriptor;
    switch (f->cpp_type()) {
      case T::CPPTYPE_INT32: r->SetInt32(&m, f, 7); break;
      case T::CPPTYPE_INT64: r->SetInt64(&m, f, 1700000000); break;
      case T::CPPTYPE_UINT32: r->SetUInt32(&m, f, 7); break;
      case T::CPPTYPE_UINT64: r->SetUInt64(&m, f, 4096); break;
      case T::CPPTYPE_BOOL: r->SetBool(&m, f, true); break;
      case T::CPPTYPE_STRING: r->SetString(&m, f, "job-42"); break;
      case T::CPPTYPE_ENUM:
        if (f->enum_type()->value_count() > 1) r->SetEnum(&m, f, f->enum_type()->value(1));
        break;
      case T::CPPTYPE_MESSAGE: fill(*r->MutableMessage(&m, f)); break;
      default: break;
    }
  }
}

void cm_seeds() {
  const auto* commands = cm::wire::Command_descriptor();
  std::string both[2];
  for (int i = 0; i < commands->value_count(); ++i) {
    const auto cmd = static_cast<cm::wire::Command>(commands->value(i)->number());
    const cm::CommandInfo* info = cm::find_command(cmd);
    if (!info) continue;
    for (int side = 0; side < 2; ++side) {
      // side 0: frames a Streamer receives (responses); 1: what the simulator receives.
      const google::protobuf::Message* proto = side == 0 ? info->response : info->request;
      cm::Header h;
      h.command = cmd;
      h.direction = side == 0 ? cm::wire::MessageDirection_CloudManagerToStreamer
                              : cm::wire::MessageDirection_StreamerToCloudManager;
      std::string frame;
      if (proto) {
        std::unique_ptr<google::protobuf::Message> m(proto->New());
        fill(*m);
        frame = cm::encode_message(h, *m);
      } else {
        h.data_type = cm::wire::DataType_None;
        frame = cm::encode_frame(h, "");
      }
      std::vector<uint8_t> in = {static_cast<uint8_t>(side), 0x10, 0x00, 0, 0, 0, 3};
      in.insert(in.end(), frame.begin(), frame.end());
      write_seed("cm_frame", in);
      both[side] += frame;
    }
  }
  for (int side = 0; side < 2; ++side) {  // a whole conversation in one stream
    std::vector<uint8_t> in = {static_cast<uint8_t>(side), 0x10, 0x00, 0, 0, 0, 5};
    in.insert(in.end(), both[side].begin(), both[side].end());
    write_seed("cm_frame", in);
  }
}

// ---- tar streams for restore ----

class VecSink : public backup::ByteSink {
 public:
  backup::Status write(std::span<const std::byte> d) override {
    auto* p = reinterpret_cast<const uint8_t*>(d.data());
    bytes.insert(bytes.end(), p, p + d.size());
    return backup::Status::Ok();
  }
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> restore_input(uint8_t flags, const std::vector<uint8_t>& archive,
                                   const std::string& original = {}, const std::string& destination = {}) {
  std::vector<uint8_t> in = {flags};
  if (flags & 1) {
    in.push_back(static_cast<uint8_t>(original.size()));
    in.insert(in.end(), original.begin(), original.end());
    in.push_back(static_cast<uint8_t>(destination.size()));
    in.insert(in.end(), destination.begin(), destination.end());
  }
  in.push_back(0x1F);  // pieces of 8000 bytes
  in.push_back(0x3F);
  in.insert(in.end(), archive.begin(), archive.end());
  return in;
}

struct Entry {
  std::string name;
  mode_t type;  // AE_IFREG, AE_IFDIR, AE_IFLNK, or 0 = hard link
  std::string data_or_target;
};

std::vector<uint8_t> make_archive(const std::vector<Entry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  std::vector<uint8_t> out(1 << 20);
  size_t used = 0;
  archive_write_open_memory(a, out.data(), out.size(), &used);
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.name.c_str());
    archive_entry_set_mtime(ae, 1700000000, 0);
    if (e.type == 0) {
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_hardlink(ae, e.data_or_target.c_str());
      archive_entry_set_perm(ae, 0644);
    } else if (e.type == AE_IFLNK) {
      archive_entry_set_filetype(ae, AE_IFLNK);
      archive_entry_set_symlink(ae, e.data_or_target.c_str());
      archive_entry_set_perm(ae, 0777);
    } else {
      archive_entry_set_filetype(ae, e.type);
      archive_entry_set_perm(ae, e.type == AE_IFDIR ? 0755 : 0644);
      if (e.type == AE_IFREG) archive_entry_set_size(ae, static_cast<la_int64_t>(e.data_or_target.size()));
    }
    archive_write_header(a, ae);
    if (e.type == AE_IFREG) archive_write_data(a, e.data_or_target.data(), e.data_or_target.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

void tar_seeds() {
  test::TempDir dir;
  const fs::path root = dir.path() / "export";
  fs::create_directories(root / "docs" / "deep");
  std::ofstream(root / "docs" / "a.txt") << "alpha\n";
  std::ofstream(root / "docs" / "deep" / "b.bin") << std::string(3000, 'b');
  fs::create_symlink("a.txt", root / "docs" / "link");
  fs::create_hard_link(root / "docs" / "a.txt", root / "hard");
  backup::BackupRequest req;
  if (!backup::open_dir(root.string(), req.source).ok()) throw std::runtime_error("cannot open the seed tree");
  req.options.filesystem = root.string();
  req.options.update = false;
  VecSink sink;
  backup::BackupEngine engine(req, sink, nullptr);
  if (!engine.run()) throw std::runtime_error("backup of the seed tree failed");
  write_seed("restore_tar", restore_input(0x04, sink.bytes));
  write_seed("restore_tar", restore_input(0x05, sink.bytes, "/docs", "restored/docs"));
  write_seed("restore_tar", restore_input(0x05, sink.bytes, "/docs/a.txt", "../../outside.txt"));
  write_seed("restore_tar", restore_input(0x05, sink.bytes, "/docs", "/../../../outside"));

  const std::vector<std::vector<Entry>> hostile = {
      {{"../../evil", AE_IFREG, "x"}},
      {{"/tmp/ndmpd-fuzz-evil", AE_IFREG, "x"}},
      {{"sub/../../../evil", AE_IFREG, "x"}},
      {{"link", AE_IFLNK, "../.."}, {"link/evil", AE_IFREG, "x"}},
      {{"abs", AE_IFLNK, "/"}, {"abs/tmp/evil", AE_IFREG, "x"}},
      {{"escape/pwned", AE_IFREG, "x"}},
      {{"escape", AE_IFDIR, ""}, {"escape/pwned", AE_IFREG, "x"}},
      {{"hl", 0, "../../secret"}, {"hl", AE_IFREG, "overwritten"}},
      {{"hl", 0, "escape/secret"}},
      {{"d", AE_IFDIR, ""}, {"d/f", AE_IFREG, "ok"}, {"d/l", AE_IFLNK, "f"}},
  };
  for (const auto& h : hostile) write_seed("restore_tar", restore_input(0x04, make_archive(h)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seedgen OUT_DIR\n";
    return 2;
  }
  g_out = argv[1];
  ndmp::log::set_level(ndmp::log::Level::error);
  {
    test::TestServer server([](server::Config& c) {
      c.library_dir = (fs::path(c.state_dir).parent_path() / "library").string();
      c.library_drives = 2;
      c.library_slots = 4;
      c.library_tape_mib = 4;
    });
    for (int v : {2, 3, 4}) dma_session(server, v);
    // The first session loaded slot 1000 into drive 0; ndmjob's tape suite uses it.
    if (test::ndmjob_available()) {
      for (int v : {2, 3, 4}) {
        for (const auto& args : {std::vector<std::string>{"-q", "-D"},
                                 std::vector<std::string>{"-o", "test-tape", "-f", "emu-drive0", "-T"}}) {
          Relay relay(server.port());
          std::vector<std::string> a = args;
          a.push_back(fmt::format("127.0.0.1:{}/{}m,{},{}", relay.port(), v, test::kUser, test::kPassword));
          Capture cap;
          std::thread t([&] { cap = relay.serve_one(); });
          auto run = test::run_ndmjob(a);
          t.join();
          std::cout << "ndmjob " << args[1] << " v" << v << ": " << cap.to_server.size() << " bytes sent, "
                    << cap.to_client.size() << " received" << (run.timed_out ? " (timed out)" : "") << "\n";
          seeds_from_capture(cap, v);
        }
      }
    } else {
      std::cout << "ndmjob is not installed: no ndmjob sessions in the corpus\n";
    }
  }
  cdb_seeds();
  cm_seeds();
  tar_seeds();
  for (const auto& [t, n] : g_written) std::cout << t << ": " << n << " seeds written\n";
  return 0;
}
