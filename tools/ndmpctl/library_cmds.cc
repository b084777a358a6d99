// Library verbs, as an mtx user knows them: status, inventory, load,
// unload, transfer, plus import/export, label and labels. Written once over
// the SMC driver; the Target supplies the transport (target.h).
#include <fmt/format.h>

#include <ctime>
#include <ostream>

#include "devices/media_changer.h"
#include "tools/ndmpctl/cmd_args.h"
#include "tools/ndmpctl/commands.h"
#include "tools/ndmpctl/json.h"
#include "tools/ndmpctl/label.h"
#include "tools/ndmpctl/library_map.h"

namespace ndmp::ctl {
namespace {

struct Robot {
  std::unique_ptr<dev::Transport> transport;
  std::unique_ptr<dev::MediaChanger> mc;
  std::string name;
};

Result<Robot> open_robot(Context& ctx) {
  auto name = ctx.target->changer_name();
  if (!name.ok()) return name.outcome();
  auto t = ctx.target->open_changer();
  if (!t.ok()) return t.outcome();
  Robot r;
  r.transport = std::move(t.value());
  r.mc = std::make_unique<dev::MediaChanger>(*r.transport);
  r.name = name.value();
  return r;
}

Outcome move(Robot& r, const LibraryMap& m, uint16_t from, uint16_t to) {
  const auto* src = m.find(from);
  const auto* dst = m.find(to);
  if (src && !src->full) return Outcome::device(fmt::format("{} is empty: nothing to move", m.describe(from)));
  if (dst && dst->full)
    return Outcome::device(fmt::format("{} is full ({}): cannot move {} there", m.describe(to),
                                       dst->volume_tag.empty() ? "no barcode" : dst->volume_tag, m.describe(from)));
  uint16_t robot = m.transports.empty() ? 0 : m.transports.front().address;
  dev::Status st = r.mc->move_medium(from, to, robot);
  if (!st) return device_failure(fmt::format("MOVE MEDIUM {} to {} on {}", m.describe(from), m.describe(to), r.name), st);
  return {};
}

Result<LibraryMap> map_of(Robot& r) {
  auto m = read_library(*r.mc);
  if (!m.ok()) return Outcome::device(m.outcome().text + " on " + r.name);
  return m;
}

void print_status(Context& ctx, const Robot& r, const LibraryMap& m) {
  if (ctx.json) {
    JsonWriter j(ctx.out);
    j.begin_object().field("changer", r.name).key("drives").begin_array();
    for (size_t i = 0; i < m.drives.size(); ++i) {
      const auto& d = m.drives[i];
      j.begin_object().field("drive", unsigned(i)).field("address", unsigned(d.address)).field("full", d.full);
      j.key("volume_tag");
      if (d.full && !d.volume_tag.empty()) j.value(d.volume_tag); else j.null();
      j.key("source_slot");
      if (d.full && d.source_valid && m.storage_number(d.source)) j.value(m.storage_number(d.source)); else j.null();
      if (!d.device_id.empty()) j.field("device_id", d.device_id);
      j.end_object();
    }
    j.end_array().key("slots").begin_array();
    auto slot = [&](const dev::ElementStatus& s) {
      j.begin_object().field("slot", m.storage_number(s.address)).field("address", unsigned(s.address));
      j.field("import_export", m.is_mailslot(s.address)).field("full", s.full).key("volume_tag");
      if (s.full && !s.volume_tag.empty()) j.value(s.volume_tag); else j.null();
      j.end_object();
    };
    for (const auto& s : m.slots) slot(s);
    for (const auto& s : m.mailslots) slot(s);
    j.end_array().end_object();
    return;
  }
  // The layout of `mtx status`, so scripts and eyes used to it keep working.
  ctx.out << fmt::format("  Storage Changer {}:{} Drives, {} Slots ( {} Import/Export )\n", r.name, m.drives.size(),
                         m.slots.size() + m.mailslots.size(), m.mailslots.size());
  for (size_t i = 0; i < m.drives.size(); ++i) {
    const auto& d = m.drives[i];
    std::string line = fmt::format("Data Transfer Element {}:{}", i, d.full ? "Full" : "Empty");
    if (d.full) {
      if (d.source_valid && m.storage_number(d.source)) line += fmt::format(" (Storage Element {} Loaded)", m.storage_number(d.source));
      if (!d.volume_tag.empty()) line += ":VolumeTag = " + d.volume_tag;
    }
    ctx.out << line << "\n";
  }
  auto slot = [&](const dev::ElementStatus& s) {
    std::string line = fmt::format("      Storage Element {}{}:{}", m.storage_number(s.address),
                                   m.is_mailslot(s.address) ? " IMPORT/EXPORT" : "", s.full ? "Full " : "Empty");
    if (s.full && !s.volume_tag.empty()) line += ":VolumeTag=" + s.volume_tag;
    ctx.out << line << "\n";
  };
  for (const auto& s : m.slots) slot(s);
  for (const auto& s : m.mailslots) slot(s);
}

Outcome cmd_status(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("status", "Shows every drive, slot and import/export element of the changer, with barcodes and where a "
                      "loaded tape came from (the layout of `mtx status`).");
  if (auto o = a.parse(ctx, args)) return *o;
  auto r = open_robot(ctx);
  if (!r.ok()) return r.outcome();
  auto m = map_of(r.value());
  if (!m.ok()) return m.outcome();
  print_status(ctx, r.value(), m.value());
  return {};
}

Outcome cmd_inventory(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("inventory", "Makes the changer scan its elements and barcodes again (INITIALIZE ELEMENT STATUS, "
                         "as `mtx inventory`), then shows the status.");
  if (auto o = a.parse(ctx, args)) return *o;
  auto r = open_robot(ctx);
  if (!r.ok()) return r.outcome();
  if (dev::Status st = r->mc->initialize_element_status(); !st)
    return device_failure("INITIALIZE ELEMENT STATUS on " + r->name, st);
  auto m = map_of(r.value());
  if (!m.ok()) return m.outcome();
  print_status(ctx, r.value(), m.value());
  return {};
}

Outcome cmd_load(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("load SLOT [DRIVE]", "Moves the tape in storage element SLOT (1.., or @ADDRESS) into DRIVE (0.., default "
                                 "0), as `mtx load`.");
  a.options.add_options()("slot", po::value<std::string>()->required(), "storage element")(
      "drive", po::value<std::string>()->default_value("0"), "drive number");
  a.positional.add("slot", 1).add("drive", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  auto r = open_robot(ctx);
  if (!r.ok()) return r.outcome();
  auto m = map_of(r.value());
  if (!m.ok()) return m.outcome();
  auto from = m->storage(a.get<std::string>("slot"));
  if (!from.ok()) return from.outcome();
  auto to = m->drive(a.get<std::string>("drive"));
  if (!to.ok()) return to.outcome();
  if (!ctx.json)
    ctx.out << fmt::format("Loading media from Storage Element {} into Data Transfer Element {}...",
                           m->storage_number(from.value()), a.get<std::string>("drive"))
            << std::flush;
  if (auto o = move(r.value(), m.value(), from.value(), to.value()); !o.ok()) {
    if (!ctx.json) ctx.out << "failed\n";
    return o;
  }
  if (ctx.json) JsonWriter(ctx.out).begin_object().field("moved", true).field("from", unsigned(from.value())).field("to", unsigned(to.value())).end_object();
  else ctx.out << "done\n";
  return {};
}

Outcome cmd_unload(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("unload [SLOT] [DRIVE]",
            "Moves the tape in DRIVE (default 0) to SLOT; without SLOT, back to the slot it came from, or else the "
            "first empty slot (as `mtx unload`; a single argument is the SLOT). With --eject the drive is rewound "
            "and unloaded first, for drives that do not let go of a tape when the robot asks.");
  a.options.add_options()("slot", po::value<std::string>(), "storage element")(
      "drive", po::value<std::string>()->default_value("0"), "drive number")(
      "eject", po::bool_switch(), "rewind and eject the tape in the drive before moving it");
  a.positional.add("slot", 1).add("drive", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  auto r = open_robot(ctx);
  if (!r.ok()) return r.outcome();
  auto m = map_of(r.value());
  if (!m.ok()) return m.outcome();
  auto from = m->drive(a.get<std::string>("drive"));
  if (!from.ok()) return from.outcome();
  const auto* d = m->find(from.value());
  if (!d->full) return Outcome::device(fmt::format("{} is empty: nothing to unload", m->describe(from.value())));
  // Element addresses start at 0 on some changers (ndmjob's robot puts its
  // import/export elements there), so "none" is an empty optional, never 0.
  std::optional<uint16_t> to;
  if (a.has("slot")) {
    auto s = m->storage(a.get<std::string>("slot"));
    if (!s.ok()) return s.outcome();
    to = s.value();
  } else if (d->source_valid && m->storage_number(d->source) && !m->find(d->source)->full) {
    to = d->source;
  } else {
    for (const auto& s : m->slots)
      if (!s.full) { to = s.address; break; }
    if (!to) return Outcome::device("no empty slot to unload into");
  }
  if (a.get<bool>("eject")) {
    auto name = ctx.target->resolve_drive(a.get<std::string>("drive"));
    if (!name.ok()) return name.outcome();
    auto drv = ctx.target->open_drive(name.value());
    if (!drv.ok()) return drv.outcome();
    auto opened = drv.value()->open(false);
    if (!opened.ok()) return opened.outcome();
    if (opened.value())
      if (auto o = drv.value()->eject(); !o.ok()) return o;
    if (auto o = drv.value()->close(); !o.ok()) return o;
  }
  if (!ctx.json)
    ctx.out << fmt::format("Unloading Data Transfer Element {} into Storage Element {}...", a.get<std::string>("drive"), m->storage_number(*to))
            << std::flush;
  if (auto o = move(r.value(), m.value(), from.value(), *to); !o.ok()) {
    if (!ctx.json) ctx.out << "failed\n";
    return o;
  }
  if (ctx.json) JsonWriter(ctx.out).begin_object().field("moved", true).field("from", unsigned(from.value())).field("to", unsigned(*to)).end_object();
  else ctx.out << "done\n";
  return {};
}

Outcome storage_move(Context& ctx, Robot& r, const LibraryMap& m, uint16_t from, uint16_t to) {
  if (auto o = move(r, m, from, to); !o.ok()) return o;
  if (ctx.json)
    JsonWriter(ctx.out).begin_object().field("moved", true).field("from", unsigned(from)).field("to", unsigned(to)).end_object();
  else
    ctx.out << fmt::format("Moved {} from {} to {}\n", m.find(from)->volume_tag.empty() ? "tape" : m.find(from)->volume_tag,
                           m.describe(from), m.describe(to));
  return {};
}

Outcome cmd_transfer(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("transfer FROM TO", "Moves a tape from storage element FROM to storage element TO (as `mtx transfer`).");
  a.options.add_options()("from", po::value<std::string>()->required(), "source storage element")(
      "to", po::value<std::string>()->required(), "destination storage element");
  a.positional.add("from", 1).add("to", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  auto r = open_robot(ctx);
  if (!r.ok()) return r.outcome();
  auto m = map_of(r.value());
  if (!m.ok()) return m.outcome();
  auto from = m->storage(a.get<std::string>("from"));
  if (!from.ok()) return from.outcome();
  auto to = m->storage(a.get<std::string>("to"));
  if (!to.ok()) return to.outcome();
  return storage_move(ctx, r.value(), m.value(), from.value(), to.value());
}

Outcome cmd_import(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("import [SLOT] [--from ELEMENT]",
            "Takes a tape the operator put in an import/export element (the first full one, or --from) into SLOT "
            "(default: the first empty slot).");
  a.options.add_options()("slot", po::value<std::string>(), "destination slot")(
      "from", po::value<std::string>(), "import/export element (mtx number or @ADDRESS)");
  a.positional.add("slot", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  auto r = open_robot(ctx);
  if (!r.ok()) return r.outcome();
  auto m = map_of(r.value());
  if (!m.ok()) return m.outcome();
  if (m->mailslots.empty()) return Outcome::device(r->name + " has no import/export element");
  std::optional<uint16_t> from, to;  // addresses may be 0: see unload
  if (a.has("from")) {
    auto f = m->storage(a.get<std::string>("from"));
    if (!f.ok()) return f.outcome();
    from = f.value();
  } else {
    for (const auto& e : m->mailslots)
      if (e.full) { from = e.address; break; }
    if (!from) return Outcome::device("every import/export element is empty: nothing to import");
  }
  if (a.has("slot")) {
    auto s = m->storage(a.get<std::string>("slot"));
    if (!s.ok()) return s.outcome();
    to = s.value();
  } else {
    for (const auto& s : m->slots)
      if (!s.full) { to = s.address; break; }
    if (!to) return Outcome::device("no empty slot to import into");
  }
  return storage_move(ctx, r.value(), m.value(), *from, *to);
}

Outcome cmd_export(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("export SLOT [--to ELEMENT]",
            "Puts the tape in SLOT into an import/export element (the first empty one, or --to) for the operator "
            "to take out.");
  a.options.add_options()("slot", po::value<std::string>()->required(), "slot holding the tape")(
      "to", po::value<std::string>(), "import/export element (mtx number or @ADDRESS)");
  a.positional.add("slot", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  auto r = open_robot(ctx);
  if (!r.ok()) return r.outcome();
  auto m = map_of(r.value());
  if (!m.ok()) return m.outcome();
  if (m->mailslots.empty()) return Outcome::device(r->name + " has no import/export element");
  auto from = m->storage(a.get<std::string>("slot"));
  if (!from.ok()) return from.outcome();
  std::optional<uint16_t> to;  // addresses may be 0: see unload
  if (a.has("to")) {
    auto t = m->storage(a.get<std::string>("to"));
    if (!t.ok()) return t.outcome();
    to = t.value();
  } else {
    for (const auto& e : m->mailslots)
      if (!e.full) { to = e.address; break; }
    if (!to) return Outcome::device("every import/export element is full: take a tape out first");
  }
  return storage_move(ctx, r.value(), m.value(), from.value(), *to);
}

// What is at the start of the tape in `drive` (opened read or read/write).
struct TapeStart {
  bool blank = false;
  std::optional<TapeLabel> label;
};

Result<TapeStart> read_start(Drive& d) {
  if (auto o = d.rewind(); !o.ok()) return o;
  auto rec = d.read(64 * 1024);
  if (!rec.ok()) return rec.outcome();
  TapeStart s;
  if (rec->kind == ReadRecord::Kind::end_of_data) s.blank = true;
  else if (rec->kind == ReadRecord::Kind::filemark) {
    // An erased tape: one file mark, then end of data (`erase`).
    auto next = d.read(64 * 1024);
    if (!next.ok()) return next.outcome();
    s.blank = next->kind == ReadRecord::Kind::end_of_data;
  } else if (rec->kind == ReadRecord::Kind::record) s.label = decode_label(rec->data);
  return s;
}

// Loads a slot's tape into a drive for the time of `work`, then puts it back.
Outcome with_tape_in_drive(Context& ctx, Robot& r, const LibraryMap& m, uint16_t slot, uint16_t drive,
                           const std::string& drive_name, const std::function<Outcome(Drive&)>& work) {
  if (auto o = move(r, m, slot, drive); !o.ok()) return o;
  Outcome result;
  {
    auto drv = ctx.target->open_drive(drive_name);
    if (!drv.ok()) {
      result = drv.outcome();
    } else {
      auto& d = *drv.value();
      auto opened = d.open(true);
      if (!opened.ok()) result = opened.outcome();
      else if (!opened.value()) result = Outcome::device(fmt::format("{}: no tape after the robot loaded it", drive_name));
      else {
        result = work(d);
        // Rewind and eject before the robot takes it: real drives hold the
        // cartridge until they are told to let go.
        if (auto o = d.eject(); result.ok() && !o.ok()) result = o;
      }
      if (auto o = d.close(); result.ok() && !o.ok()) result = o;
    }
  }
  uint16_t robot = m.transports.empty() ? 0 : m.transports.front().address;
  if (dev::Status st = r.mc->move_medium(drive, slot, robot); !st) {
    auto o = device_failure(fmt::format("MOVE MEDIUM {} back to {}", m.describe(drive), m.describe(slot)), st);
    return result.ok() ? o : result;
  }
  return result;
}

Outcome write_label(Drive& d, const std::string& name, bool force, std::string& replaced) {
  auto start = read_start(d);
  if (!start.ok()) return start.outcome();
  if (start->label) replaced = start->label->name;
  if (!force && start->label)
    return Outcome::device(fmt::format("{}: the tape is already labelled \"{}\"; use --force to relabel it", d.name(),
                                       start->label->name));
  if (!force && !start->blank && !start->label)
    return Outcome::device(fmt::format("{}: the tape holds data that is not a label; use --force to overwrite it",
                                       d.name()));
  if (auto o = d.rewind(); !o.ok()) return o;
  auto rec = encode_label(name, std::time(nullptr));
  if (auto o = d.write(rec); !o.ok()) return o;
  return d.write_filemarks(1);
}

Outcome cmd_label(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("label DRIVE NAME [--slot SLOT] [--force]",
            "Writes a label record NAME at the start of the tape in DRIVE (see LABELS in ndmpctl(1)). With --slot "
            "the robot loads that slot's tape first and puts it back afterwards. A tape that already holds a label "
            "or data is left alone unless --force is given.");
  a.options.add_options()("drive", po::value<std::string>()->required(), "drive number or tape device name")(
      "name", po::value<std::string>()->required(), "label to write")(
      "slot", po::value<std::string>(), "load this slot's tape first")("force", po::bool_switch(),
                                                                       "overwrite an existing label or data");
  a.positional.add("drive", 1).add("name", 1);
  if (auto o = a.parse(ctx, args)) return *o;
  const auto name = a.get<std::string>("name");
  if (auto why = check_label_name(name); !why.empty()) return Outcome::usage(why);
  auto drive_name = ctx.target->resolve_drive(a.get<std::string>("drive"));
  if (!drive_name.ok()) return drive_name.outcome();
  std::string replaced;
  Outcome o;
  if (a.has("slot")) {
    auto r = open_robot(ctx);
    if (!r.ok()) return r.outcome();
    auto m = map_of(r.value());
    if (!m.ok()) return m.outcome();
    auto slot = m->storage(a.get<std::string>("slot"));
    if (!slot.ok()) return slot.outcome();
    auto drive = m->drive(a.get<std::string>("drive"));
    if (!drive.ok()) return drive.outcome();
    o = with_tape_in_drive(ctx, r.value(), m.value(), slot.value(), drive.value(), drive_name.value(),
                           [&](Drive& d) { return write_label(d, name, a.get<bool>("force"), replaced); });
  } else {
    auto drv = ctx.target->open_drive(drive_name.value());
    if (!drv.ok()) return drv.outcome();
    auto opened = drv.value()->open(true);
    if (!opened.ok()) return opened.outcome();
    if (!opened.value()) return Outcome::device(fmt::format("{}: no tape loaded", drive_name.value()));
    o = write_label(*drv.value(), name, a.get<bool>("force"), replaced);
    if (auto c = drv.value()->close(); o.ok() && !c.ok()) o = c;
  }
  if (!o.ok()) return o;
  if (ctx.json)
    JsonWriter(ctx.out).begin_object().field("drive", drive_name.value()).field("label", name).end_object();
  else
    ctx.out << fmt::format("Labelled the tape in {} \"{}\"{}\n", drive_name.value(), name,
                           replaced.empty() ? "" : fmt::format(" (was \"{}\")", replaced));
  return {};
}

Outcome cmd_labels(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("labels [--drive DRIVE]",
            "Loads every tape in the library's slots in turn into DRIVE (default 0, which must be empty), reads "
            "its label and puts it back. Shows slot, barcode and label.");
  a.options.add_options()("drive,d", po::value<std::string>()->default_value("0"), "drive to read the labels with");
  if (auto o = a.parse(ctx, args)) return *o;
  auto r = open_robot(ctx);
  if (!r.ok()) return r.outcome();
  auto m = map_of(r.value());
  if (!m.ok()) return m.outcome();
  auto drive = m->drive(a.get<std::string>("drive"));
  if (!drive.ok()) return drive.outcome();
  if (m->find(drive.value())->full)
    return Outcome::device(fmt::format("{} is full; unload it or read labels with another --drive",
                                       m->describe(drive.value())));
  auto drive_name = ctx.target->resolve_drive(a.get<std::string>("drive"));
  if (!drive_name.ok()) return drive_name.outcome();

  struct Row {
    unsigned slot;
    std::string barcode;
    std::string state;  // "labelled", "blank", "unlabelled", "error"
    std::string label, created, error;
  };
  std::vector<Row> rows;
  Outcome worst;
  for (const auto* list : {&m->slots, &m->mailslots}) {
    for (const auto& s : *list) {
      if (!s.full) continue;
      Row row{m->storage_number(s.address), s.volume_tag, "unlabelled", {}, {}, {}};
      Outcome o = with_tape_in_drive(ctx, r.value(), m.value(), s.address, drive.value(), drive_name.value(),
                                     [&](Drive& d) -> Outcome {
                                       auto st = read_start(d);
                                       if (!st.ok()) return st.outcome();
                                       if (st->blank) row.state = "blank";
                                       if (st->label) {
                                         row.state = "labelled";
                                         row.label = st->label->name;
                                         row.created = st->label->created;
                                       }
                                       return {};
                                     });
      if (!o.ok()) {
        row.state = "error";
        row.error = o.text;
        worst = o;
      }
      rows.push_back(row);
      if (!o.ok() && o.exit != Exit::device) break;  // connection lost: stop
    }
  }
  if (ctx.json) {
    JsonWriter j(ctx.out);
    j.begin_object().field("drive", drive_name.value()).key("tapes").begin_array();
    for (const auto& row : rows) {
      j.begin_object().field("slot", row.slot).key("volume_tag");
      if (row.barcode.empty()) j.null(); else j.value(row.barcode);
      j.field("state", row.state).key("label");
      if (row.label.empty()) j.null(); else j.value(row.label);
      if (!row.created.empty()) j.field("created", row.created);
      if (!row.error.empty()) j.field("error", row.error);
      j.end_object();
    }
    j.end_array().end_object();
  } else {
    for (const auto& row : rows) {
      std::string what = row.state == "labelled" ? fmt::format("label \"{}\" ({})", row.label, row.created)
                         : row.state == "blank"  ? std::string("blank")
                         : row.state == "error"  ? "error: " + row.error
                                                 : std::string("no label (holds other data)");
      ctx.out << fmt::format("Storage Element {}:{}:{}\n", row.slot, row.barcode.empty() ? "-" : row.barcode, what);
    }
  }
  return worst;
}

const Command kLibrary[] = {
    {"status", "show drives, slots, import/export elements and barcodes", cmd_status},
    {"inventory", "rescan the library (INITIALIZE ELEMENT STATUS), then show it", cmd_inventory},
    {"load", "load SLOT [DRIVE]: move a tape from a slot into a drive", cmd_load},
    {"unload", "unload [SLOT] [DRIVE]: move a drive's tape back to a slot", cmd_unload},
    {"transfer", "transfer FROM TO: move a tape between slots", cmd_transfer},
    {"import", "import [SLOT]: take a tape from an import/export element into a slot", cmd_import},
    {"export", "export SLOT: put a slot's tape into an import/export element", cmd_export},
    {"label", "label DRIVE NAME: write a label at the start of a tape", cmd_label},
    {"labels", "read the label of every tape in the library", cmd_labels},
};

}  // namespace

std::span<const Command> library_commands() { return kLibrary; }

}  // namespace ndmp::ctl
