#include "server/context/settings.h"

namespace ndmp::server {

std::shared_ptr<const Settings> load_settings(Config config, std::string& error) {
  auto s = std::make_shared<Settings>();
  s->config = std::move(config);
  const auto& c = s->config;
  if (c.allow_auth_md5 || c.allow_auth_text) {
    if (error = s->users.load(c.password_file); !error.empty()) return nullptr;
  }
  if (error = s->exports.open(c.exports); !error.empty()) return nullptr;
  return s;
}

}  // namespace ndmp::server
