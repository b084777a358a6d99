// Argument parsing for one subcommand: its options (Boost.Program_options),
// its positional arguments in order, and --help that prints both.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "tools/ndmpctl/commands.h"

namespace ndmp::ctl {

namespace po = boost::program_options;

struct SubArgs {
  po::options_description options;
  po::positional_options_description positional;
  std::string usage;        // "load SLOT DRIVE"
  std::string description;  // what it does, one paragraph
  po::variables_map vm;

  SubArgs(std::string u, std::string d);
  // Parses `args`. Returns nullopt to go on; otherwise the command's result
  // (success after --help, usage error with the reason).
  std::optional<Outcome> parse(Context& ctx, const std::vector<std::string>& args);
  bool has(const char* name) const { return vm.count(name) > 0; }
  template <class T>
  T get(const char* name) const { return vm[name].as<T>(); }
};

}  // namespace ndmp::ctl
