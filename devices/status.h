// Errors as values (LevelDB's Status, with a device flavour): ok, or a
// category, the decoded sense of the command that failed (if any) and text
// for the operator. The server maps Category to an NDMP error in ONE table
// (server/); nothing in devices/ knows the NDMP numbers.
//
// Some categories are not failures but conditions a caller must see:
// filemark (a READ stopped at a filemark), early_warning (a WRITE succeeded
// but the tape is in its early-warning zone, SSC-4 4.2.5), blank_check (READ
// or SPACE reached end of data). ok() is false for them; a driver documents
// which of them a call may return and what was done before it.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "devices/sense.h"
#include "devices/transport.h"

namespace ndmp::dev {

enum class Category {
  ok = 0,
  no_medium,        // NOT READY, MEDIUM NOT PRESENT (02/3a-xx)
  not_ready,        // NOT READY for another reason (becoming ready, unloaded)
  write_protected,  // DATA PROTECT (07/27-00)
  blank_check,      // end of data reached (08/00-05)
  filemark,         // a filemark was crossed (00/00-01, FILEMARK bit)
  eom,              // physical end of medium / partition (VOLUME OVERFLOW 0d/00-02, or 00/00-02 on read)
  early_warning,    // data written, EOM warning (00/00-02 with EOM on WRITE / WRITE FILEMARKS)
  medium_error,     // MEDIUM ERROR (03/..)
  hardware_error,   // HARDWARE ERROR (04/..)
  illegal_request,  // ILLEGAL REQUEST (05/..): bad opcode, bad field, bad element
  unit_attention,   // UNIT ATTENTION (06/..): medium changed, reset; command not executed
  timeout,          // the transport's timeout expired
  busy,             // device in use: BUSY / RESERVATION CONFLICT, EBUSY on exclusive open
  transport,        // host adapter / OS failure below SCSI
  io,               // any other device answer we cannot classify (ABORTED COMMAND, bad reply)
  no_device,        // no such device name (inventory) or node vanished
};

const char* to_string(Category c);

class [[nodiscard]] Status : public BasicStatus<Category> {
 public:
  Status() = default;  // OK
  static Status Ok() { return {}; }
  static Status make(Category c, std::string text, std::optional<Sense> sense = std::nullopt) {
    Status s(c, std::move(text));
    s.sense_ = std::move(sense);
    return s;
  }
  static Status no_medium(std::string t) { return make(Category::no_medium, std::move(t)); }
  static Status not_ready(std::string t) { return make(Category::not_ready, std::move(t)); }
  static Status write_protected(std::string t) { return make(Category::write_protected, std::move(t)); }
  static Status illegal_request(std::string t) { return make(Category::illegal_request, std::move(t)); }
  static Status busy(std::string t) { return make(Category::busy, std::move(t)); }
  static Status io(std::string t) { return make(Category::io, std::move(t)); }
  static Status no_device(std::string t) { return make(Category::no_device, std::move(t)); }
  static Status transport(std::string t) { return make(Category::transport, std::move(t)); }

  // Classifies a completed command: GOOD is ok; CHECK CONDITION is classified
  // from its sense by the one table in status.cc; BUSY-like status bytes are
  // busy; transport failures keep the transport's text. `what` names the
  // command for the operator text ("WRITE(6) on emulated drive 0").
  static Status from_result(const CdbResult& r, std::string_view what);

  Category category() const { return code(); }
  const std::optional<Sense>& sense() const { return sense_; }
  std::string to_string() const;  // "medium_error: WRITE(6) on /dev/sg2: 3/0c/00 Medium Error: Write error"

 private:
  Status(Category c, std::string text) : BasicStatus(c, std::move(text)) {}
  std::optional<Sense> sense_;
};

template <class T>
using StatusOr = BasicStatusOr<T, Status>;

}  // namespace ndmp::dev
