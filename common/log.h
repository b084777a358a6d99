// Operator log: one line per event, in words an operator understands.
//
//   2026-11-22T10:00:01Z ndmpd[1234] info  session 7 (192.0.2.4:51230): authenticated as "ndmp" (MD5)
//
// Thread-safe; lines are written whole. The sink is stderr unless set_file()
// is called. Level filtering happens before formatting, so debug lines cost
// nothing when the level is higher.
//
// Under systemd (JOURNAL_STREAM names our stderr, sd_journal_stream_fd(3))
// a stderr line is "<N>text": the journal takes the priority from the
// syslog-style prefix and stamps the time itself, so no second timestamp.
// write_fields() adds fields a journal query can filter on
// (journalctl NDMP_JOB_ID=...): sent to the journal's native socket when it
// is there (systemd.journal-fields(7), the datagram protocol of
// sd_journal_send), else appended to the line as key=value.
#pragma once

#include <fmt/format.h>
#include <initializer_list>
#include <string>
#include <string_view>

namespace ndmp::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level& out);  // "debug", "info", "warning", "error"
void set_program(std::string_view name);               // "ndmpd", "ndmpctl"
bool set_file(const std::string& path);                // append to a file instead of stderr
void write(Level level, std::string_view text);

// One field of a structured line: an upper-case journal field name
// ("NDMP_JOB_ID") and its value (escaped like the text).
struct Field {
  std::string_view name;
  std::string value;
};
void write_fields(Level level, std::string_view text, std::initializer_list<Field> fields);
// Whether stderr goes to the journal (decided once, at the first line).
bool to_journal();
// Test seam: the journal's native socket (default /run/systemd/journal/socket)
// and whether stderr counts as the journal stream.
void set_journal(const std::string& socket_path, bool stream);

inline bool enabled(Level l) { return l >= level(); }

template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<Args>(a)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::info)) write(Level::info, fmt::format(f, std::forward<Args>(a)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::warning)) write(Level::warning, fmt::format(f, std::forward<Args>(a)...));
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::error)) write(Level::error, fmt::format(f, std::forward<Args>(a)...));
}

}  // namespace ndmp::log
