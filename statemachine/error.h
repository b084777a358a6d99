// The NDMP error numbers the state machines answer with.
//
// The values are the wire numbers of ndmp_error; they are contiguous from 0 and
// identical in v2, v3 and v4 (later versions only append), so server/ can put
// them on the wire unchanged. Only the numbers this part produces are named
// here; statemachine/ must not include xdr/ (docs/ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace ndmp::sm {

enum class Error : uint32_t {
  no_err = 0,
  // The request does not exist in the negotiated version (DATA_LISTEN in v2,
  // DATA_CONTINUE in v2-v4). Same answer as an unknown message code.
  not_supported = 1,
  illegal_args = 9,
  // "Not valid in the current DATA/MOVER state". A rejected request changes
  // nothing (SPEC4 2.11.1).
  illegal_state = 19,
  // v4 only: MOVER_READ while bytes_left_to_read > 0.
  read_in_progress = 25,
  // v4 only: a required step is missing (MOVER_CONTINUE without a new window).
  precondition = 26,
};

std::string_view to_string(Error e);

}  // namespace ndmp::sm
