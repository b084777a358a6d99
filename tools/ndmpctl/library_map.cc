#include "tools/ndmpctl/library_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "tools/ndmpctl/drive.h"

namespace ndmp::ctl {
namespace {

bool parse_number(const std::string& s, unsigned& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Result<LibraryMap> read_library(dev::MediaChanger& mc) {
  auto all = mc.read_element_status(dev::ElementType::all);
  if (!all.ok()) return device_failure("READ ELEMENT STATUS", all.status());
  LibraryMap m;
  std::set<uint16_t> seen;
  for (auto& e : all.value()) {
    // The driver asks once per element type; ndmjob's simulated robot
    // ignores the type and answers every element each time, so the same
    // address can come back four times. An address is one element.
    if (!seen.insert(e.address).second) continue;
    switch (e.type) {
      case dev::ElementType::transport: m.transports.push_back(e); break;
      case dev::ElementType::storage: m.slots.push_back(e); break;
      case dev::ElementType::import_export: m.mailslots.push_back(e); break;
      case dev::ElementType::data_transfer: m.drives.push_back(e); break;
      default: break;
    }
  }
  auto by_address = [](const dev::ElementStatus& a, const dev::ElementStatus& b) { return a.address < b.address; };
  for (auto* v : {&m.transports, &m.drives, &m.slots, &m.mailslots}) std::sort(v->begin(), v->end(), by_address);
  return m;
}

const dev::ElementStatus* LibraryMap::find(uint16_t address) const {
  for (const auto* v : {&transports, &drives, &slots, &mailslots})
    for (const auto& e : *v)
      if (e.address == address) return &e;
  return nullptr;
}

Result<uint16_t> LibraryMap::storage(const std::string& ref) const {
  unsigned n = 0;
  if (!ref.empty() && ref[0] == '@') {
    if (!parse_number(ref.substr(1), n) || !find(static_cast<uint16_t>(n)))
      return Outcome::usage(fmt::format("no element at address {}", ref));
    return static_cast<uint16_t>(n);
  }
  if (!parse_number(ref, n) || n == 0 || n > slots.size() + mailslots.size())
    return Outcome::usage(fmt::format("no storage element {}: slots are 1..{}{}", ref, slots.size(),
                                      mailslots.empty() ? std::string()
                                                        : fmt::format(", import/export {}..{}", slots.size() + 1,
                                                                      slots.size() + mailslots.size())));
  return n <= slots.size() ? slots[n - 1].address : mailslots[n - 1 - slots.size()].address;
}

Result<uint16_t> LibraryMap::drive(const std::string& ref) const {
  unsigned n = 0;
  if (!ref.empty() && ref[0] == '@') {
    if (!parse_number(ref.substr(1), n) || !find(static_cast<uint16_t>(n)))
      return Outcome::usage(fmt::format("no element at address {}", ref));
    return static_cast<uint16_t>(n);
  }
  if (!parse_number(ref, n) || n >= drives.size())
    return Outcome::usage(fmt::format("no drive {}: drives are 0..{}", ref, drives.size() - 1));
  return drives[n].address;
}

unsigned LibraryMap::storage_number(uint16_t address) const {
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i].address == address) return static_cast<unsigned>(i + 1);
  for (size_t i = 0; i < mailslots.size(); ++i)
    if (mailslots[i].address == address) return static_cast<unsigned>(slots.size() + i + 1);
  return 0;
}

bool LibraryMap::is_mailslot(uint16_t address) const {
  return std::any_of(mailslots.begin(), mailslots.end(), [&](const auto& e) { return e.address == address; });
}

std::string LibraryMap::describe(uint16_t address) const {
  for (size_t i = 0; i < drives.size(); ++i)
    if (drives[i].address == address) return fmt::format("drive {}", i);
  if (unsigned n = storage_number(address))
    return fmt::format("{} {}", is_mailslot(address) ? "import/export" : "slot", n);
  return fmt::format("@{}", address);
}

}  // namespace ndmp::ctl
