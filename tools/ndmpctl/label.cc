#include "tools/ndmpctl/label.h"

#include <fmt/format.h>

#include <cstring>

namespace ndmp::ctl {

std::string check_label_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return "a label name has 1 to 64 characters";
  for (unsigned char c : name)
    if (c <= 0x20 || c >= 0x7f) return "a label name is printable ASCII without blanks";
  return {};
}

std::vector<uint8_t> encode_label(const std::string& name, std::time_t now) {
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string text = fmt::format("{}name={}\ncreated={}\n", kLabelMagic, name, when);
  std::vector<uint8_t> rec(kLabelRecordSize, 0);
  std::memcpy(rec.data(), text.data(), std::min(text.size(), rec.size()));
  return rec;
}

std::optional<TapeLabel> decode_label(std::span<const uint8_t> record) {
  const size_t magic = std::strlen(kLabelMagic);
  if (record.size() < magic || std::memcmp(record.data(), kLabelMagic, magic) != 0) return std::nullopt;
  std::string text(reinterpret_cast<const char*>(record.data()) + magic, record.size() - magic);
  text = text.substr(0, text.find('\0'));
  TapeLabel l;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "name") l.name = value;
    else if (key == "created") l.created = value;
  }
  if (!check_label_name(l.name).empty()) return std::nullopt;
  return l;
}

}  // namespace ndmp::ctl
