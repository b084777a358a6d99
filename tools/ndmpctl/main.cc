// ndmpctl: tape library and drive control over NDMP, SG_IO or an emulated
// library. Everything is in cli.cc; this file only hands over argv.
#include <iostream>

#include "common/log.h"
#include "tools/ndmpctl/cli.h"

int main(int argc, char** argv) {
  ndmp::log::set_program("ndmpctl");
  // The device layer logs through the operator log; an operator running a
  // command wants its one result line, not the driver's notes.
  ndmp::log::set_level(ndmp::log::Level::error);
  std::vector<std::string> args(argv + 1, argv + argc);
  return ndmp::ctl::run(args, std::cout, std::cerr, std::cin);
}
