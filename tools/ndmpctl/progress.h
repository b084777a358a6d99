// What a running job shows the operator: on a terminal, one live line
//
//   backup  1.2 GiB  85.3 MiB/s  ETA 0:02:13  tape MON-1 (slot 3)
//
// redrawn in place with '\r' at most 4 times a second, padded with blanks
// over the previous text (no terminal escape sequences, so it works on any
// terminal and leaves a clean log when captured), and ended with a newline
// before any other line is printed and when the job ends. Elsewhere (a pipe,
// a file, cron), one plain line every 10 seconds instead.
//
// The clock is injected so tests can drive the rate limits without sleeping.
// Threads: one thread (the job loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

namespace ndmp::ctl {

enum class ProgressStyle { bar, lines, none };

struct ProgressSnapshot {
  uint64_t bytes = 0;                      // DATA bytes_processed
  std::optional<uint64_t> bytes_remaining;  // DATA est_bytes_remain when the server estimates it
  std::string tape;                        // "MON-1 (slot 3)"
};

class Progress {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  Progress(std::ostream& out, ProgressStyle style, std::string what, Clock clock = {});
  ~Progress();  // ends a bar line that is still open

  // Records the latest figures; draws when the style's interval has passed
  // (always draws the first time).
  void update(const ProgressSnapshot& s);
  // A line of narration (tape change, server log): ends the bar line first.
  void note(const std::string& line);
  // Draws the final figures and ends the bar line with a newline.
  void finish();

  // "1.2 GiB", "512 B"
  static std::string human_bytes(uint64_t b);
  // "0:02:13"
  static std::string human_duration(uint64_t seconds);
  std::string render(const ProgressSnapshot& s, std::chrono::steady_clock::time_point now) const;

 private:
  void draw(std::chrono::steady_clock::time_point now);
  void end_line();

  std::ostream& out_;
  ProgressStyle style_;
  std::string what_;
  Clock clock_;
  std::chrono::steady_clock::time_point start_, last_draw_{};
  bool drawn_once_ = false;
  size_t open_len_ = 0;  // characters of the bar on screen; 0 = no open line
  ProgressSnapshot last_;
};

// bar when `out` is std::cout and stdout is a terminal, else lines.
ProgressStyle auto_progress_style(const std::ostream& out);

}  // namespace ndmp::ctl
