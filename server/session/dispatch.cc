#include "server/session/dispatch.h"

#include <unordered_map>

namespace ndmp::server {

const DispatchEntry* find_handler(uint32_t code) {
  // Built once from the interface tables; a code listed twice is a programming
  // error caught by the dispatch test, not silently shadowed.
  static const std::unordered_map<uint32_t, const DispatchEntry*> index = [] {
    std::unordered_map<uint32_t, const DispatchEntry*> m;
    for (auto table : {connect_table(), config_table(), scsi_table(), tape_table(), data_table(), mover_table()})
      for (const auto& e : table) m.emplace(e.code, &e);
    return m;
  }();
  auto it = index.find(code);
  return it == index.end() ? nullptr : it->second;
}

}  // namespace ndmp::server
