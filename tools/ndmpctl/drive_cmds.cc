// Drive verbs, as an `mt` user knows them: status, rewind, fsf, bsf, eod,
// weof, eject, erase, and read/write of raw records to and from a file.
// Written once over the Drive interface (drive.h).
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <ostream>

#include "tools/ndmpctl/cmd_args.h"
#include "tools/ndmpctl/commands.h"
#include "tools/ndmpctl/json.h"

namespace ndmp::ctl {
namespace {

void add_drive_option(SubArgs& a) {
  a.options.add_options()("drive,d", po::value<std::string>()->default_value("0"),
                          "drive number (0..) or tape device name");
}

// Opens the drive named by --drive; a missing tape is a device error here.
Result<std::unique_ptr<Drive>> open_loaded(Context& ctx, const SubArgs& a, bool write) {
  auto name = ctx.target->resolve_drive(a.get<std::string>("drive"));
  if (!name.ok()) return name.outcome();
  auto d = ctx.target->open_drive(name.value());
  if (!d.ok()) return d.outcome();
  auto opened = d.value()->open(write);
  if (!opened.ok()) return opened.outcome();
  if (!opened.value()) return Outcome::device(fmt::format("{}: no tape loaded", name.value()));
  return std::move(d.value());
}

Outcome finish(Context& ctx, Drive& d, Outcome o, const std::string& done_text) {
  if (auto c = d.close(); o.ok() && !c.ok()) o = c;
  if (!o.ok()) return o;
  if (ctx.json) JsonWriter(ctx.out).begin_object().field("drive", d.name()).field("done", done_text).end_object();
  else ctx.out << done_text << "\n";
  return o;
}

std::string opt_num(const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : std::string("unknown"); }

Outcome cmd_tape_status(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("tape status [-d DRIVE]", "Shows whether a tape is loaded, write protection, file and block number, and "
                                      "capacity where the drive reports it (as `mt status`).");
  add_drive_option(a);
  if (auto o = a.parse(ctx, args)) return *o;
  auto name = ctx.target->resolve_drive(a.get<std::string>("drive"));
  if (!name.ok()) return name.outcome();
  auto d = ctx.target->open_drive(name.value());
  if (!d.ok()) return d.outcome();
  auto opened = d.value()->open(false);
  if (!opened.ok()) return opened.outcome();
  DriveState s;
  if (opened.value()) {
    auto st = d.value()->status();
    if (!st.ok()) return st.outcome();
    s = st.value();
  }
  if (auto c = d.value()->close(); !c.ok()) return c;
  if (ctx.json) {
    JsonWriter j(ctx.out);
    j.begin_object().field("drive", name.value()).field("loaded", s.loaded);
    if (s.loaded) {
      j.field("write_protected", s.write_protected);
      auto num = [&](const char* k, const auto& v) {
        j.key(k);
        if (v) j.value(uint64_t{*v}); else j.null();
      };
      num("file", s.file);
      num("block", s.block);
      num("block_size", s.block_size);
      num("total_bytes", s.total_bytes);
      num("remaining_bytes", s.remaining_bytes);
    }
    j.end_object();
    return {};
  }
  ctx.out << fmt::format("Drive {}: {}\n", name.value(), s.loaded ? "tape loaded" : "no tape loaded");
  if (!s.loaded) return {};
  ctx.out << fmt::format("File number={}, block number={}\n", opt_num(s.file), opt_num(s.block));
  ctx.out << fmt::format("Block size={}\n", !s.block_size ? "unknown" : *s.block_size == 0 ? "variable" : std::to_string(*s.block_size));
  ctx.out << fmt::format("Write protected={}\n", s.write_protected ? "yes" : "no");
  if (s.total_bytes || s.remaining_bytes)
    ctx.out << fmt::format("Capacity: {} bytes, {} remaining\n", opt_num(s.total_bytes), opt_num(s.remaining_bytes));
  return {};
}

Outcome cmd_rewind(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("rewind [-d DRIVE]", "Rewinds the tape to its beginning.");
  add_drive_option(a);
  if (auto o = a.parse(ctx, args)) return *o;
  auto d = open_loaded(ctx, a, false);
  if (!d.ok()) return d.outcome();
  return finish(ctx, *d.value(), d.value()->rewind(), "rewound " + d.value()->name());
}

Outcome space(Context& ctx, const std::vector<std::string>& args, bool forward) {
  SubArgs a(forward ? "fsf [N] [-d DRIVE]" : "bsf [N] [-d DRIVE]",
            forward ? "Spaces forward over N file marks (default 1): the tape is then at the start of the file after."
                    : "Spaces backward over N file marks (default 1): the tape is then before the last one crossed.");
  add_drive_option(a);
  a.options.add_options()("count", po::value<uint32_t>()->default_value(1), "number of file marks");
  a.positional.add("count", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  uint32_t n = a.get<uint32_t>("count");
  if (n > 0x7fffff) return Outcome::usage("a count is at most 8388607");
  auto d = open_loaded(ctx, a, false);
  if (!d.ok()) return d.outcome();
  auto r = d.value()->space_files(forward ? int32_t(n) : -int32_t(n));
  if (!r.ok()) return finish(ctx, *d.value(), r.outcome(), {});
  if (r.value() != 0) {
    (void)d.value()->close();
    return Outcome::device(fmt::format("{}: {} file mark{} not spaced: {} reached first", d.value()->name(), r.value(),
                                       r.value() == 1 ? "" : "s", forward ? "end of data" : "beginning of tape"));
  }
  return finish(ctx, *d.value(), {}, fmt::format("spaced {} {} file mark{} on {}", forward ? "forward" : "back", n,
                                                 n == 1 ? "" : "s", d.value()->name()));
}
Outcome cmd_fsf(Context& ctx, const std::vector<std::string>& args) { return space(ctx, args, true); }
Outcome cmd_bsf(Context& ctx, const std::vector<std::string>& args) { return space(ctx, args, false); }

Outcome cmd_eod(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("eod [-d DRIVE]", "Spaces to the end of recorded data, where new data would be appended.");
  add_drive_option(a);
  if (auto o = a.parse(ctx, args)) return *o;
  auto d = open_loaded(ctx, a, false);
  if (!d.ok()) return d.outcome();
  return finish(ctx, *d.value(), d.value()->end_of_data(), "at end of data on " + d.value()->name());
}

Outcome cmd_weof(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("weof [N] [-d DRIVE]", "Writes N file marks (default 1) at the current position.");
  add_drive_option(a);
  a.options.add_options()("count", po::value<uint32_t>()->default_value(1), "number of file marks");
  a.positional.add("count", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  auto d = open_loaded(ctx, a, true);
  if (!d.ok()) return d.outcome();
  uint32_t n = a.get<uint32_t>("count");
  return finish(ctx, *d.value(), d.value()->write_filemarks(n),
                fmt::format("wrote {} file mark{} on {}", n, n == 1 ? "" : "s", d.value()->name()));
}

Outcome cmd_eject(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("eject [-d DRIVE]", "Rewinds and unloads the tape (as `mt offline`). In a library the tape stays in "
                                "the drive element until `unload` moves it.");
  add_drive_option(a);
  if (auto o = a.parse(ctx, args)) return *o;
  auto d = open_loaded(ctx, a, false);
  if (!d.ok()) return d.outcome();
  return finish(ctx, *d.value(), d.value()->eject(), "ejected the tape in " + d.value()->name());
}

bool confirm(Context& ctx, const std::string& question) {
  if (ctx.assume_yes) return true;
  ctx.err << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(ctx.in, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

Outcome cmd_erase(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("erase [-d DRIVE] [--yes]",
            "Erases the tape: rewinds and writes one file mark at the beginning, so everything after it is beyond "
            "end of data and can no longer be read (a short erase; the old data is not overwritten). Asks for "
            "confirmation unless --yes is given.");
  add_drive_option(a);
  a.options.add_options()("yes,y", po::bool_switch(), "do not ask for confirmation");
  if (auto o = a.parse(ctx, args)) return *o;
  auto name = ctx.target->resolve_drive(a.get<std::string>("drive"));
  if (!name.ok()) return name.outcome();
  if (!a.get<bool>("yes") &&
      !confirm(ctx, fmt::format("Erase the tape in {}? Everything on it will be lost.", name.value())))
    return Outcome::failure("not erased: the operator did not confirm");
  auto d = open_loaded(ctx, a, true);
  if (!d.ok()) return d.outcome();
  Outcome o = d.value()->rewind();
  if (o.ok()) o = d.value()->write_filemarks(1);
  if (o.ok()) o = d.value()->rewind();
  return finish(ctx, *d.value(), o, "erased the tape in " + d.value()->name());
}

// Positions for read/write: --file N from BOT, or --append (write only).
Outcome position(Drive& d, const SubArgs& a) {
  if (a.has("file")) {
    if (auto o = d.rewind(); !o.ok()) return o;
    uint32_t n = a.get<uint32_t>("file");
    auto r = d.space_files(int32_t(n));
    if (!r.ok()) return r.outcome();
    if (r.value() != 0) return Outcome::device(fmt::format("{}: the tape has fewer than {} files", d.name(), n));
  }
  if (a.has("append") && a.get<bool>("append")) return d.end_of_data();
  return {};
}

Outcome cmd_read(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("read FILE [-d DRIVE] [--file N] [--record-size BYTES]",
            "Reads the records of one tape file (up to the next file mark) into FILE (\"-\" = standard output), "
            "from the current position or, with --file N, from the start of file N (0 = first).");
  add_drive_option(a);
  a.options.add_options()("output", po::value<std::string>()->required(), "local file")(
      "file", po::value<uint32_t>(), "tape file number to read (rewinds first)")(
      "record-size", po::value<uint32_t>()->default_value(256 * 1024), "largest record to expect, in bytes");
  a.positional.add("output", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  const auto path = a.get<std::string>("output");
  auto d = open_loaded(ctx, a, false);
  if (!d.ok()) return d.outcome();
  if (auto o = position(*d.value(), a); !o.ok()) return finish(ctx, *d.value(), o, {});
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (path != "-") {
    file.open(path, std::ios::binary | std::ios::trunc);
    if (!file) return Outcome::failure(fmt::format("cannot create {}", path));
    out = &file;
  }
  uint64_t records = 0, bytes = 0;
  std::string end = "file mark";
  for (;;) {
    auto r = d.value()->read(a.get<uint32_t>("record-size"));
    if (!r.ok()) return finish(ctx, *d.value(), r.outcome(), {});
    if (r->kind == ReadRecord::Kind::filemark) break;
    if (r->kind == ReadRecord::Kind::end_of_data) {
      end = "end of data";
      break;
    }
    out->write(reinterpret_cast<const char*>(r->data.data()), static_cast<std::streamsize>(r->data.size()));
    if (!*out) return finish(ctx, *d.value(), Outcome::failure("writing " + path + " failed"), {});
    ++records;
    bytes += r->data.size();
  }
  out->flush();
  if (auto c = d.value()->close(); !c.ok()) return c;
  if (path == "-") {
    ctx.err << fmt::format("read {} records, {} bytes from {} (stopped at {})\n", records, bytes, d.value()->name(), end);
  } else if (ctx.json) {
    JsonWriter(ctx.out).begin_object().field("drive", d.value()->name()).field("records", records)
        .field("bytes", bytes).field("stopped_at", end).end_object();
  } else {
    ctx.out << fmt::format("read {} records, {} bytes from {} into {} (stopped at {})\n", records, bytes,
                           d.value()->name(), path, end);
  }
  return {};
}

Outcome cmd_write(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("write FILE [-d DRIVE] [--append | --file N] [--record-size BYTES]",
            "Writes FILE (\"-\" = standard input) to tape as records of --record-size bytes (the last may be "
            "shorter), followed by a file mark. Writes at the current position (the beginning of the tape with "
            "--server, whose drives rewind when closed), at the end of data with --append, or after file N-1 "
            "with --file N.");
  add_drive_option(a);
  a.options.add_options()("input", po::value<std::string>()->required(), "local file")(
      "append", po::bool_switch(), "append after the last file on the tape")(
      "file", po::value<uint32_t>(), "write as tape file N (rewinds, spaces N file marks)")(
      "record-size", po::value<uint32_t>()->default_value(64 * 1024), "record size in bytes");
  a.positional.add("input", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  const auto path = a.get<std::string>("input");
  const uint32_t rs = a.get<uint32_t>("record-size");
  if (rs == 0 || rs > 256 * 1024) return Outcome::usage("--record-size is 1..262144 bytes");
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return Outcome::failure(fmt::format("cannot open {}", path));
    in = &file;
  }
  auto d = open_loaded(ctx, a, true);
  if (!d.ok()) return d.outcome();
  if (auto o = position(*d.value(), a); !o.ok()) return finish(ctx, *d.value(), o, {});
  std::vector<uint8_t> buf(rs);
  uint64_t records = 0, bytes = 0;
  for (;;) {
    in->read(reinterpret_cast<char*>(buf.data()), rs);
    auto got = static_cast<size_t>(in->gcount());
    if (got == 0) break;
    if (auto o = d.value()->write(std::span<const uint8_t>(buf.data(), got)); !o.ok())
      return finish(ctx, *d.value(), o, {});
    ++records;
    bytes += got;
    if (got < rs) break;
  }
  if (auto o = d.value()->write_filemarks(1); !o.ok()) return finish(ctx, *d.value(), o, {});
  if (auto c = d.value()->close(); !c.ok()) return c;
  if (ctx.json)
    JsonWriter(ctx.out).begin_object().field("drive", d.value()->name()).field("records", records).field("bytes", bytes).end_object();
  else
    ctx.out << fmt::format("wrote {} records, {} bytes from {} to {}\n", records, bytes, path, d.value()->name());
  return {};
}

const Command kDrive[] = {
    {"status", "tape status: loaded, position, write protection", cmd_tape_status},
    {"rewind", "rewind the tape", cmd_rewind},
    {"fsf", "fsf [N]: space forward over N file marks", cmd_fsf},
    {"bsf", "bsf [N]: space backward over N file marks", cmd_bsf},
    {"eod", "space to the end of recorded data", cmd_eod},
    {"weof", "weof [N]: write N file marks", cmd_weof},
    {"eject", "rewind and unload the tape", cmd_eject},
    {"erase", "erase the tape (asks first)", cmd_erase},
    {"read", "read FILE: copy one tape file's records into a local file", cmd_read},
    {"write", "write FILE: copy a local file to tape as records", cmd_write},
};

}  // namespace

std::span<const Command> drive_commands() { return kDrive; }

}  // namespace ndmp::ctl
