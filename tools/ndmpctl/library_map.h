// The changer's elements as an mtx user numbers them, read once per command.
//
// mtx numbering (what `mtx status` prints): data transfer elements 0..D-1,
// storage elements 1..N, then import/export elements N+1..N+M (printed with
// "IMPORT/EXPORT"); each list in ascending element address. An element may
// also be named by its SMC address with '@' ("@1002"), as ndmjob does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devices/media_changer.h"
#include "tools/ndmpctl/outcome.h"

namespace ndmp::ctl {

struct LibraryMap {
  std::vector<dev::ElementStatus> transports, drives, slots, mailslots;

  // Storage element reference ("3", "@1002") -> address; mailslots included.
  Result<uint16_t> storage(const std::string& ref) const;
  // Drive reference ("0", "@500") -> address.
  Result<uint16_t> drive(const std::string& ref) const;
  const dev::ElementStatus* find(uint16_t address) const;
  // mtx number of a storage/mailslot address; 0 if it is neither.
  unsigned storage_number(uint16_t address) const;
  // "slot 3", "mailslot 9", "drive 0", "@16"
  std::string describe(uint16_t address) const;
  bool is_mailslot(uint16_t address) const;
};

// READ ELEMENT STATUS of every type through `mc`.
Result<LibraryMap> read_library(dev::MediaChanger& mc);

}  // namespace ndmp::ctl
