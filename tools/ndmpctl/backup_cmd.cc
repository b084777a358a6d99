// `ndmpctl backup PATH --drive D`: a tar backup of PATH (on the data server)
// to the tape in D, the way ndmjob's DMA runs one (facts 6.7, 6.9):
//
//   MOVER_SET_RECORD_SIZE; robot loads --slot/--label; TAPE_OPEN rdwr; label
//   check; position after the label; window + MOVER_LISTEN; DATA_CONNECT;
//   DATA_START_BACKUP(tar, FILESYSTEM, HIST=y, TYPE=tar, LEVEL, EXCLUDE);
//   posts until both halt (FH -> catalogue, LOG -> operator, PAUSED EOM/EOW
//   -> next tape); DATA_GET_ENV; DATA_STOP; MOVER_STOP; file mark; TAPE_CLOSE.
//
// Success is ndmjob's: DATA halted SUCCESSFUL and MOVER halted CONNECT_CLOSED.
#include <fmt/format.h>

#include <map>
#include <ostream>

#include "tools/ndmpctl/catalog.h"
#include "tools/ndmpctl/job_cmds.h"
#include "tools/ndmpctl/job_media.h"
#include "tools/ndmpctl/interrupt.h"
#include "tools/ndmpctl/job_run.h"
#include "tools/ndmpctl/job_setup.h"
#include "tools/ndmpctl/label.h"

namespace ndmp::ctl {
namespace {

namespace code = msg::code;

const char* file_type_name(msg::FileType t) {
  switch (t) {
    case msg::FileType::dir: return "dir";
    case msg::FileType::fifo: return "fifo";
    case msg::FileType::cspec: return "cspec";
    case msg::FileType::bspec: return "bspec";
    case msg::FileType::reg: return "reg";
    case msg::FileType::slink: return "slink";
    case msg::FileType::sock: return "sock";
    case msg::FileType::registry: return "registry";
    case msg::FileType::other: return "other";
  }
  return "other";
}

std::optional<uint64_t> known(uint64_t v) {
  return v == msg::kInvalidU64 ? std::nullopt : std::optional<uint64_t>(v);
}

class BackupRun final : public JobRun {
 public:
  BackupRun(JobLink& link, JobMedia& media, Progress& progress, Catalog& cat, std::optional<uint16_t> slot)
      : JobRun(link, media, progress), cat_(cat), slot_(slot) {}

 protected:
  void on_post(const xdr::Message& m) override {
    if (m.header.code == code::FH_ADD_FILE) {
      for (const auto& f : static_cast<const msg::FhAddFilePost&>(*m.body).files) {
        CatalogFile cf;
        for (const auto& n : f.names)
          if (n.fs_type == msg::FsType::unix_fs) {
            cf.path = n.unix_name;
            break;
          }
        if (!f.stats.empty()) {
          cf.type = file_type_name(f.stats.front().ftype);
          cf.size = f.stats.front().size;
          cf.mtime = f.stats.front().mtime;
        }
        cf.fh_info = known(f.fh_info);
        cat_.files.push_back(std::move(cf));
      }
    } else if (m.header.code == code::FH_ADD_UNIX_PATH) {  // v2
      for (const auto& p : static_cast<const msg::FhAddUnixPathPost&>(*m.body).paths)
        cat_.files.push_back({p.name, file_type_name(p.fstat.ftype), p.fstat.size, p.fstat.mtime,
                              known(p.fstat.fh_info)});
    } else if (m.header.code == code::FH_ADD_DIR) {
      // Dir/node history, which a server may choose for HIST=y (SPEC4 4.3.2):
      // kept until the end, when paths can be built from the parents.
      for (const auto& d : static_cast<const msg::FhAddDirPost&>(*m.body).dirs)
        for (const auto& n : d.names)
          if (n.fs_type == msg::FsType::unix_fs) dirs_.push_back({d.node, d.parent, n.unix_name});
    } else if (m.header.code == code::FH_ADD_NODE) {
      for (const auto& n : static_cast<const msg::FhAddNodePost&>(*m.body).nodes)
        if (!n.stats.empty()) nodes_[n.node] = {n.stats.front(), n.fh_info};
    }
  }

