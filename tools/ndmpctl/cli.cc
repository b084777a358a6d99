#include "tools/ndmpctl/cli.h"

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <iostream>
#include <set>
#include <sstream>

#include "tools/ndmpctl/commands.h"
#include "tools/ndmpctl/password.h"

namespace ndmp::ctl {
namespace {

namespace po = boost::program_options;

po::options_description global_options() {
  po::options_description g("Target and global options (before the command)");
  g.add_options()
      ("server,s", po::value<std::string>(), "NDMP server HOST[:PORT] (port 10000 by default)")
      ("user,u", po::value<std::string>()->default_value("ndmp"), "NDMP user name")
      ("password-file", po::value<std::string>(), "file whose first line is the password (else NDMP_PASSWORD, else a prompt)")
      ("auth", po::value<std::string>()->default_value("md5"), "authentication: md5, text or none")
      ("ndmp-version", po::value<int>()->default_value(0), "force NDMP version 2, 3 or 4 (0 = negotiate)")
      ("local,l", po::value<std::string>(), "a changer or tape on this machine: /dev/sgN or an inventory name")
      ("library,L", po::value<std::string>(), "an emulated library directory, opened in this process")
      ("changer", po::value<std::string>(), "changer device name on the server (default: the first it lists)")
      ("drives", po::value<std::string>(), "tape device names of drives 0,1,... comma-separated")
      ("json", po::bool_switch(), "machine-readable output (read commands)")
      ("yes,y", po::bool_switch(), "answer yes to confirmations")
      ("help,h", "this help")
      ("password", po::value<std::string>(), "(refused: see --password-file)");
  return g;
}

// Options that take a value, to find where the command word starts.
const std::set<std::string> kValued = {"-s", "--server", "-u", "--user", "--password-file", "--auth", "--ndmp-version",
                                       "-l", "--local", "-L", "--library", "--changer", "--drives", "--password"};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) v.push_back(item);
  return v;
}

void print_help(std::ostream& out, const po::options_description& g) {
  out << "usage: ndmpctl [--server HOST[:PORT] | --local DEVICE | --library DIR] [options] COMMAND [ARGS]\n\n"
         "Controls tape libraries and drives behind an NDMP server, attached to this machine, or emulated.\n"
         "`ndmpctl COMMAND --help` describes a command; man ndmpctl(1) has examples.\n\n";
  auto list = [&](const char* title, std::span<const Command> t, const char* prefix) {
    out << title << ":\n";
    for (const auto& c : t) out << fmt::format("  {:<14} {}\n", std::string(prefix) + c.name, c.summary);
  };
  list("Server", info_commands(), "");
  list("Library", library_commands(), "");
  list("Drive (also without the `tape` word, except status)", drive_commands(), "tape ");
  list("Jobs", job_commands(), "");
  out << "\n" << g;
}

// Top-level lookup: server and library verbs, then drive verbs by their own
// names; `status` is the library's, the drive's is `tape status`.
const Command* top_level(const std::string& name) {
  if (auto* c = find_command(info_commands(), name)) return c;
  if (auto* c = find_command(library_commands(), name)) return c;
  if (auto* c = find_command(job_commands(), name)) return c;
  return find_command(drive_commands(), name);
}

