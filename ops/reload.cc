#include "ops/reload.h"

#include <sstream>

#include "common/log.h"

namespace ndmp::ops {
namespace {

// One restart-only key: compares, records and restores the running value.
template <class T>
void keep(const char* key, T server::Config::*member, const server::Config& running, server::Config& fresh,
          std::vector<std::string>& changed) {
  if (!(fresh.*member == running.*member)) changed.push_back(key);
  fresh.*member = running.*member;
}

}  // namespace

std::vector<std::string> keep_restart_only(const server::Config& r, server::Config& f) {
  using C = server::Config;
  std::vector<std::string> changed;
  keep("listen", &C::listen, r, f, changed);
  keep("library", &C::library_dir, r, f, changed);
  keep("library-drives", &C::library_drives, r, f, changed);
  keep("library-slots", &C::library_slots, r, f, changed);
  keep("library-mailslots", &C::library_mailslots, r, f, changed);
  keep("library-tape-size", &C::library_tape_mib, r, f, changed);
  keep("library-barcode-prefix", &C::library_barcode_prefix, r, f, changed);
  keep("discover-devices", &C::discover_devices, r, f, changed);
  keep("state-dir", &C::state_dir, r, f, changed);
  keep("log-file", &C::log_file, r, f, changed);
  keep("max-tape-record", &C::max_tape_record, r, f, changed);
  keep("max-sessions", &C::max_sessions, r, f, changed);
  keep("metrics-listen", &C::metrics_listen, r, f, changed);
  keep("login-timeout", &C::login_timeout, r, f, changed);
  keep("record-timeout", &C::record_timeout, r, f, changed);
  keep("idle-timeout", &C::idle_timeout, r, f, changed);
  keep("max-unauthenticated", &C::max_unauthenticated, r, f, changed);
  keep("max-unauthenticated-per-source", &C::max_unauthenticated_per_source, r, f, changed);
  keep("login-brake-after", &C::login_brake_after, r, f, changed);
  keep("login-brake-step", &C::login_brake_step, r, f, changed);
  keep("login-brake-max", &C::login_brake_max, r, f, changed);
  keep("login-lockout-after", &C::login_lockout_after, r, f, changed);
  keep("login-lockout", &C::login_lockout, r, f, changed);
  // The Cloud Manager's identity and journal: what lets delivery go on
  // across a change of address (cloudmanager/bridge.h). Its connection
  // settings reload (Server::reconfigure_cloudmanager).
  keep("cloudmanager.uuid", &C::cm_uuid, r, f, changed);
  keep("cloudmanager.journal", &C::cm_journal, r, f, changed);
  keep("cloudmanager.journal_max_bytes", &C::cm_journal_max_bytes, r, f, changed);
  // Where the values came from is not a key: the file named at start is the
  // one read again.
  f.config_file = r.config_file;
  return changed;
}

ReloadOutcome reload(server::Server& server, int argc, const char* const argv[]) {
  server::ServerContext& ctx = server.context();
  ReloadOutcome out;
  const auto running = ctx.settings();
  server::Config fresh;
  std::ostringstream why;
  if (server::parse_config(argc, argv, fresh, why) != server::ParseOutcome::run) {
    // parse_config's lines are for a terminal ("ndmpd: ..."); the log has the name already.
    std::istringstream lines(why.str());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("ndmpd: ", 0) == 0) line.erase(0, 7);
      if (!line.empty()) out.error += (out.error.empty() ? "" : "; ") + line;
    }
    if (out.error.empty()) out.error = "the command line asks for no server (--help, --version or --check)";
  } else {
    out.restart_only = keep_restart_only(running->config, fresh);
    auto next = server::load_settings(std::move(fresh), out.error);
    // The last step that may refuse: after it, the bridge has its new settings.
    if (next) out.error = server.reconfigure_cloudmanager(next->config);
    if (next && out.error.empty()) {
      log::Level level{};
      log::parse_level(next->config.log_level, level);  // validated by parse_config
      log::set_level(level);
      if (!next->config.log_file.empty()) log::set_file(next->config.log_file);  // reopen after rotation
      const auto& c = next->config;
      std::string auth;
      for (auto [on, name] : {std::pair{c.allow_auth_md5, "md5"}, {c.allow_auth_text, "text"}, {c.allow_auth_none, "none"}})
        if (on) auth += (auth.empty() ? "" : ",") + std::string(name);
      log::info("configuration reloaded{}: {} user(s), auth {}, {} export(s), log level {}, Cloud Manager {}; "
                "sessions and jobs continue",
                c.config_file.empty() ? "" : " from " + c.config_file, next->users.size(), auth,
                next->exports.list().size(), c.log_level,
                c.cm_address.empty() ? std::string("off") : fmt::format("{}:{}", c.cm_address, c.cm_port));
      ctx.publish(std::move(next));
      out.applied = true;
    }
  }
  if (!out.applied) {
    log::error("configuration reload refused, the running configuration stays: {}", out.error);
    return out;
  }
  for (const auto& key : out.restart_only)
    log::warn("configuration reload: {} changed in the file; it takes effect at the next restart", key);
  return out;
}

}  // namespace ndmp::ops
