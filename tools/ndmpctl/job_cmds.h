// The job commands (backup, restore, verify, list); their table is job_commands()
// in commands.h. One file per command: backup_cmd.cc, restore_cmd.cc (restore
// and verify, one job with VERIFY set or not),
// list_cmd.cc.
#pragma once

#include <string>
#include <vector>

#include "tools/ndmpctl/commands.h"

namespace ndmp::ctl {

Outcome cmd_backup(Context& ctx, const std::vector<std::string>& args);
Outcome cmd_restore(Context& ctx, const std::vector<std::string>& args);
Outcome cmd_verify(Context& ctx, const std::vector<std::string>& args);
Outcome cmd_list(Context& ctx, const std::vector<std::string>& args);

}  // namespace ndmp::ctl
