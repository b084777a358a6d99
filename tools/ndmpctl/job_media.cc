#include "tools/ndmpctl/job_media.h"

#include <fmt/format.h>

#include "tools/ndmpctl/drive.h"
#include "tools/ndmpctl/label.h"
#include "tools/ndmpctl/server_link.h"

namespace ndmp::ctl {

namespace code = msg::code;

std::string MountedTape::describe() const {
  std::string where = slot ? fmt::format("slot {}", *slot) : std::string("in the drive");
  if (!label.empty()) return fmt::format("{} ({})", label, where);
  if (!barcode.empty()) return fmt::format("{} ({})", barcode, where);
  return where;
}

JobMedia::JobMedia(client::Client& tape, std::string drive_device, unsigned drive_index, Target* robot_target)
    : tape_(tape), device_(std::move(drive_device)), drive_index_(drive_index), robot_target_(robot_target) {}

JobMedia::~JobMedia() {
  if (open_) (void)close(mc_ != nullptr);
  if (loaded_ && mc_) (void)unload();
}

Result<client::CallResult> JobMedia::tape_call(uint32_t c, const msg::Body& req, const std::string& what) {
  return ndmp_call(tape_, c, req, what);
}

Outcome JobMedia::refresh_map() {
  auto m = read_library(*mc_);
  if (!m.ok()) return m.outcome();
  map_ = std::move(m.value());
  if (drive_index_ >= map_.drives.size())
    return Outcome::usage(fmt::format("drive {} does not exist: the changer has {} drives", drive_index_,
                                      map_.drives.size()));
  return {};
}

Outcome JobMedia::open_robot() {
  if (!robot_target_) return Outcome::usage("this job has no changer to load tapes with");
  auto t = robot_target_->open_changer();
  if (!t.ok()) return t.outcome();
  robot_transport_ = std::move(t.value());
  mc_ = std::make_unique<dev::MediaChanger>(*robot_transport_);
  return refresh_map();
}

Outcome JobMedia::load(uint16_t slot) {
  if (auto o = refresh_map(); !o.ok()) return o;
  const auto& d = map_.drives[drive_index_];
  const auto* s = map_.find(slot);
  if (d.full) {
    if (d.source_valid && d.source == slot) {  // already there
      mounted_ = MountedTape{};
      mounted_.slot = map_.storage_number(slot);
      mounted_.barcode = d.volume_tag;
      return {};
    }
    return Outcome::device(fmt::format("drive {} already holds a tape ({}); unload it first", drive_index_,
                                       d.volume_tag.empty() ? map_.describe(d.source) : d.volume_tag));
  }
  if (!s || !s->full) return Outcome::device(fmt::format("{} is empty: no tape to load", map_.describe(slot)));
  uint16_t robot = map_.transports.empty() ? 0 : map_.transports.front().address;
  if (dev::Status st = mc_->move_medium(slot, d.address, robot); !st)
    return device_failure(fmt::format("MOVE MEDIUM {} to drive {}", map_.describe(slot), drive_index_), st);
  mounted_ = MountedTape{};
  mounted_.slot = map_.storage_number(slot);
  mounted_.barcode = s->volume_tag;
  loaded_ = true;
  return refresh_map();
}

Outcome JobMedia::unload() {
  if (auto o = refresh_map(); !o.ok()) return o;
  const auto& d = map_.drives[drive_index_];
  if (!d.full) {
    loaded_ = false;
    return {};
  }
  std::optional<uint16_t> to;
  if (d.source_valid && map_.storage_number(d.source) && !map_.find(d.source)->full) {
    to = d.source;
  } else {
    for (const auto& s : map_.slots)
      if (!s.full) {
        to = s.address;
        break;
      }
  }
  if (!to) return Outcome::device("no empty slot to put the tape back into");
  uint16_t robot = map_.transports.empty() ? 0 : map_.transports.front().address;
  if (dev::Status st = mc_->move_medium(d.address, *to, robot); !st)
    return device_failure(fmt::format("MOVE MEDIUM drive {} to {}", drive_index_, map_.describe(*to)), st);
  loaded_ = false;
  return refresh_map();
}

std::optional<uint16_t> JobMedia::next_full_slot(uint16_t after) const {
  const unsigned from = map_.storage_number(after);
  for (const auto& s : map_.slots)
    if (s.full && map_.storage_number(s.address) > from) return s.address;
  return std::nullopt;
}

std::optional<uint16_t> JobMedia::slot_with_barcode(const std::string& barcode) const {
  for (const auto* list : {&map_.slots, &map_.mailslots})
    for (const auto& s : *list)
      if (s.full && !barcode.empty() && s.volume_tag == barcode) return s.address;
  return std::nullopt;
}

Result<MountedTape> JobMedia::open(bool write) {
  msg::TapeOpenRequest req;
  req.device = device_;
  req.mode = write ? msg::TapeOpenMode::rdwr : msg::TapeOpenMode::read;
  auto r = tape_.call(code::TAPE_OPEN, req);
  if (!r.ok) return Outcome::connection("TAPE_OPEN: " + r.failure);
  if (r.error() == msg::Error::no_tape_loaded) return Outcome::device(fmt::format("{}: no tape loaded", device_));
  if (r.error() != msg::Error::no_err)
    return Outcome::device(fmt::format("TAPE_OPEN {}: {}", device_, msg::to_string(r.error())));
  open_ = true;
  msg::TapeMtioRequest rew;
  rew.op = msg::MtioOp::rew;
  rew.count = 1;
  if (auto x = tape_call(code::TAPE_MTIO, rew, "REW on " + device_); !x.ok()) return x.outcome();
  msg::TapeReadRequest rd;
  rd.count = 64 * 1024;
  auto rec = tape_.call(code::TAPE_READ, rd);
  if (!rec.ok) return Outcome::connection("TAPE_READ: " + rec.failure);
  mounted_.label.clear();
  // A blank tape answers EOF/EOM/IO: not a label, and nothing to skip.
  if (rec.error() == msg::Error::no_err)
    if (auto l = decode_label(rec.as<msg::TapeReadReply>().data)) mounted_.label = l->name;
  if (auto o = position(); !o.ok()) return o;
  return mounted_;
}

Outcome JobMedia::position() {
  msg::TapeMtioRequest m;
  m.op = msg::MtioOp::rew;
  m.count = 1;
  if (auto x = tape_call(code::TAPE_MTIO, m, "REW on " + device_); !x.ok()) return x.outcome();
  if (mounted_.label.empty()) return {};
  m.op = msg::MtioOp::fsf;
  auto x = tape_call(code::TAPE_MTIO, m, "FSF 1 (past the label) on " + device_);
  if (!x.ok()) return x.outcome();
  if (x->as<msg::TapeMtioReply>().resid_count != 0)
    return Outcome::device(fmt::format("{}: no file mark after the label \"{}\"", device_, mounted_.label));
  return {};
}

void JobMedia::write_filemark() {
  msg::TapeMtioRequest m;
  m.op = msg::MtioOp::eof;
  m.count = 1;
  (void)tape_.call(code::TAPE_MTIO, m);
}

Outcome JobMedia::close(bool for_robot) {
  if (!open_) return {};
  open_ = false;
  Outcome result;
  if (for_robot) {
    msg::TapeMtioRequest m;
    m.op = msg::MtioOp::off;
    m.count = 1;
    if (auto x = tape_call(code::TAPE_MTIO, m, "OFF on " + device_); !x.ok()) result = x.outcome();
  }
  if (auto x = tape_call(code::TAPE_CLOSE, msg::Empty{}, device_); !x.ok() && result.ok()) result = x.outcome();
  return result;
}

}  // namespace ndmp::ctl
