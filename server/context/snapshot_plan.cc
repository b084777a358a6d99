#include "server/context/snapshot_plan.h"

#include <fmt/format.h>

#include "common/escape.h"

namespace ndmp::server {

backup::Status plan_snapshot(const Settings& settings, const std::string& filesystem, const backup::Env& env,
                             snapshot::SourcePlan& out) {
  std::optional<std::string> asked;
  for (const auto& [name, value] : env)
    if (name == "SNAPSHOT") asked = value;
  const Export* e = settings.exports.find(filesystem, out.rel);
  if (!e) return backup::Status::invalid_argument(fmt::format("{} is not inside an export", log::escape(filesystem)));
  out.settings = settings.config.snapshots;
  out.policy = out.settings.policy_for(e->path);
  out.target = {e->path, e->real, e->dir};
  out.state_dir = settings.config.state_dir;
  std::string bad;
  out.decision = snapshot::decide(out.policy, asked, bad);
  if (!bad.empty())
    return backup::Status::invalid_argument(fmt::format("{} (got \"{}\")", bad, log::escape(asked.value_or(""))));
  return {};
}

}  // namespace ndmp::server
