#include "common/escape.h"

namespace ndmp::log {
namespace {

std::string escape_if(std::string_view s, bool backslash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || (backslash && c == '\\')) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string escape(std::string_view s) { return escape_if(s, true); }
std::string escape_controls(std::string_view s) { return escape_if(s, false); }

}  // namespace ndmp::log
