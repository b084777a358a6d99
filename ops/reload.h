// Reload (SIGHUP, `systemctl reload ndmpd`): read the configuration again
// and publish what may change while sessions and jobs run, without
// dropping either.
//
// Changes at once (the next login or request sees them; server/context/
// settings.h): users (the password file), auth, export, restore-privileges,
// data-connect-allow, scsi-passthrough, log-level, and the Cloud Manager's
// progress_interval and space_timeout. A session already logged in stays
// logged in when its user is removed; a running job keeps the export it
// opened.
//
// The Cloud Manager connection (address, port, name, space_policy,
// reply_timeout, reconnect_min, reconnect_max; an empty address turns the
// bridge off, a new one on) changes between two exchanges with it: the
// report in flight is finished, the old connection closed, and the journal
// goes on to the new address (Server::reconfigure_cloudmanager,
// cloudmanager/bridge.h).
//
// Changes only on restart, and the log names each such key that differs:
// listen, the devices (library*, discover-devices), state-dir, log-file
// (reopened, not moved, so logrotate works), max-tape-record, max-sessions,
// metrics-listen, the front door's limits and the Cloud Manager's identity
// and journal (uuid, journal, journal_max_bytes).
//
// A configuration that does not parse, a password file that cannot be
// read or an export that cannot be opened refuses the whole reload: the old
// configuration stays in effect, and the log says why.
//
// Threads: call from one thread at a time (ndmpd's signal thread). No lock
// is held while the files are read.
#pragma once

#include <string>
#include <vector>

#include "server/context/config.h"
#include "server/context/context.h"
#include "server/root/server.h"

namespace ndmp::ops {

struct ReloadOutcome {
  bool applied = false;
  std::string error;                  // why it was refused (operator words)
  std::vector<std::string> restart_only;  // keys that differ and wait for a restart
};

// Copies the restart-only keys of `running` into `fresh` and returns the
// names of those that differed.
std::vector<std::string> keep_restart_only(const server::Config& running, server::Config& fresh);

// Parses argv (as at start: the same --config and options), builds the new
// snapshot, moves the Cloud Manager bridge, and publishes the snapshot; sets
// the log level. Logs the outcome.
ReloadOutcome reload(server::Server& server, int argc, const char* const argv[]);

}  // namespace ndmp::ops
