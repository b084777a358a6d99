#include "tools/ndmpctl/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

namespace ndmp::ctl {
namespace {

using namespace std::chrono_literals;

// A terminal redraw at most 4 times a second; a log line every 10 s.
constexpr auto kBarInterval = 250ms;
constexpr auto kLineInterval = 10s;

}  // namespace

ProgressStyle auto_progress_style(const std::ostream& out) {
  return &out == &std::cout && ::isatty(STDOUT_FILENO) ? ProgressStyle::bar : ProgressStyle::lines;
}

Progress::Progress(std::ostream& out, ProgressStyle style, std::string what, Clock clock)
    : out_(out), style_(style), what_(std::move(what)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {
  start_ = clock_();
}

Progress::~Progress() { end_line(); }

std::string Progress::human_bytes(uint64_t b) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(b);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string Progress::human_duration(uint64_t s) {
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

std::string Progress::render(const ProgressSnapshot& s, std::chrono::steady_clock::time_point now) const {
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0.1 ? static_cast<double>(s.bytes) / secs : 0.0;
  std::string eta = "--:--";
  if (s.bytes_remaining && rate > 0) eta = human_duration(static_cast<uint64_t>(static_cast<double>(*s.bytes_remaining) / rate));
  else if (s.bytes_remaining && *s.bytes_remaining == 0) eta = human_duration(0);
  std::string line = fmt::format("{} {:>10}  {:>10}/s  ETA {}", what_, human_bytes(s.bytes),
                                 human_bytes(static_cast<uint64_t>(rate)), eta);
  if (!s.tape.empty()) line += "  tape " + s.tape;
  return line;
}

void Progress::draw(std::chrono::steady_clock::time_point now) {
  last_draw_ = now;
  drawn_once_ = true;
  std::string line = render(last_, now);
  if (style_ == ProgressStyle::bar) {
    // Blanks over what is left of a longer previous line.
    std::string pad(open_len_ > line.size() ? open_len_ - line.size() : 0, ' ');
    out_ << '\r' << line << pad << std::flush;
    open_len_ = line.size();
  } else {
    out_ << line << "\n" << std::flush;
  }
}

void Progress::end_line() {
  if (open_len_ == 0) return;
  out_ << "\n" << std::flush;
  open_len_ = 0;
}

void Progress::update(const ProgressSnapshot& s) {
  last_ = s;
  if (style_ == ProgressStyle::none) return;
  const auto now = clock_();
  const auto interval = style_ == ProgressStyle::bar ? std::chrono::steady_clock::duration(kBarInterval)
                                                     : std::chrono::steady_clock::duration(kLineInterval);
  if (!drawn_once_ || now - last_draw_ >= interval) draw(now);
}

void Progress::note(const std::string& line) {
  end_line();
  out_ << line << "\n" << std::flush;
}

void Progress::finish() {
  if (style_ != ProgressStyle::none) {
    if (style_ == ProgressStyle::bar || !drawn_once_ || last_draw_ != clock_()) draw(clock_());
  }
  end_line();
}

}  // namespace ndmp::ctl
