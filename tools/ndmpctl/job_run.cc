#include "tools/ndmpctl/job_run.h"

#include <fmt/format.h>

#include <algorithm>

#include "tools/ndmpctl/interrupt.h"

namespace ndmp::ctl {
namespace {

namespace code = msg::code;
using namespace std::chrono_literals;

constexpr auto kPollEvery = 1s;

struct PostRow {
  uint32_t code;
  void (JobRun::*handle)(Side, const xdr::Message&);
};

// Keyed by message number; anything not listed goes to the job (on_post).
const PostRow kPostTable[] = {
    {code::LOG_MESSAGE, &JobRun::post_log_message},
    {code::LOG_LOG, &JobRun::post_log_log},
    {code::NOTIFY_DATA_HALTED, &JobRun::post_data_halted},
    {code::NOTIFY_MOVER_HALTED, &JobRun::post_mover_halted},
    {code::NOTIFY_MOVER_PAUSED, &JobRun::post_mover_paused},
};

}  // namespace

void JobRun::post_log_message(Side side, const xdr::Message& m) {
  const auto& p = static_cast<const msg::LogMessagePost&>(*m.body);
  if (p.type == msg::LogType::debug) return;
  const char* kind = p.type == msg::LogType::error ? "error: " : p.type == msg::LogType::warning ? "warning: " : "";
  progress_.note(fmt::format("{} server: {}{}", side == Side::data ? "data" : "tape", kind, p.entry));
  if (p.type == msg::LogType::error) reasons_.push_back(p.entry);
}

void JobRun::post_log_log(Side side, const xdr::Message& m) {
  progress_.note(fmt::format("{} server: {}", side == Side::data ? "data" : "tape",
                             static_cast<const msg::LogLogPost&>(*m.body).entry));
}

void JobRun::post_data_halted(Side, const xdr::Message& m) {
  const auto& p = static_cast<const msg::NotifyDataHaltedPost&>(*m.body);
  data_halt_post_ = true;
  if (p.reason != msg::DataHaltReason::successful && !p.text.empty()) reasons_.push_back(p.text);
}

void JobRun::post_mover_halted(Side, const xdr::Message& m) {
  const auto& p = static_cast<const msg::NotifyMoverHaltedPost&>(*m.body);
  mover_halt_post_ = true;
  if (p.reason != msg::MoverHaltReason::connect_closed && !p.text.empty()) reasons_.push_back(p.text);
}

void JobRun::post_mover_paused(Side, const xdr::Message& m) {
  // Served from the loop, not from inside the pump: serving it makes calls.
  pauses_.push_back(static_cast<const msg::NotifyMoverPausedPost&>(*m.body));
}

Outcome JobRun::poll_states() {
  auto d = link_.call(Side::data, code::DATA_GET_STATE);
  if (!d.ok()) return d.outcome();
  data_ = d->as<msg::DataGetStateReply>();
  auto t = link_.call(Side::tape, code::MOVER_GET_STATE);
  if (!t.ok()) return t.outcome();
  mover_ = t->as<msg::MoverGetStateReply>();
  return {};
}

ProgressSnapshot JobRun::snapshot() const {
  ProgressSnapshot s;
  s.bytes = data_.bytes_processed;
  if (!(data_.invalid & 0x1)) s.bytes_remaining = data_.est_bytes_remain;  // facts 5.11: 0x1 = EST_BYTES_REMAIN
  s.tape = media_.mounted().describe();
  return s;
}

Outcome JobRun::run() {
  auto dispatch = [this](Side side, const xdr::Message& m) {
    auto row = std::find_if(std::begin(kPostTable), std::end(kPostTable),
                            [&](const PostRow& r) { return r.code == m.header.code; });
    if (row != std::end(kPostTable)) (this->*(row->handle))(side, m);
    else post_other(side, m);
  };
  auto last_poll = std::chrono::steady_clock::now() - kPollEvery;
  for (;;) {
    // Ctrl-C (interrupt.h): the caller's wind_down() aborts the job.
    if (interrupt_requested()) return Outcome::interrupted("interrupted (Ctrl-C)");
    link_.pump(250ms, dispatch);
    while (failure_.ok() && !pauses_.empty()) {
      auto p = pauses_.front();
      pauses_.erase(pauses_.begin());
      if (auto o = on_pause(p); !o.ok()) fail(o);
    }
    if (!failure_.ok()) return failure_;
    const auto now = std::chrono::steady_clock::now();
    // A halt post is answered at once, so the job ends without a second's wait.
    if (now - last_poll >= kPollEvery || data_halt_post_ || mover_halt_post_) {
      last_poll = now;
      if (auto o = poll_states(); !o.ok()) return o;
      progress_.update(snapshot());
      data_halt_post_ = mover_halt_post_ = false;
      if (finished()) {
        // Posts that came in while the state requests waited (the last file
        // history comes just before the halt, facts 6.9) are still queued.
        link_.pump(std::chrono::milliseconds(0), dispatch);
        return failure_;
      }
      // One side failed: the other would wait for ever on its data connection.
      const bool dh = data_.state == msg::DataState::halted, mh = mover_.state == msg::MoverState::halted;
      if (dh && data_.halt_reason != msg::DataHaltReason::successful && !mh) return {};
      if (mh && mover_.halt_reason != msg::MoverHaltReason::connect_closed && !dh) return {};
    }
  }
}

void JobRun::wind_down() {
  auto note = [&](const Outcome& o) {
    if (!o.ok()) reasons_.push_back(o.text);
  };
  if (poll_states().ok()) {
    if (data_.state != msg::DataState::halted && data_.state != msg::DataState::idle)
      if (auto r = link_.call(Side::data, code::DATA_ABORT); !r.ok()) note(r.outcome());
    if (mover_.state != msg::MoverState::halted && mover_.state != msg::MoverState::idle)
      if (auto r = link_.call(Side::tape, code::MOVER_ABORT); !r.ok()) note(r.outcome());
  }
  // Aborts halt at once in ndmpd; a few polls cover servers that take longer.
  for (int i = 0; i < 20; ++i) {
    if (!poll_states().ok()) return;
    const bool dh = data_.state == msg::DataState::halted || data_.state == msg::DataState::idle;
    const bool mh = mover_.state == msg::MoverState::halted || mover_.state == msg::MoverState::idle;
    if (dh && mh) break;
    link_.pump(250ms, [](Side, const xdr::Message&) {});
  }
  if (data_.state == msg::DataState::halted)
    if (auto r = link_.call(Side::data, code::DATA_STOP); !r.ok()) note(r.outcome());
  if (mover_.state == msg::MoverState::halted)
    if (auto r = link_.call(Side::tape, code::MOVER_STOP); !r.ok()) note(r.outcome());
}

std::string JobRun::interrupted_summary(const Outcome& unloaded, bool loaded) {
  const std::string halts = halt_summary();  // as wind_down() left them, before the stops
  const bool idle = poll_states().ok() && data_.state == msg::DataState::idle && mover_.state == msg::MoverState::idle;
  std::string s = idle ? "interrupted: the server's job was aborted and its data and mover are idle again"
                       : "interrupted: the server's job was aborted, but it did not come back to idle (" + halts + ")";
  if (loaded) s += unloaded.ok() ? "; the tape was put back" : "; the tape stays in the drive: " + unloaded.text;
  return s;
}

std::string JobRun::halt_summary() const {
  std::string s = fmt::format("DATA {}{}, MOVER {}{}",
                              data_.state == msg::DataState::halted ? "halted " : "not halted",
                              data_.state == msg::DataState::halted ? halt_name(data_.halt_reason) : "",
                              mover_.state == msg::MoverState::halted ? "halted " : "not halted",
                              mover_.state == msg::MoverState::halted ? halt_name(mover_.halt_reason) : "");
  std::vector<std::string> uniq;
  for (const auto& r : reasons_)
    if (std::find(uniq.begin(), uniq.end(), r) == uniq.end()) uniq.push_back(r);
  for (size_t i = 0; i < uniq.size(); ++i) s += (i == 0 ? ": " : "; ") + uniq[i];
  return s;
}

}  // namespace ndmp::ctl
