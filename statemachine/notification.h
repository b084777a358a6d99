// A post the server owes the DMA because a state machine changed state.
//
// Transitions queue these in the machine that made them (see
// DataMachine::take_notifications, MoverMachine::take_notifications), so a
// transition cannot forget its post: the rule "every entry into HALTED posts
// NOTIFY_*_HALTED, every entry into PAUSED posts NOTIFY_MOVER_PAUSED" (SPEC4
// 2.11.5/2.11.6, facts 6.5/6.6) lives in the tables, and the session turns each
// value into one post. The value carries the machine's reason; the session maps
// it to the version's wire value (wire_pause_reason: v2 has no EOW).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "statemachine/reasons.h"

namespace ndmp::sm {

enum class NotificationKind : uint32_t {
  data_halted = 0x501,   // NOTIFY_DATA_HALTED(reason)
  mover_halted = 0x503,  // NOTIFY_MOVER_HALTED(reason)
  mover_paused = 0x504,  // NOTIFY_MOVER_PAUSED(reason, seek_position)
};

struct Notification {
  NotificationKind kind = NotificationKind::data_halted;
  // Exactly one of these is meaningful, chosen by `kind`; the others stay NA.
  DataHaltReason data_halt = DataHaltReason::na;
  MoverHaltReason mover_halt = MoverHaltReason::na;
  MoverPauseReason pause = MoverPauseReason::na;
  // mover_paused only: the stream offset the mover wants next (SEEK) or where
  // it stopped; the owner supplies it with the pause event.
  uint64_t seek_position = 0;

  static Notification data_halted(DataHaltReason r) {
    Notification n;
    n.kind = NotificationKind::data_halted;
    n.data_halt = r;
    return n;
  }
  static Notification mover_halted(MoverHaltReason r) {
    Notification n;
    n.kind = NotificationKind::mover_halted;
    n.mover_halt = r;
    return n;
  }
  static Notification mover_paused(MoverPauseReason r, uint64_t seek_position) {
    Notification n;
    n.kind = NotificationKind::mover_paused;
    n.pause = r;
    n.seek_position = seek_position;
    return n;
  }

  // The reason as the internal enum's number (equal to the wire value except
  // for the per-version mappings in reasons.h).
  uint32_t reason() const;

  friend bool operator==(const Notification&, const Notification&) = default;
};

std::string_view to_string(NotificationKind k);
// "NOTIFY_MOVER_PAUSED(EOM, seek_position 1048576)"
std::string to_string(const Notification& n);

}  // namespace ndmp::sm
