// `ndmpctl restore --drive D --to DIR [NAMES...]`: a backup from its
// catalogue back into DIR on the data server (facts 6.7, 6.10, 6.11):
//
//   MOVER_SET_RECORD_SIZE; robot loads the first tape needed; TAPE_OPEN read;
//   label check; position; window + MOVER_LISTEN(WRITE); DATA_CONNECT;
//   DATA_START_RECOVER(catalogue env + PREFIX=DIR [+ DIRECT=y], nlist);
//   NOTIFY_DATA_READ -> MOVER_READ; PAUSED SEEK/EOF/EOM -> the tape holding
//   seek_position, or MOVER_CLOSE after the last; LOG_FILE per name; DATA halts.
//
// Windows are the catalogue's segments: (window_offset, bytes) for every
// tape but the last, (window_offset, all-ones) for the last, so a read past
// a tape's end pauses SEEK and the DMA answers with the right tape.
// Success: DATA halted SUCCESSFUL and every LOG_FILE successful.
//
// `ndmpctl verify --drive D [--compare DIR] [NAMES...]` is the same job with
// VERIFY=y (or VERIFY=compare and PREFIX=DIR) in the environment: the data
// server reads the stream, checks every file's digest (and compares with
// DIR), writes nothing, and sends one LOG_FILE per file; a damaged or
// differing file is a failed one.
#include <fmt/format.h>

#include <ostream>

#include "tools/ndmpctl/catalog.h"
#include "tools/ndmpctl/job_cmds.h"
#include "tools/ndmpctl/job_media.h"
#include "tools/ndmpctl/interrupt.h"
#include "tools/ndmpctl/job_run.h"
#include "tools/ndmpctl/job_setup.h"

namespace ndmp::ctl {
namespace {

namespace code = msg::code;

// "a/b/", "/a/b" -> "/a/b"; "" and "/" -> "/".
std::string history_form(std::string n) {
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  if (n.empty() || n.front() != '/') n.insert(n.begin(), '/');
  return n;
}

class RestoreRun final : public JobRun {
 public:
  RestoreRun(JobLink& link, JobMedia& media, Progress& progress, const Catalog& cat, size_t current)
      : JobRun(link, media, progress), cat_(cat), current_(current) {}

  // Loads (if need be) and positions tape `k`, then sets its window.
  Outcome mount(size_t k, bool set_window) {
    const auto& m = cat_.media[k];
    if (!media_.is_open() || k != current_) {
      if (media_.is_open()) {
        if (auto o = media_.close(media_.has_robot()); !o.ok()) return o;
        if (media_.has_robot())
          if (auto o = media_.unload(); !o.ok()) return o;
      }
      if (media_.has_robot()) {
        auto slot = media_.slot_with_barcode(m.barcode);
        if (!slot && m.slot) {
          auto s = media_.slot_address(std::to_string(*m.slot));
          if (!s.ok()) return s.outcome();
          slot = s.value();
        }
        if (!slot)
          return Outcome::device(fmt::format("tape {} of the backup ({}) is in no slot of the library", k + 1,
                                             m.label.empty() ? m.barcode : m.label));
        if (auto o = media_.load(*slot); !o.ok()) return o;
      } else if (k != current_) {
        return Outcome::job(fmt::format("the restore needs tape {} of {} and there is no changer to load it", k + 1,
                                        cat_.media.size()));
      }
      auto mt = media_.open(false);
      if (!mt.ok()) return mt.outcome();
      if (!m.label.empty() && mt->label != m.label)
        return Outcome::device(fmt::format("the tape in {} is labelled \"{}\", but tape {} of the backup is \"{}\"",
                                           mt->describe(), mt->label, k + 1, m.label));
      current_ = k;
      if (k > 0 || cat_.media.size() > 1) progress_.note(fmt::format("Reading tape {} of {}: {}", k + 1,
                                                                     cat_.media.size(), mt->describe()));
    } else if (auto o = media_.position(); !o.ok()) {
      return o;
    }
    if (!set_window) return {};
    auto w = window(k);
    if (auto r = link_.call(Side::tape, code::MOVER_SET_WINDOW, w); !r.ok()) return r.outcome();
    return {};
  }