Outcome dispatch(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::istream& in) {
  // Global options end at the first word that is not an option: the command.
  size_t cmd_at = args.size();
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a.empty() || a[0] != '-') {
      cmd_at = i;
      break;
    }
    if (kValued.count(a) && a.find('=') == std::string::npos) ++i;
  }
  std::vector<std::string> global(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(cmd_at));
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(std::min(cmd_at, args.size())), args.end());

  auto g = global_options();
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(global).options(g).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return Outcome::usage(e.what());
  }
  if (vm.count("password"))
    return Outcome::usage("a password is never given on the command line (ps and shell history show it): use "
                          "--password-file FILE, the NDMP_PASSWORD environment variable, or the prompt");
  if (rest.empty()) {
    if (vm.count("help")) {
      print_help(out, g);
      return {};
    }
    return Outcome::usage("no command given (ndmpctl --help lists them)");
  }
  // --json may also follow the command, where scripts tend to put it.
  bool json = vm["json"].as<bool>();
  std::string name = rest.front();
  rest.erase(rest.begin());
  const Command* cmd = nullptr;
  if (name == "tape") {
    if (rest.empty()) return Outcome::usage("tape needs a verb: status, rewind, fsf, bsf, eod, weof, eject, erase, read, write");
    cmd = find_command(drive_commands(), rest.front());
    if (!cmd) return Outcome::usage(fmt::format("unknown tape verb \"{}\"", rest.front()));
    rest.erase(rest.begin());
  } else {
    cmd = top_level(name);
    if (!cmd) return Outcome::usage(fmt::format("unknown command \"{}\" (ndmpctl --help lists them)", name));
  }
  for (auto it = rest.begin(); it != rest.end();) {
    if (*it == "--json") {
      json = true;
      it = rest.erase(it);
    } else {
      ++it;
    }
  }
  Context ctx{nullptr, out, err, in, json, vm["yes"].as<bool>(), "ndmpctl"};
  bool wants_help = std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
                    std::find(rest.begin(), rest.end(), "-h") != rest.end();

  const int targets = int(vm.count("server")) + int(vm.count("local")) + int(vm.count("library"));
  std::unique_ptr<Target> target;
  ServerOptions so;
  so.host.clear();
  if (!wants_help) {
    if (targets > 1 || (targets == 0 && cmd->need == TargetNeed::one))
      return Outcome::usage("name exactly one target: --server HOST, --local DEVICE or --library DIR");
    std::vector<std::string> drives = vm.count("drives") ? split_commas(vm["drives"].as<std::string>())
                                                         : std::vector<std::string>{};
    ctx.drives = drives;
    ctx.changer = vm.count("changer") ? vm["changer"].as<std::string>() : "";
    // Credentials are parsed whatever the target: jobs may name their
    // servers with --data-server/--tape-server instead of --server.
    so.user = vm["user"].as<std::string>();
    const auto auth = vm["auth"].as<std::string>();
    if (auth == "md5") so.auth = AuthMethod::md5;
    else if (auth == "text") so.auth = AuthMethod::text;
    else if (auth == "none") so.auth = AuthMethod::none;
    else return Outcome::usage(fmt::format("--auth is md5, text or none, not \"{}\"", auth));
    so.version = vm["ndmp-version"].as<int>();
    if (so.version != 0 && (so.version < 2 || so.version > 4)) return Outcome::usage("--ndmp-version is 2, 3 or 4");
    const std::string pwfile = vm.count("password-file") ? vm["password-file"].as<std::string>() : "";
    if (vm.count("server")) {
      if (!parse_server_address(vm["server"].as<std::string>(), so.host, so.port))
        return Outcome::usage(fmt::format("bad server address \"{}\" (HOST[:PORT])", vm["server"].as<std::string>()));
      if (so.auth != AuthMethod::none) {
        auto pw = obtain_password(pwfile, so.user, so.host);
        if (!pw.ok()) return pw.outcome();
        so.password = pw.value();
      }
      target = make_server_target(so, ctx.changer, drives);
    } else if (vm.count("local")) {
      target = make_local_target(vm["local"].as<std::string>(), drives);
    } else if (vm.count("library")) {
      target = make_library_target(vm["library"].as<std::string>(), drives);
    } else {
      ctx.password_file = pwfile;
    }
    ctx.target = target.get();
    ctx.server = &so;
  }
  return cmd->run(ctx, rest);
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::istream& in) {
  Outcome o = dispatch(args, out, err, in);
  out.flush();
  if (!o.ok()) err << "ndmpctl: " << o.text << "\n";
  return static_cast<int>(o.exit);
}

}  // namespace ndmp::ctl
