#include "server/session/dispatch.h"

namespace ndmp::server {

DispatchIndex::DispatchIndex(std::initializer_list<std::span<const DispatchEntry>> tables) {
  for (auto table : tables)
    for (const auto& e : table)
      if (!index_.emplace(e.code, &e).second) duplicates_.push_back(e.code);
}

const DispatchEntry* DispatchIndex::find(uint32_t code) const {
  auto it = index_.find(code);
  return it == index_.end() ? nullptr : it->second;
}

}  // namespace ndmp::server