  msg::MoverSetWindowRequest window(size_t k) const {
    msg::MoverSetWindowRequest w;
    w.offset = cat_.media[k].window_offset;
    w.length = k + 1 == cat_.media.size() ? msg::kInvalidU64 : cat_.media[k].bytes;
    return w;
  }

  size_t files_ok = 0;
  std::vector<std::string> files_failed;

 protected:
  void on_post(const xdr::Message& m) override {
    if (m.header.code == code::NOTIFY_DATA_READ) {
      // Forwarded unchanged (SPEC4 3.5.2.4): the data service waits for it.
      const auto& p = static_cast<const msg::NotifyDataReadPost&>(*m.body);
      msg::MoverReadRequest r;
      r.offset = p.offset;
      r.length = p.length;
      if (auto x = link_.call(Side::tape, code::MOVER_READ, r); !x.ok()) fail(x.outcome());
    } else if (m.header.code == code::LOG_FILE) {
      const auto& p = static_cast<const msg::LogFilePost&>(*m.body);
      const bool good = link_.data().version() >= 4 ? p.status == msg::RecoveryStatus::successful
                                                    : p.error == msg::Error::no_err;
      if (good) ++files_ok;
      else files_failed.push_back(p.name);
    }
  }

  Outcome on_pause(const msg::NotifyMoverPausedPost& p) override {
    if (p.reason != msg::MoverPauseReason::seek && p.reason != msg::MoverPauseReason::eof &&
        p.reason != msg::MoverPauseReason::eom)
      return Outcome::job(fmt::format("the mover paused ({}) at stream byte {} on tape {}", pause_name(p.reason),
                                      p.seek_position, media_.mounted().describe()));
    std::optional<size_t> k = cat_.medium_at(p.seek_position);
    // EOF/EOM on the tape that should hold the byte: the data goes on on the next.
    if (p.reason != msg::MoverPauseReason::seek && k && *k == current_)
      k = current_ + 1 < cat_.media.size() ? std::optional<size_t>(current_ + 1) : std::nullopt;
    if (!k) {
      // Past the end of the backup: end of stream for the data service (facts 6.9).
      auto r = link_.call(Side::tape, code::MOVER_CLOSE);
      return r.ok() ? Outcome::success() : r.outcome();
    }
    if (auto o = mount(*k, true); !o.ok()) return o;
    auto r = link_.call(Side::tape, code::MOVER_CONTINUE);
    return r.ok() ? Outcome::success() : r.outcome();
  }

  // The mover may wait for a MOVER_READ that never comes once the data
  // service has what it needs: DATA's halt ends a restore (ndmjob's rule).
  bool finished() const override { return data_.state == msg::DataState::halted; }

