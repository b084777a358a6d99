#include "common/log.h"

#include "common/escape.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ndmp::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;
std::string g_program = "ndmpd";
FILE* g_out = nullptr;  // nullptr = stderr

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

void write(Level l, std::string_view text) {
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
