// Strings from a peer (DMA, data connection) or from a tape reach the
// operator log and the DMA's LOG messages. A newline or an escape sequence
// in them would let whoever chose the string forge log lines or drive the
// operator's terminal, so every such string passes through escape() where
// it is put into a log line or a LOG message.
#pragma once

#include <string>
#include <string_view>

namespace ndmp::log {

// Control characters (0x00-0x1f, 0x7f) and the backslash become \xNN, so
// the result is one line and reads back unambiguously. Bytes from 0x80 up
// pass unchanged: UTF-8 names stay readable.
std::string escape(std::string_view s);

// Control characters only, backslash untouched: the backstop applied to
// whole lines (log::write, LOG messages) so that a call site that forgot
// escape() still cannot split a line. Leaving backslashes alone keeps the
// \xNN that escape() already wrote readable.
std::string escape_controls(std::string_view s);

}  // namespace ndmp::log