 public:
  // Turns dir/node history into catalogue paths: the first "." entry names
  // the backup root (SPEC4 4.3.2 rule 1); every other entry is a name in its
  // parent directory; a node with several names (hard links) gets each.
  void resolve_dir_history() {
    if (dirs_.empty()) return;
    std::map<uint64_t, std::string> path;
    uint64_t root = dirs_.front().node;
    path[root] = "";
    std::map<uint64_t, std::vector<const DirEntry*>> children;
    for (const auto& d : dirs_)
      if (d.name != "." && d.name != "..") children[d.parent].push_back(&d);
    std::vector<uint64_t> todo = {root};
    std::vector<std::pair<std::string, uint64_t>> found = {{"/", root}};
    while (!todo.empty()) {
      const uint64_t dir = todo.back();
      todo.pop_back();
      for (const DirEntry* e : children[dir]) {
        const std::string p = path[dir] + "/" + e->name;
        found.emplace_back(p, e->node);
        if (!path.count(e->node)) {  // a directory is entered once, even if linked twice
          path[e->node] = p;
          todo.push_back(e->node);
        }
      }
    }
    for (const auto& [p, node] : found) {
      CatalogFile cf{p, "other", 0, 0, std::nullopt};
      if (auto it = nodes_.find(node); it != nodes_.end()) {
        cf.type = file_type_name(it->second.stat.ftype);
        cf.size = it->second.stat.size;
        cf.mtime = it->second.stat.mtime;
        cf.fh_info = known(it->second.fh_info);
      }
      cat_.files.push_back(std::move(cf));
    }
  }

 protected:

  // End of medium (or window): the next full slot, then MOVER_CONTINUE with
  // the window starting where this tape ended (facts 6.7; ndmjob's
  // (bytes_so_far, all-ones) window after a change).
  Outcome on_pause(const msg::NotifyMoverPausedPost& p) override {
    if (p.reason != msg::MoverPauseReason::eom && p.reason != msg::MoverPauseReason::eow)
      return Outcome::job(fmt::format("the mover paused ({}) at stream byte {}: not a reason a backup can go on",
                                      pause_name(p.reason), p.seek_position));
    const uint64_t so_far = p.seek_position;
    auto& cur = cat_.media.back();
    cur.bytes = so_far - cur.window_offset;
    if (!media_.has_robot() || !slot_)
      return Outcome::job(fmt::format("tape {} is full after {} and there is no changer slot to take the next "
                                      "tape from (give --slot or --label)",
                                      media_.mounted().describe(), Progress::human_bytes(so_far)));
    progress_.note(fmt::format("Tape {} full ({} on it, {} in all); changing tapes", media_.mounted().describe(),
                               Progress::human_bytes(cur.bytes), Progress::human_bytes(so_far)));
    media_.write_filemark();
    if (auto o = media_.close(true); !o.ok()) return o;
    if (auto o = media_.unload(); !o.ok()) return o;
    auto next = media_.next_full_slot(*slot_);
    if (!next)
      return Outcome::job(fmt::format("no full slot after {} for the next tape ({} written so far)",
                                      media_.map().describe(*slot_), Progress::human_bytes(so_far)));
    slot_ = *next;
    if (auto o = media_.load(*next); !o.ok()) return o;
    auto mt = media_.open(true);
    if (!mt.ok()) return mt.outcome();
    cat_.media.push_back({mt->label, mt->slot, mt->barcode, so_far, 0});
    progress_.note(fmt::format("Continuing on tape {}", mt->describe()));
    msg::MoverSetWindowRequest w;
    w.offset = so_far;
    w.length = msg::kInvalidU64;
    if (auto r = link_.call(Side::tape, code::MOVER_SET_WINDOW, w); !r.ok()) return r.outcome();
    if (auto r = link_.call(Side::tape, code::MOVER_CONTINUE); !r.ok()) return r.outcome();
    return {};
  }

  bool finished() const override {
    return data_.state == msg::DataState::halted && mover_.state == msg::MoverState::halted;
  }

