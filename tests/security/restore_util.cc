#include "tests/security/restore_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace ndmp::security {

std::vector<std::byte> make_tar(const std::vector<TarEntry>& entries) {
  std::vector<std::byte> out(1 << 20);
  size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  archive_write_set_bytes_per_block(a, 512);
  archive_write_open_memory(a, out.data(), out.size(), &used);
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    archive_entry_set_mtime(e, t.mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (t.type == AE_IFLNK) archive_entry_set_symlink(e, t.content.c_str());
    if (t.type == AE_IFCHR || t.type == AE_IFBLK) archive_entry_set_rdev(e, t.rdev);
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    for (const auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    if (!t.fflags.empty()) archive_entry_copy_fflags_text(e, t.fflags.c_str());
    const bool data = t.type == AE_IFREG && t.hardlink.empty();
    archive_entry_set_size(e, data ? static_cast<la_int64_t>(t.content.size()) : 0);
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << t.path << ": " << archive_error_string(a);
    if (data && !t.content.empty()) archive_write_data(a, t.content.data(), t.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

bool RestoreResult::mentions(const std::string& s) const {
  for (const auto& m : messages)
    if (m.find(s) != std::string::npos) return true;
  return false;
}

namespace {

// Reads posts until NOTIFY_DATA_HALTED, keeping LOG_MESSAGE and LOG_FILE.
void drain_until_halted(client::Client& c, RestoreResult& r) {
  for (;;) {
    auto p = c.next_post(0, std::chrono::seconds(60));
    if (!p) return;
    if (p->header.code == msg::code::LOG_MESSAGE) {
      r.messages.push_back(static_cast<const msg::LogMessagePost&>(*p->body).entry);
    } else if (p->header.code == msg::code::LOG_FILE) {
      const auto& f = static_cast<const msg::LogFilePost&>(*p->body);
      r.files.push_back({f.name, c.version() == 4 ? f.status == msg::RecoveryStatus::successful
                                                   : f.error == msg::Error::no_err});
    } else if (p->header.code == msg::code::NOTIFY_DATA_HALTED) {
      r.halted = true;
      r.reason = static_cast<const msg::NotifyDataHaltedPost&>(*p->body).reason;
      return;
    }
  }
}

}  // namespace

RestoreResult restore_stream(client::Client& c, const std::string& prefix, const std::vector<std::byte>& tar,
                             const std::vector<std::string>& nlist) {
  RestoreResult r;
  msg::DataListenRequest l;
  l.type = msg::AddrType::tcp;
  auto lr = c.call(msg::code::DATA_LISTEN, l);
  EXPECT_EQ(lr.error(), msg::Error::no_err);
  if (lr.error() != msg::Error::no_err) return r;
  const auto addr = lr.as<msg::DataListenReply>().addr.tcp.at(0);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(addr.ip);
  sa.sin_port = htons(addr.port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  // The "mover": sends the whole stream, then ends it. A refused start
  // closes the connection; the send then just fails.
  std::thread mover([fd, &tar] {
    size_t off = 0;
    while (off < tar.size()) {
      ssize_t n = ::send(fd, tar.data() + off, tar.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
  });
  msg::DataStartRecoverRequest q;
  q.butype = "tar";
  q.env = {{"PREFIX", prefix}};
  q.mover.type = msg::AddrType::tcp;
  for (const auto& n : nlist) {
    msg::Name name;
    name.original_path = n;
    name.destination_path = prefix;
    name.fh_info = ~uint64_t{0};
    q.nlist.push_back(name);
  }
  auto sr = c.call(msg::code::DATA_START_RECOVER, q);
  r.start = sr.error();
  if (r.start != msg::Error::no_err) {
    c.call(msg::code::DATA_ABORT);
    RestoreResult ignored;
    drain_until_halted(c, ignored);
  } else {
    drain_until_halted(c, r);
  }
  ::shutdown(fd, SHUT_RDWR);
  mover.join();
  ::close(fd);
  EXPECT_EQ(c.call(msg::code::DATA_STOP).error(), msg::Error::no_err);
  return r;
}

std::map<std::string, std::string> tree_state(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st{};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    std::ostringstream d;
    d << std::oct << st.st_mode << std::dec << " " << st.st_size << " " << st.st_mtim.tv_sec << "."
      << st.st_mtim.tv_nsec << " " << st.st_nlink;
    if (S_ISREG(st.st_mode)) {
      std::ifstream f(it->path(), std::ios::binary);
      d << " " << std::string(std::istreambuf_iterator<char>(f), {});
    }
    out[std::filesystem::relative(it->path(), dir).string()] = d.str();
  }
  return out;
}

}  // namespace ndmp::security
