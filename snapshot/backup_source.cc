#include "snapshot/backup_source.h"

#include <fmt/format.h>

#include "common/escape.h"
#include "common/log.h"

namespace ndmp::snapshot {

PreparedSource prepare(const SourcePlan& plan, backup::BackupRequest& req) {
  PreparedSource out;
  const std::string fs = log::escape(req.options.filesystem);
  if (!plan.decision.take) {
    out.dma_text = fmt::format("backup of {} comes from the live tree: {}", fs, plan.decision.why_live);
    return out;
  }
  std::unique_ptr<Snapshot> snap;
  backup::Status st = Snapshot::take(plan.policy, plan.settings, plan.target, plan.state_dir, snap);
  backup::Dir inside;
  if (st.ok()) st = backup::open_beneath(snap->root(), plan.rel, false, inside);
  if (!st.ok()) {
    if (snap) (void)snap->remove();  // remove() logs what failed; the job reports why it could not start
    if (plan.policy.on_failure == OnFailure::halt) {
      out.status = backup::Status::io_error(
          fmt::format("no {} snapshot of {} could be made: {}", to_string(plan.policy.kind),
                      log::escape(plan.target.export_path), st.text()));
      return out;
    }
    out.fell_back = true;
    out.dma_text = fmt::format("backup of {} comes from the live tree: the {} snapshot failed ({}) and the export "
                               "falls back to the live tree (snapshot-failure = live)",
                               fs, to_string(plan.policy.kind), st.text());
    return out;
  }
  inside.name = req.source.name;  // the export's own path, for dumpdates and logs
  req.source = std::move(inside);
  req.point_in_time = snap->time();
  // btrfs keeps its snapshots in the subvolume root; a backup of that root
  // would otherwise carry the (empty, in the snapshot) directory.
  if (snap->kind() == Kind::btrfs && plan.rel.empty()) req.options.excludes.push_back("/.ndmpd-snapshots");
  out.dma_text = fmt::format("backup of {} comes from a snapshot: {}", fs, snap->describe());
  out.snapshot = std::move(snap);
  return out;
}

}  // namespace ndmp::snapshot
