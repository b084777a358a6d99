#include "statemachine/mover_machine.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "statemachine/version.h"

namespace ndmp::sm {

MoverMachine::MoverMachine(int version) : version_(version) {
  if (!is_supported_version(version)) {
    throw std::invalid_argument("MoverMachine: NDMP version " + std::to_string(version) +
                                " is not served (2..4)");
  }
}

MoverResult MoverMachine::check(MoverEvent event) const {
  const MoverDecision d = decide(state_, event, version_);
  if (!d.legal()) return {d.error, state_, state_, MoverTransition::rejected};
  return {Error::no_err, state_, d.row->to, d.row->transition};
}

MoverResult MoverMachine::apply(MoverEvent event, const MoverArgs& args) {
  const MoverDecision d = decide(state_, event, version_);
  if (!d.legal()) return {d.error, state_, state_, MoverTransition::rejected};
  const MoverRow& row = *d.row;
  const MoverState from = state_;

  if (row.sets_mode) mode_ = args.mode;
  if (event == MoverEvent::set_window) window_set_since_pause_ = true;
  if (row.halt != MoverHaltReason::na) {
    halt_reason_ = row.halt;
    pause_reason_ = MoverPauseReason::na;
  }
  if (row.pause != MoverPauseReason::na) {
    pause_reason_ = row.pause;
    window_set_since_pause_ = false;
  }
  state_ = row.to;
  if (state_ == MoverState::active) pause_reason_ = MoverPauseReason::na;
  if (state_ == MoverState::idle) {
    mode_ = MoverMode::noaction;
    halt_reason_ = MoverHaltReason::na;
    pause_reason_ = MoverPauseReason::na;
    window_set_since_pause_ = false;
  }

  if (row.notify == NotificationKind::mover_halted) {
    pending_.push_back(Notification::mover_halted(halt_reason_));
  } else if (row.notify == NotificationKind::mover_paused) {
    pending_.push_back(Notification::mover_paused(pause_reason_, args.seek_position));
  }
  return {Error::no_err, from, state_, row.transition};
}

std::vector<Notification> MoverMachine::take_notifications() {
  return std::exchange(pending_, {});
}

}  // namespace ndmp::sm
