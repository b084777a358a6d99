// Checks on MOVER requests that depend on more than the state, kept out of the
// table so the table stays a pure function of (state, event, version). A
// handler calls the guard after the machine's check() said the state is right
// and before it acts; a non-NO_ERR answer is the reply and nothing changes.
#pragma once

#include <cstdint>

#include "statemachine/error.h"
#include "statemachine/reasons.h"

namespace ndmp::sm {

// MOVER_READ in ACTIVE (facts 6.6, 6.10, section 8 #12):
//  - the mover must be in mode WRITE (tape -> connection, a restore); a read
//    request on a backup mover is ILLEGAL_STATE_ERR;
//  - only one read may be outstanding: bytes_left_to_read > 0 is
//    READ_IN_PROGRESS_ERR in v4 (SPEC4, illumos) and ILLEGAL_STATE_ERR in v2/v3
//    (the error does not exist there; ndmjob answers ILLEGAL_STATE).
// The offset/length checks (length 0, overflow -> ILLEGAL_ARGS_ERR) are the
// handler's.
Error audit_read(int version, MoverMode mode, uint64_t bytes_left_to_read);

// MOVER_CONTINUE in PAUSED: SPEC4 says the DMA MUST set a window before every
// CONTINUE; v4 answers PRECONDITION_ERR when it did not. v2/v3 have no such
// error and accept.
Error audit_continue(int version, bool window_set_since_pause);

// The mode of MOVER_LISTEN / MOVER_CONNECT as it came off the wire: READ (0)
// and WRITE (1) are accepted; v2's DATA (2) is not offered, v4's NOACTION (2)
// is invalid for LISTEN/CONNECT, anything else is out of range: all
// ILLEGAL_ARGS_ERR (ndmjob's test-mover M-LISTEN/bogus-args sends 123).
// On success `out` holds the mode to pass in MoverArgs.
Error audit_listen_mode(uint32_t wire_mode, MoverMode& out);

}  // namespace ndmp::sm
