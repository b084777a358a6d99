#include "ops/service_status.h"

namespace ndmp::ops {

ServiceStatus::ServiceStatus(const SdNotify& notify, std::function<std::string()> line, std::chrono::seconds every)
    : notify_(notify), line_(std::move(line)), every_(every) {}

ServiceStatus::~ServiceStatus() { stop(); }

void ServiceStatus::start() {
  if (!notify_.enabled() || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void ServiceStatus::poke() {
  std::lock_guard lock(mu_);
  poked_ = true;
  cv_.notify_one();
}

void ServiceStatus::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void ServiceStatus::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    poked_ = false;
    lock.unlock();
    notify_.send("STATUS=" + line_());  // no lock held across the send
    lock.lock();
    cv_.wait_for(lock, every_, [&] { return poked_ || stopping_; });
  }
}

}  // namespace ndmp::ops
