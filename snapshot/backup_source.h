// Where one backup reads from: the export's snapshot or the live tree, as
// the export's policy and the DMA's SNAPSHOT variable decide (policy.h).
// The DATA handler makes the plan when the DMA starts the backup (a bad
// SNAPSHOT value is refused there); the job's data thread calls prepare()
// before the walk and drops the snapshot after the walk, before it reports
// the halt.
//
// On a snapshot, the request's source becomes FILESYSTEM inside the
// snapshot, opened once, keeping FILESYSTEM's name, so the archive, the file
// history and the dump-dates record carry the export's own paths; the dump
// date is the snapshot's time.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backup/backup_engine.h"
#include "snapshot/policy.h"
#include "snapshot/snapshot.h"

namespace ndmp::snapshot {

struct SourcePlan {
  Policy policy;
  Settings settings;
  Decision decision;
  Target target;
  std::string rel;  // FILESYSTEM below the export ("" = the export itself)
  std::string state_dir;
};

struct PreparedSource {
  backup::Status status;               // not OK: halt the job with this reason
  std::unique_ptr<Snapshot> snapshot;  // null: the live tree
  std::string dma_text;                // the LOG message saying which, and why
  bool fell_back = false;              // the snapshot failed and the export allows the live tree
};

PreparedSource prepare(const SourcePlan& plan, backup::BackupRequest& req);

}  // namespace ndmp::snapshot
