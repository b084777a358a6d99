// ndmpctl's entry point, callable from main() and from tests in process:
// global options (target, credentials, --json), then one subcommand found by
// name in the command tables (commands.h). Returns the exit status
// (outcome.h: 0 ok, 1 failure, 2 usage, 3 connection/auth, 4 device, 5 job);
// errors are printed to `err` as one line "ndmpctl: <cause>".
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ndmp::ctl {

// `args` excludes the program name.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::istream& in);

}  // namespace ndmp::ctl
