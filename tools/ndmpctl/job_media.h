// The tapes of one job: the robot that moves them (optional) and the drive,
// opened with TAPE_OPEN on the job's tape connection, because the MOVER of
// that same session writes or reads it (SPEC4 3.6: the mover uses the tape
// device its session has open).
//
// Layout on tape (label.h): a labelled tape holds the label in file 0 and
// the job's records from file 1; an unlabelled tape holds them from BOT.
// position() leaves the tape where the job's first record is, which is what
// the mover assumes after MOVER_SET_WINDOW (record_num = offset / record
// size, SPEC4 3.6.2.3).
//
// Tape changes follow ndmjob's DMA (facts 6.7): write a file mark, rewind
// and unload (MTIO OFF: real drives hold a cartridge until told), TAPE_CLOSE,
// robot back to the slot the tape came from, robot loads the next, TAPE_OPEN,
// read the label, position.
//
// Threads: the job thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "devices/media_changer.h"
#include "tools/client/client.h"
#include "tools/ndmpctl/library_map.h"
#include "tools/ndmpctl/outcome.h"
#include "tools/ndmpctl/target.h"

namespace ndmp::ctl {

// What is in the drive now.
struct MountedTape {
  std::string label;              // "" = unlabelled or blank
  std::optional<unsigned> slot;   // mtx slot number the robot took it from
  std::string barcode;
  std::string describe() const;   // "MON-1 (slot 3)", "slot 3", "in the drive"
};

class JobMedia {
 public:
  // `tape` is the job's tape connection (not owned). `robot_target` is where
  // the changer is (nullptr = no robot: the tape in the drive is the only one).
  JobMedia(client::Client& tape, std::string drive_device, unsigned drive_index, Target* robot_target);
  // Best effort for failure paths: closes an open tape and puts a tape this
  // object loaded back to its slot.
  ~JobMedia();

  // Opens the changer and reads its elements (once per job, then after moves).
  Outcome open_robot();
  bool has_robot() const { return mc_ != nullptr; }
  const LibraryMap& map() const { return map_; }

  // Robot: the tape in storage element `slot` (an address) into the drive.
  // A drive already holding that slot's tape is left alone; a drive holding
  // another tape is an error (the operator's tape is never moved unasked).
  Outcome load(uint16_t slot_address);
  // Robot: the drive's tape back to its source slot (else the first empty one).
  Outcome unload();
  // The first full slot after `after` (an address) in mtx order, if any.
  std::optional<uint16_t> next_full_slot(uint16_t after) const;
  // The slot whose barcode is `barcode`, if any.
  std::optional<uint16_t> slot_with_barcode(const std::string& barcode) const;
  // Slot address of mtx number `n`.
  Result<uint16_t> slot_address(const std::string& ref) const { return map_.storage(ref); }

  // TAPE_OPEN (read/write or read), read the label, position after it.
  Result<MountedTape> open(bool write);
  // Back to the first job record of the open tape (after REW: FSF 1 if labelled).
  Outcome position();
  // After a backup: a file mark ends the data (ignored if the tape refuses).
  void write_filemark();
  // MTIO OFF if the robot will move the tape, then TAPE_CLOSE. Errors are
  // returned but the tape counts as closed.
  Outcome close(bool for_robot);
  bool is_open() const { return open_; }
  const MountedTape& mounted() const { return mounted_; }

 private:
  Result<client::CallResult> tape_call(uint32_t code, const msg::Body& req, const std::string& what);
  Outcome refresh_map();

  client::Client& tape_;
  std::string device_;
  unsigned drive_index_;
  Target* robot_target_;
  std::unique_ptr<dev::Transport> robot_transport_;
  std::unique_ptr<dev::MediaChanger> mc_;
  LibraryMap map_;
  bool open_ = false;
  bool loaded_ = false;  // the drive holds a tape load() put there
  MountedTape mounted_;
};

}  // namespace ndmp::ctl