 private:
  struct DirEntry {
    uint64_t node, parent;
    std::string name;
  };
  struct NodeEntry {
    msg::FileStat stat;
    uint64_t fh_info;
  };
  Catalog& cat_;
  std::optional<uint16_t> slot_;  // slot address of the mounted tape
  std::vector<DirEntry> dirs_;
  std::map<uint64_t, NodeEntry> nodes_;
};

// Finds the slot holding label `want`: a barcode equal to it first, else
// each full slot's tape is loaded and its label read.
Result<uint16_t> find_label(JobMedia& media, const std::string& want, Progress& progress) {
  if (auto s = media.slot_with_barcode(want)) return *s;
  std::vector<uint16_t> full;
  for (const auto& s : media.map().slots)
    if (s.full) full.push_back(s.address);
  for (uint16_t s : full) {
    if (auto o = media.load(s); !o.ok()) return o;
    auto mt = media.open(false);
    Outcome closed = media.close(true);
    if (!mt.ok()) return mt.outcome();
    if (!closed.ok()) return closed;
    // Back to its slot even when it is the one: it was ejected (MTIO OFF),
    // and the caller's load puts it in again, threaded.
    if (auto o = media.unload(); !o.ok()) return o;
    if (mt->label == want) return s;
    progress.note(fmt::format("Slot {}: label \"{}\", not \"{}\"", media.map().storage_number(s),
                              mt->label.empty() ? "-" : mt->label, want));
  }
  return Outcome::device(fmt::format("no tape in the library is labelled \"{}\"", want));
}

}  // namespace

Outcome cmd_backup(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("backup PATH --drive D [--slot S|--label L] [--level N] [--exclude PAT...] [--record-size B] "
            "[--catalog FILE]",
            "Backs PATH (a directory inside an export of the data server) up in tar format to the tape in drive D "
            "of the tape server. With --slot or --label the robot loads that tape first (--label: the tape whose "
            "label or barcode is L); when a tape fills up, the next full slot's tape is loaded automatically. "
            "The file history and where the stream landed go to a catalogue file for `list` and `restore`.");
  a.options.add_options()("path", po::value<std::string>()->required(), "directory to back up (on the data server)")(
      "slot", po::value<std::string>(), "load this slot's tape first")(
      "label", po::value<std::string>(), "load the tape labelled (or barcoded) L first")(
      "level", po::value<int>()->default_value(0), "dump level 0..9 (0 = full)")(
      "exclude", po::value<std::vector<std::string>>()->composing(), "glob pattern to leave out (repeatable)")(
      "record-size", po::value<uint32_t>()->default_value(65536), "tape record size in bytes")(
      "history", po::value<std::string>()->default_value("y"),
      "file history (HIST): y = the server's choice, f = file style, d = dir/node style, n = none")(
      "catalog", po::value<std::string>(), "catalogue file (default ~/.local/share/ndmpctl/catalog/<tape>-<date>.json)");
  add_job_options(a);
  a.positional.add("path", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  if (a.has("slot") && a.has("label")) return Outcome::usage("give --slot or --label, not both");
  const int level = a.get<int>("level");
  if (level < 0 || level > 9) return Outcome::usage("--level is 0..9");
  const uint32_t rs = a.get<uint32_t>("record-size");
  const auto hist = a.get<std::string>("history");
  if (hist != "y" && hist != "f" && hist != "d" && hist != "n") return Outcome::usage("--history is y, f, d or n");
  if (rs == 0 || rs % 512 != 0) return Outcome::usage("--record-size is a positive multiple of 512");
  if (a.has("label"))
    if (auto why = check_label_name(a.get<std::string>("label")); !why.empty()) return Outcome::usage(why);

  auto setup = set_up_job(ctx, a);
  if (!setup.ok()) return setup.outcome();
  auto& s = setup.value();
  JobLink& link = *s.link;
  const bool robot = a.has("slot") || a.has("label");
  if (robot && !s.drive_index)
    return Outcome::usage(fmt::format("drive \"{}\" is not one the tape server lists: give its number", s.drive_name));
  JobMedia media(link.tape(), s.drive_name, s.drive_index.value_or(0), s.tape_target.get());
  Progress progress(ctx.out, s.style, "backup");

  Catalog cat;
  cat.started = iso_now();
  cat.data_server = link.data_who();
  cat.tape_server = link.tape_who();
  cat.drive = s.drive_name;
  cat.filesystem = a.get<std::string>("path");
  cat.level = level;
  cat.record_size = rs;

  // From here Ctrl-C is noted, not fatal: the job loop aborts the job and the
  // tape loaded below is put back (interrupt.h).
  InterruptScope interrupt;

  // Setup: a failure here is the device's or the operator's, not the job's.
  msg::MoverSetRecordSizeRequest rsz;
  rsz.len = rs;
  if (auto r = link.call(Side::tape, code::MOVER_SET_RECORD_SIZE, rsz); !r.ok()) return r.outcome();
  std::optional<uint16_t> slot;
  if (robot) {
    if (auto o = media.open_robot(); !o.ok()) return o;
    if (a.has("slot")) {
      auto addr = media.slot_address(a.get<std::string>("slot"));
      if (!addr.ok()) return addr.outcome();
      slot = addr.value();
    } else {
      auto addr = find_label(media, a.get<std::string>("label"), progress);
      if (!addr.ok()) return addr.outcome();
      slot = addr.value();
    }
    if (auto o = media.load(*slot); !o.ok()) return o;
  }
  auto mt = media.open(true);
  if (!mt.ok()) return mt.outcome();
  if (a.has("label") && mt->label != a.get<std::string>("label") && mt->barcode != a.get<std::string>("label")) {
    (void)media.close(robot);
    return Outcome::device(fmt::format("the tape in {} is labelled \"{}\", not \"{}\"", mt->describe(), mt->label,
                                       a.get<std::string>("label")));
  }
  cat.media.push_back({mt->label, mt->slot, mt->barcode, 0, 0});
  progress.note(fmt::format("Backing up {} from {} to tape {} in {} on {}", cat.filesystem, link.data_who(),
                            mt->describe(), s.drive_name, link.tape_who()));

  // The job proper: from here every failure is exit status 5.
  BackupRun run(link, media, progress, cat, slot);
  Outcome outcome = [&]() -> Outcome {
    auto addr = start_mover(link, msg::MoverMode::read, 0, msg::kInvalidU64);
    if (!addr.ok()) return Outcome::job(addr.outcome().text);
    if (auto o = connect_data(link, addr.value()); !o.ok()) return Outcome::job(o.text);
    msg::DataStartBackupRequest req;
    req.butype = "tar";
    req.mover = addr.value();  // v2 only
    req.env = {{"FILESYSTEM", cat.filesystem}, {"TYPE", "tar"}, {"HIST", hist}, {"LEVEL", std::to_string(level)}};
    if (a.has("exclude")) {
      std::string ex;
      for (const auto& p : a.get<std::vector<std::string>>("exclude")) ex += (ex.empty() ? "" : ",") + p;
      req.env.push_back({"EXCLUDE", ex});
    }
    auto r = link.data().call(code::DATA_START_BACKUP, req);
    if (!r.ok) return Outcome::connection("DATA_START_BACKUP: " + r.failure);
    if (r.error() == msg::Error::illegal_args)
      return Outcome::job(fmt::format("DATA_START_BACKUP: {}: the data server refused FILESYSTEM \"{}\" (is it a "
                                      "directory inside one of its exports?) or another variable",
                                      msg::to_string(r.error()), cat.filesystem));
    if (r.error() != msg::Error::no_err)
      return Outcome::job(fmt::format("DATA_START_BACKUP: {}", msg::to_string(r.error())));
    return run.run();
  }();
  bool ok = outcome.ok() && run.data_state().state == msg::DataState::halted &&
            run.data_state().halt_reason == msg::DataHaltReason::successful &&
            run.mover_state().state == msg::MoverState::halted &&
            run.mover_state().halt_reason == msg::MoverHaltReason::connect_closed;
  if (ok) {
    run.resolve_dir_history();
    cat.bytes = run.mover_state().bytes_moved;
    cat.media.back().bytes = cat.bytes - cat.media.back().window_offset;
    if (auto r = link.call(Side::data, code::DATA_GET_ENV); r.ok())
      for (const auto& pv : r->as<msg::DataGetEnvReply>().env) cat.env.emplace_back(pv.name, pv.value);
    else
      outcome = Outcome::job(r.outcome().text);
  }
  run.wind_down();
  progress.finish();
  media.write_filemark();
  Outcome closed = media.close(robot);
  Outcome unloaded = robot ? media.unload() : Outcome::success();
  if (outcome.exit == Exit::interrupted) return Outcome::interrupted(run.interrupted_summary(unloaded, robot));
  if (!outcome.ok()) return outcome.exit == Exit::connection ? outcome : Outcome::job(outcome.text);
  if (!ok) return Outcome::job("backup failed: " + run.halt_summary());
  if (!closed.ok()) return Outcome::job("backup written, but closing the tape failed: " + closed.text);
  cat.finished = iso_now();
  const std::string path = a.has("catalog") ? a.get<std::string>("catalog") : default_catalog_path(cat);
  if (auto o = save_catalog(cat, path); !o.ok()) return o;
  if (!unloaded.ok()) progress.note("warning: the tape stays in the drive: " + unloaded.text);
  ctx.out << fmt::format("Backup of {} complete: {} ({} bytes), {} entries, {} tape{}; catalogue {}\n",
                         cat.filesystem, Progress::human_bytes(cat.bytes), cat.bytes, cat.files.size(),
                         cat.media.size(), cat.media.size() == 1 ? "" : "s", path);
  return {};
}

}  // namespace ndmp::ctl
