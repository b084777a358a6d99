#include "common/log.h"

#include "common/escape.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ndmp::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;
std::string g_program = "ndmpd";
FILE* g_out = nullptr;  // nullptr = stderr

// Journal: decided once from the environment unless a test set it first.
std::once_flag g_journal_once;
bool g_journal_stream = false;
std::string g_journal_socket = "/run/systemd/journal/socket";
int g_journal_fd = -1;  // datagram socket for write_fields, opened with the decision

void decide_journal() {
  std::call_once(g_journal_once, [] {
    // JOURNAL_STREAM is "device:inode" of the stream systemd connected to our
    // stderr; a stderr redirected elsewhere by a shell no longer matches.
    if (const char* js = std::getenv("JOURNAL_STREAM")) {
      unsigned long long dev = 0, ino = 0;
      struct stat st {};
      if (std::sscanf(js, "%llu:%llu", &dev, &ino) == 2 && ::fstat(STDERR_FILENO, &st) == 0)
        g_journal_stream = st.st_dev == dev && st.st_ino == ino;
    }
    if (g_journal_stream) g_journal_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  });
}

int syslog_priority(Level l) {
  switch (l) {
    case Level::debug: return 7;
    case Level::info: return 6;
    case Level::warning: return 4;
    case Level::error: return 3;
  }
  return 6;
}

// One field as the native protocol wants it: NAME=value and a newline. The
// value is escaped, so it holds no newline and the simple form is enough.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append("=").append(value).append("\n");
}

const char* name_of(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
  }
  return "?";
}
}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }

bool parse_level(std::string_view t, Level& out) {
  if (t == "debug") out = Level::debug;
  else if (t == "info") out = Level::info;
  else if (t == "warning" || t == "warn") out = Level::warning;
  else if (t == "error") out = Level::error;
  else return false;
  return true;
}

void set_program(std::string_view name) {
  std::lock_guard lock(g_mutex);
  g_program = std::string(name);
}

bool set_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return false;
  std::setvbuf(f, nullptr, _IOLBF, 0);
  std::lock_guard lock(g_mutex);
  if (g_out) std::fclose(g_out);
  g_out = f;
  return true;
}

void set_journal(const std::string& socket_path, bool stream) {
  std::call_once(g_journal_once, [] {});
  std::lock_guard lock(g_mutex);
  g_journal_socket = socket_path;
  g_journal_stream = stream;
  if (stream && g_journal_fd < 0) g_journal_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

bool to_journal() {
  decide_journal();
  std::lock_guard lock(g_mutex);
  return g_journal_stream && !g_out;
}

void write_fields(Level l, std::string_view text, std::initializer_list<Field> fields) {
  if (!enabled(l)) return;
  if (to_journal()) {
    std::string msg;
    append_field(msg, "MESSAGE", escape_controls(text));
    append_field(msg, "PRIORITY", std::to_string(syslog_priority(l)));
    {
      std::lock_guard lock(g_mutex);
      append_field(msg, "SYSLOG_IDENTIFIER", g_program);
    }
    for (const auto& f : fields) append_field(msg, f.name, escape_controls(f.value));
    sockaddr_un to{};
    to.sun_family = AF_UNIX;
    std::string path;
    {
      std::lock_guard lock(g_mutex);
      path = g_journal_socket;
    }
    if (path.size() < sizeof to.sun_path) {
      std::memcpy(to.sun_path, path.data(), path.size());
      if (::sendto(g_journal_fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&to),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size())) ==
          static_cast<ssize_t>(msg.size()))
        return;
    }
    // No native socket (a container's journal, say): the line still goes
    // out through the stream, fields in the text.
  }
  std::string line(text);
  for (const auto& f : fields) line += fmt::format(" {}={}", f.name, f.value);
  write(l, line);
}

void write(Level l, std::string_view text) {
  decide_journal();
  bool journal = false;
  {
    std::lock_guard lock(g_mutex);
    journal = g_journal_stream && !g_out;
  }
  if (journal) {
    // The journal stamps the time and reads the priority from "<N>".
    std::string line = fmt::format("<{}>{}\n", syslog_priority(l), escape_controls(text));
    std::lock_guard lock(g_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    return;
  }
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  // One event, one line, whatever a caller passed in (see escape_controls).
  std::string line =
      fmt::format("{}.{:03d}Z {}[{}] {:<7} {}\n", stamp, ms, g_program, getpid(), name_of(l), escape_controls(text));
  std::lock_guard lock(g_mutex);
  FILE* out = g_out ? g_out : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace ndmp::log
