#include "statemachine/notification.h"

#include <string>

namespace ndmp::sm {

uint32_t Notification::reason() const {
  switch (kind) {
    case NotificationKind::data_halted: return static_cast<uint32_t>(data_halt);
    case NotificationKind::mover_halted: return static_cast<uint32_t>(mover_halt);
    case NotificationKind::mover_paused: return static_cast<uint32_t>(pause);
  }
  return 0;
}

std::string_view to_string(NotificationKind k) {
  switch (k) {
    case NotificationKind::data_halted: return "NOTIFY_DATA_HALTED";
    case NotificationKind::mover_halted: return "NOTIFY_MOVER_HALTED";
    case NotificationKind::mover_paused: return "NOTIFY_MOVER_PAUSED";
  }
  return "?notification";
}

std::string to_string(const Notification& n) {
  std::string out(to_string(n.kind));
  out += '(';
  switch (n.kind) {
    case NotificationKind::data_halted: out += to_string(n.data_halt); break;
    case NotificationKind::mover_halted: out += to_string(n.mover_halt); break;
    case NotificationKind::mover_paused:
      out += to_string(n.pause);
      out += ", seek_position ";
      out += std::to_string(n.seek_position);
      break;
  }
  out += ')';
  return out;
}

}  // namespace ndmp::sm
