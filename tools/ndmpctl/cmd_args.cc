#include "tools/ndmpctl/cmd_args.h"

#include <algorithm>
#include <ostream>

namespace ndmp::ctl {

SubArgs::SubArgs(std::string u, std::string d)
    : options("Options"), usage(std::move(u)), description(std::move(d)) {
  options.add_options()("help,h", "describe this command");
}

std::optional<Outcome> SubArgs::parse(Context& ctx, const std::vector<std::string>& args) {
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    // --help before notify(): it checks required arguments, which a
    // request for help need not give.
    if (vm.count("help")) {
      ctx.out << "usage: " << ctx.program << " [TARGET] " << usage << "\n\n" << description << "\n\n" << options;
      return Outcome::success();
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return Outcome::usage(std::string(e.what()) + " (usage: " + ctx.program + " " + usage + ")");
  }
  return std::nullopt;
}

const Command* find_command(std::span<const Command> table, const std::string& name) {
  auto it = std::find_if(table.begin(), table.end(), [&](const Command& c) { return name == c.name; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace ndmp::ctl
