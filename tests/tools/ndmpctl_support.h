// Helpers for the ndmpctl tests: run the command in process (ndmp::ctl::run)
// or as the built binary, and look at a changer independently of ndmpctl's
// own output (the SMC driver over a plain NDMP session or transport).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "devices/media_changer.h"
#include "tools/client/client.h"

namespace ndmp::test {

struct CtlRun {
  int rc = -1;
  std::string out, err;
};

// ndmpctl ARGS in this process; `input` answers confirmations.
CtlRun ctl(const std::vector<std::string>& args, const std::string& input = "");

// The built binary, with extra environment entries ("NAME=value").
CtlRun ctl_binary(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// Element contents by address: address -> barcode ("" = empty).
using Contents = std::map<uint16_t, std::string>;
Contents contents_of(dev::Transport& changer);

}  // namespace ndmp::test
