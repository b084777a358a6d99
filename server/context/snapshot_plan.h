// Which snapshot a backup of FILESYSTEM gets: the export it is in, that
// export's policy (config snapshot keys) and the DMA's SNAPSHOT variable,
// made into the plan the job's data thread carries out (snapshot/backup_source.h).
// Names only, no I/O: the DATA handler calls it when the DMA starts a backup.
#pragma once

#include <string>

#include "backup/options.h"
#include "backup/status.h"
#include "server/context/settings.h"
#include "snapshot/backup_source.h"

namespace ndmp::server {

// invalid_argument for a SNAPSHOT value other than y or n (and the like).
backup::Status plan_snapshot(const Settings& settings, const std::string& filesystem, const backup::Env& env,
                             snapshot::SourcePlan& out);

}  // namespace ndmp::server
