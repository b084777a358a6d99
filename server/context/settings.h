// The part of the configuration a reload (SIGHUP) replaces: users,
// authentication methods, exports, DMA access policy, Cloud Manager timings.
// Built whole, then published as one immutable snapshot
// (ServerContext::publish); a session reads the snapshot in effect when a
// request arrives (ServerContext::settings) and never sees a half-made one.
// A job keeps what it opened: a backup holds its export's directory, a
// restore its destination, whatever a later reload says.
//
// Keys that change only on restart (listen addresses, devices, state
// directory, front door limits, the Cloud Manager connection) keep their
// start values in `config` here too, so `config` is always the
// configuration in effect. ops/reload.h says which keys are which.
#pragma once

#include <memory>
#include <string>

#include "server/context/auth.h"
#include "server/context/config.h"
#include "server/context/exports.h"

namespace ndmp::server {

struct Settings {
  Config config;
  UserTable users;   // read from config.password_file
  Exports exports;   // config.exports, opened by descriptor
};

// Reads the password file (when MD5 or text is allowed) and opens the
// exports of `config`. Disk I/O: call it with no lock held. Returns the
// snapshot, or null and an operator-readable `error`.
std::shared_ptr<const Settings> load_settings(Config config, std::string& error);

}  // namespace ndmp::server
