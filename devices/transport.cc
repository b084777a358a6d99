#include "devices/transport.h"

#include <algorithm>

namespace ndmp::dev {

const char* to_string(TransportState s) {
  switch (s) {
    case TransportState::ok: return "ok";
    case TransportState::timeout: return "timeout";
    case TransportState::no_device: return "no device";
    case TransportState::error: return "transport error";
  }
  return "unknown transport state";
}

void CdbResult::set_sense(std::span<const uint8_t> s) {
  sense_length = static_cast<uint8_t>(std::min(s.size(), sense.size()));
  std::copy_n(s.begin(), sense_length, sense.begin());
}

}  // namespace ndmp::dev
