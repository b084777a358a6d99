// Sample bodies for every message of every version, with every field the
// version carries set to a non-default value (and every field it lacks left at
// its default), so a round trip that drops or swaps a field is caught.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "xdr/codec.h"
#include "xdr/model.h"

namespace ndmp::xdr::test {

struct Sample {
  uint32_t code;
  MessageType type;
  std::string name;  // for test output
  std::shared_ptr<const msg::Body> body;
  // Typed equality: both bodies must be of the sample's concrete type.
  std::function<bool(const msg::Body&, const msg::Body&)> equal;
};

// Every (code, direction) that `version` (2, 3 or 4) defines.
std::vector<Sample> samples(int version);

}  // namespace ndmp::xdr::test