 private:
  const Catalog& cat_;
  size_t current_;
};

enum class Recover { restore, verify };

Outcome recover(Context& ctx, const std::vector<std::string>& args, Recover kind) {
  const bool verify = kind == Recover::verify;
  SubArgs a(verify ? "verify --drive D [--compare DIR] [--catalog FILE] [NAMES...]"
                   : "restore --drive D --to DIR [--catalog FILE] [NAMES...]",
            verify ? "Reads the backup a catalogue describes from tape and checks every file against the SHA-256 "
                     "digest stored beside it, writing nothing; with --compare, also compares each file with the one "
                     "under DIR on the data server (contents, size, mode, owner, mtime, symlink target), like tar "
                     "--compare. Each damaged or differing file is named. NAMES check only those files or "
                     "directories. Without --catalog, the newest catalogue in ~/.local/share/ndmpctl/catalog."
                   : "Restores the backup a catalogue describes into DIR (a directory inside an export of the data "
                     "server), loading its tapes with the robot as needed. NAMES (paths as `list` shows them) "
                     "restore only those files or directories, by direct access to where they are on tape. Every "
                     "file is checked against its digest as it is written; --halt-on-damage stops at the first "
                     "that does not match. Without --catalog, the newest catalogue in "
                     "~/.local/share/ndmpctl/catalog.");
  if (verify)
    a.options.add_options()("compare", po::value<std::string>(), "directory on the data server to compare with");
  else
    a.options.add_options()("to", po::value<std::string>()->required(), "destination directory on the data server")(
        "halt-on-damage", "stop the restore at the first file whose content does not match its digest");
  a.options.add_options()("catalog", po::value<std::string>(), "catalogue of the backup")(
      "names", po::value<std::vector<std::string>>(),
      verify ? "files or directories to check (default: everything)"
             : "files or directories to restore (default: everything)");
  add_job_options(a);
  a.positional.add("names", -1);
  if (auto o = a.parse(ctx, args)) return *o;
  std::string path;
  if (a.has("catalog")) {
    path = a.get<std::string>("catalog");
  } else {
    auto p = newest_catalog();
    if (!p.ok()) return p.outcome();
    path = p.value();
  }
  auto loaded = load_catalog(path);
  if (!loaded.ok()) return loaded.outcome();
  const Catalog& cat = loaded.value();
  const std::string to = verify ? (a.has("compare") ? a.get<std::string>("compare") : std::string())
                                 : a.get<std::string>("to");
  if ((!verify || !to.empty()) && (to.empty() || to.front() != '/'))
    return Outcome::usage(fmt::format("{} is an absolute path on the data server", verify ? "--compare" : "--to"));
  const char* verb = verify ? "verify" : "restore";

  // The name list: each name with its fh_info from the catalogue.
  std::vector<msg::Name> nlist;
  const bool direct = a.has("names");
  uint64_t first_offset = 0;
  if (direct) {
    first_offset = msg::kInvalidU64;
    for (const auto& raw : a.get<std::vector<std::string>>("names")) {
      const std::string n = history_form(raw);
      const CatalogFile* f = cat.find(n);
      if (!f) return Outcome::usage(fmt::format("\"{}\" is not in the catalogue {} (`ndmpctl list` shows it)", n, path));
      msg::Name e;
      e.original_path = n;
      e.destination_path = to + n;
      if (f->fh_info) {
        e.fh_info = *f->fh_info;
        first_offset = std::min(first_offset, *f->fh_info);
      }
      nlist.push_back(std::move(e));
    }
    if (first_offset == msg::kInvalidU64) first_offset = 0;
  } else if (!verify) {
    msg::Name e;
    e.original_path = "/";
    e.destination_path = to;
    nlist.push_back(std::move(e));
  }  // a whole verify sends no name: the server then reports every file

  auto setup = set_up_job(ctx, a);
  if (!setup.ok()) return setup.outcome();
  auto& s = setup.value();
  JobLink& link = *s.link;
  bool robot = false;
  for (const auto& m : cat.media) robot = robot || m.slot || !m.barcode.empty();
  if (robot && !s.drive_index)
    return Outcome::usage(fmt::format("drive \"{}\" is not one the tape server lists: give its number", s.drive_name));
  JobMedia media(link.tape(), s.drive_name, s.drive_index.value_or(0), s.tape_target.get());
  Progress progress(ctx.out, s.style, verb);

  // From here Ctrl-C is noted, not fatal: the job loop aborts the job and the
  // tape mounted below is put back (interrupt.h).
  InterruptScope interrupt;

  msg::MoverSetRecordSizeRequest rsz;
  rsz.len = cat.record_size;
  if (auto r = link.call(Side::tape, code::MOVER_SET_RECORD_SIZE, rsz); !r.ok()) return r.outcome();
  if (robot)
    if (auto o = media.open_robot(); !o.ok()) return o;
  const size_t first = cat.medium_at(first_offset).value_or(0);
  RestoreRun run(link, media, progress, cat, first);
  progress.note(fmt::format("{} {} from {}{} on {}", verify ? "Verifying" : "Restoring",
                            direct ? fmt::format("{} name{}", nlist.size(), nlist.size() == 1 ? "" : "s")
                                   : "the backup of " + cat.filesystem,
                            path, to.empty() ? "" : (verify ? " against " : " into ") + to, link.data_who()));
  if (auto o = run.mount(first, false); !o.ok()) return o;

  Outcome outcome = [&]() -> Outcome {
    auto w = run.window(first);
    auto addr = start_mover(link, msg::MoverMode::write, w.offset, w.length);
    if (!addr.ok()) return Outcome::job(addr.outcome().text);
    if (auto o = connect_data(link, addr.value()); !o.ok()) return Outcome::job(o.text);
    msg::DataStartRecoverRequest req;
    req.butype = cat.butype.empty() ? "tar" : cat.butype;
    req.mover = addr.value();  // v2 only
    for (const auto& [n, v] : cat.env)
      if (n != "PREFIX" && n != "DIRECT" && n != "VERIFY" && n != "DIGEST_MISMATCH") req.env.push_back({n, v});
    if (!to.empty()) req.env.push_back({"PREFIX", to});
    req.env.push_back({"DIRECT", direct ? "y" : "n"});
    if (verify) req.env.push_back({"VERIFY", to.empty() ? "y" : "compare"});
    else req.env.push_back({"DIGEST_MISMATCH", a.has("halt-on-damage") ? "halt" : "continue"});
    req.nlist = nlist;
    auto r = link.data().call(code::DATA_START_RECOVER, req);
    if (!r.ok) return Outcome::connection("DATA_START_RECOVER: " + r.failure);
    if (r.error() == msg::Error::illegal_args)
      return Outcome::job(fmt::format("DATA_START_RECOVER: {}: the data server refused the destination \"{}\" (is it "
                                      "inside one of its exports?) or the name list",
                                      msg::to_string(r.error()), to));
    if (r.error() != msg::Error::no_err)
      return Outcome::job(fmt::format("DATA_START_RECOVER: {}", msg::to_string(r.error())));
    return run.run();
  }();
  const bool data_ok = outcome.ok() && run.data_state().state == msg::DataState::halted &&
                       run.data_state().halt_reason == msg::DataHaltReason::successful;
  const uint64_t bytes = run.data_state().bytes_processed;
  run.wind_down();
  progress.finish();
  Outcome closed = media.close(robot);
  Outcome unloaded = robot ? media.unload() : Outcome::success();
  if (outcome.exit == Exit::interrupted) return Outcome::interrupted(run.interrupted_summary(unloaded, robot));
  if (!outcome.ok()) return outcome.exit == Exit::connection ? outcome : Outcome::job(outcome.text);
  if (!data_ok) return Outcome::job(fmt::format("{} failed: {}", verb, run.halt_summary()));
  if (!run.files_failed.empty()) {
    std::string names;
    for (const auto& n : run.files_failed) names += (names.empty() ? "" : ", ") + n;
    return Outcome::job(fmt::format("{} ended, but {} name{} failed{}: {}", verb, run.files_failed.size(),
                                    run.files_failed.size() == 1 ? "" : "s",
                                    verify ? (to.empty() ? " the digest check" : " the check or compare") : "",
                                    names));
  }
  if (!closed.ok()) progress.note("warning: closing the tape failed: " + closed.text);
  if (!unloaded.ok()) progress.note("warning: the tape stays in the drive: " + unloaded.text);
  if (verify)
    ctx.out << fmt::format("Verify of {} complete: {} ({} bytes) read, {} file{} checked, none damaged{}\n", path,
                           Progress::human_bytes(bytes), bytes, run.files_ok, run.files_ok == 1 ? "" : "s",
                           to.empty() ? "" : ", none differ from " + to);
  else
    ctx.out << fmt::format("Restore into {} complete: {} ({} bytes) read, {} name{} restored\n", to,
                           Progress::human_bytes(bytes), bytes, run.files_ok, run.files_ok == 1 ? "" : "s");
  return {};
}

}  // namespace

Outcome cmd_restore(Context& ctx, const std::vector<std::string>& args) { return recover(ctx, args, Recover::restore); }
Outcome cmd_verify(Context& ctx, const std::vector<std::string>& args) { return recover(ctx, args, Recover::verify); }

}  // namespace ndmp::ctl
