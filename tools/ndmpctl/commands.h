// ndmpctl subcommands. Each is one entry in a table keyed by name (cli.cc);
// each parses its own arguments with Boost.Program_options, so `ndmpctl
// CMD --help` describes CMD, and returns an Outcome.
#pragma once

#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "tools/ndmpctl/outcome.h"
#include "tools/ndmpctl/target.h"

namespace ndmp::ctl {

struct Context {
  Target* target = nullptr;  // null only when the command is asked for --help
  std::ostream& out;
  std::ostream& err;
  std::istream& in;          // answers to confirmations
  bool json = false;
  bool assume_yes = false;   // --yes: confirmations are answered yes
  std::string program = "ndmpctl";
  // Jobs: the global server options (host empty without --server; user,
  // password, auth, version always set) and --changer/--drives, so a job can
  // reach a --data-server or --tape-server with the same credentials.
  const ServerOptions* server = nullptr;
  std::string changer;
  std::vector<std::string> drives;
  // Without --server: where the password comes from when a job needs one
  // (password.h: this file, else NDMP_PASSWORD, else a prompt).
  std::string password_file;
};

// Which target a command needs: exactly one (--server, --local or
// --library), or at most one (jobs name their servers themselves; `list`
// reads a file).
enum class TargetNeed { one, optional };

struct Command {
  const char* name;
  const char* summary;
  Outcome (*run)(Context& ctx, const std::vector<std::string>& args);
  TargetNeed need = TargetNeed::one;
};

// The tables, keyed by name (never by position): library and drive verbs,
// server queries, and the `tape` group's own verbs.
std::span<const Command> library_commands();
std::span<const Command> drive_commands();
std::span<const Command> info_commands();
std::span<const Command> job_commands();  // backup, restore, verify, list
const Command* find_command(std::span<const Command> table, const std::string& name);

}  // namespace ndmp::ctl
