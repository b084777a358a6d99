#include "devices/tape_write_rules.h"

namespace ndmp::dev {

Status TapeWriteRules::write(std::span<const uint8_t> record) {
  if (eom_pending_) {
    eom_pending_ = false;
    return Status::make(Category::eom, "early warning: end of medium is near; the record was not written");
  }
  Status st = drive_.write(record);
  if (st.ok() || st.is(Category::early_warning)) {
    owed_ = true;
    if (st.is(Category::early_warning)) eom_pending_ = true;
    return Status::Ok();
  }
  return st;
}

Status TapeWriteRules::write_filemarks(uint32_t count) {
  owed_ = false;
  Status st = drive_.write_filemarks(count);
  return st.is(Category::early_warning) ? Status::Ok() : st;
}

Status TapeWriteRules::settle() {
  if (!owed_) return Status::Ok();
  return write_filemarks(1);
}

bool TapeWriteRules::take_early_warning() {
  const bool w = eom_pending_;
  eom_pending_ = false;
  return w;
}

}  // namespace ndmp::dev
