// `ndmpctl list`: what a backup holds, from its catalogue (no server needed),
// and the job command table.
#include <fmt/format.h>

#include <ctime>
#include <ostream>

#include "tools/ndmpctl/catalog.h"
#include "tools/ndmpctl/cmd_args.h"
#include "tools/ndmpctl/job_cmds.h"
#include "tools/ndmpctl/progress.h"

namespace ndmp::ctl {
namespace {

std::string local_time(uint32_t t) {
  std::time_t tt = t;
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace

Outcome cmd_list(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("list [--catalog FILE]",
            "Shows a backup's catalogue: what was backed up from where, the tapes it is on (label, slot, barcode, "
            "stream bytes) and every file with type, size and modification time, like `tar tv`. Without "
            "--catalog, the newest catalogue in ~/.local/share/ndmpctl/catalog.");
  a.options.add_options()("catalog", po::value<std::string>(), "catalogue file");
  if (auto o = a.parse(ctx, args)) return *o;
  std::string path;
  if (a.has("catalog")) {
    path = a.get<std::string>("catalog");
  } else {
    auto p = newest_catalog();
    if (!p.ok()) return p.outcome();
    path = p.value();
  }
  auto c = load_catalog(path);
  if (!c.ok()) return c.outcome();
  const Catalog& cat = c.value();
  if (ctx.json) {
    ctx.out << catalog_json(cat) << "\n";
    return {};
  }
  ctx.out << fmt::format("Backup of {} on {} ({} level {}), {} to {}\n", cat.filesystem, cat.data_server, cat.butype,
                         cat.level, cat.started, cat.finished);
  ctx.out << fmt::format("{} ({} bytes) in records of {} bytes, {} entries, drive {} on {}\n",
                         Progress::human_bytes(cat.bytes), cat.bytes, cat.record_size, cat.files.size(), cat.drive,
                         cat.tape_server);
  for (size_t i = 0; i < cat.media.size(); ++i) {
    const auto& m = cat.media[i];
    ctx.out << fmt::format("Tape {}: label {}, slot {}, barcode {}: stream bytes {}..{} ({})\n", i + 1,
                           m.label.empty() ? "-" : m.label, m.slot ? std::to_string(*m.slot) : "-",
                           m.barcode.empty() ? "-" : m.barcode, m.window_offset, m.window_offset + m.bytes,
                           Progress::human_bytes(m.bytes));
  }
  for (const auto& f : cat.files)
    ctx.out << fmt::format("{:<5} {:>12} {} {}\n", f.type, f.size, local_time(f.mtime), f.path);
  return {};
}

namespace {

const Command kJobs[] = {
    {"backup", "backup PATH --drive D: back a directory up to tape (tape changes automatic)", cmd_backup,
     TargetNeed::optional},
    {"restore", "restore --drive D --to DIR [NAMES...]: restore a backup, or named files of it", cmd_restore,
     TargetNeed::optional},
    {"verify", "verify --drive D [--compare DIR] [NAMES...]: check a backup on tape against its digests", cmd_verify,
     TargetNeed::optional},
    {"list", "list [--catalog FILE]: the files and tapes of a backup", cmd_list, TargetNeed::optional},
};

}  // namespace

std::span<const Command> job_commands() { return kJobs; }

}  // namespace ndmp::ctl
