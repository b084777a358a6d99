#include "server/device_registry.h"

namespace ndmp::server {

void DeviceRegistry::add(DeviceDescription d) {
  std::lock_guard lock(mutex_);
  devices_.push_back(std::move(d));
}

std::vector<DeviceDescription> DeviceRegistry::list() const {
  std::lock_guard lock(mutex_);
  return devices_;
}

const DeviceDescription* DeviceRegistry::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (const auto& d : devices_)
    if (d.name == name) return &d;  // entries are never removed, so the pointer stays valid
  return nullptr;
}

ClaimResult DeviceRegistry::claim(const std::string& name, uint64_t session_id) {
  std::lock_guard lock(mutex_);
  bool known = false;
  for (const auto& d : devices_) known = known || d.name == name;
  if (!known) return ClaimResult::no_device;
  auto [it, inserted] = holders_.emplace(name, session_id);
  if (!inserted && it->second != session_id) return ClaimResult::busy;
  return ClaimResult::ok;
}

void DeviceRegistry::release(const std::string& name, uint64_t session_id) {
  std::lock_guard lock(mutex_);
  auto it = holders_.find(name);
  if (it != holders_.end() && it->second == session_id) holders_.erase(it);
}

void DeviceRegistry::release_all(uint64_t session_id) {
  std::lock_guard lock(mutex_);
  for (auto it = holders_.begin(); it != holders_.end();)
    it = it->second == session_id ? holders_.erase(it) : std::next(it);
}

}  // namespace ndmp::server
