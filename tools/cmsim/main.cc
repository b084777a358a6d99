// cmsim: run the Cloud Manager simulator (simulator.h) from the command line.
//
//   cmsim --port 9000 --free-space 10G --record /tmp/cm.jsonl
//
// Control on stdin, one command a line (for demos and scripted tests):
//   free BYTES | refuse on|off | delay MS | disconnect-after N |
//   seed-only on|off | query-error CODE | query-silent on|off |
//   report-silent on|off | disconnect | away | back | quit
// Each command is answered with one line on stderr ("ok ..." or "error ...").
#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>
#include <string>

#include "common/log.h"
#include "tools/cmsim/simulator.h"

namespace po = boost::program_options;

namespace {

// "10G", "512M", "4096": bytes with an optional binary suffix.
bool parse_size(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (...) {
    return false;
  }
  int shift = 0;
  if (used + 1 == s.size()) {
    switch (s.back()) {
      case 'K': case 'k': shift = 10; break;
      case 'M': case 'm': shift = 20; break;
      case 'G': case 'g': shift = 30; break;
      case 'T': case 't': shift = 40; break;
      default: return false;
    }
  } else if (used != s.size()) {
    return false;
  }
  out = static_cast<int64_t>(v) << shift;
  return v >= 0;
}

void control(ndmp::cmsim::Simulator& sim, std::istream& in) {
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string cmd, arg;
    ls >> cmd >> arg;
    if (cmd.empty()) continue;
    int64_t n = 0;
    if (cmd == "quit") {
      std::cerr << "ok quit" << std::endl;
      return;
    } else if (cmd == "free" && parse_size(arg, n)) {
      sim.set_free_space(n);
    } else if (cmd == "refuse" && (arg == "on" || arg == "off")) {
      sim.set_refuse(arg == "on");
    } else if (cmd == "delay" && parse_size(arg, n)) {
      sim.set_delay(std::chrono::milliseconds(n));
    } else if (cmd == "disconnect-after" && parse_size(arg, n)) {
      sim.set_disconnect_after(static_cast<int>(n));
    } else if (cmd == "seed-only" && (arg == "on" || arg == "off")) {
      sim.set_seed_only(arg == "on");
    } else if (cmd == "query-error" && parse_size(arg, n)) {
      sim.set_query_error(static_cast<int32_t>(n));
    } else if (cmd == "query-silent" && (arg == "on" || arg == "off")) {
      sim.set_query_silent(arg == "on");
    } else if (cmd == "report-silent" && (arg == "on" || arg == "off")) {
      sim.set_report_silent(arg == "on");
    } else if (cmd == "disconnect") {
      sim.disconnect_all();
    } else if (cmd == "away") {
      sim.go_away();
    } else if (cmd == "back") {
      if (auto s = sim.come_back(); !s.ok()) {
        std::cerr << "error " << s.text() << std::endl;
        continue;
      }
    } else {
      std::cerr << "error unknown command: " << line << std::endl;
      continue;
    }
    std::cerr << "ok " << line << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ndmp::log::set_program("cmsim");
  ndmp::cmsim::SimConfig cfg;
  std::string free_space = "1T";
  bool refuse = false;
  int delay_ms = 0, disconnect_after = 0, query_error = 0;
  po::options_description opts("cmsim: a Cloud Manager simulator for ndmpd's bridge");
  opts.add_options()
      ("help,h", "this text")
      ("listen", po::value(&cfg.address)->default_value(cfg.address), "IPv4 address to listen on")
      ("port", po::value(&cfg.port)->default_value(9000), "TCP port (0 = any free port)")
      ("free-space", po::value(&free_space)->default_value(free_space), "free backup space for QueryBackupSpaceEnough (K/M/G/T suffixes)")
      ("record", po::value(&cfg.record_path)->default_value("-"), "JSON-lines file for every message received (- = stdout)")
      ("refuse", po::bool_switch(&refuse), "answer reports and space queries with their *Failed error code")
      ("seed-only", po::bool_switch(&cfg.seed_only), "know only the protocol summary's commands: StreamerHello and reports get UnrecognizedCommand")
      ("query-error", po::value(&query_error)->default_value(0), "answer space queries with this error code (e.g. 11606, 2502)")
      ("delay-ms", po::value(&delay_ms)->default_value(0), "wait this long before each reply")
      ("disconnect-after", po::value(&disconnect_after)->default_value(0), "close the connection instead of answering the N-th message (0 = never)")
      ("max-body", po::value(&cfg.max_body)->default_value(cfg.max_body), "largest body accepted, bytes");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "cmsim: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\nstdin commands: free BYTES | refuse on|off | delay MS | disconnect-after N |"
                         " seed-only on|off | query-error CODE | query-silent on|off | report-silent on|off |"
                         " disconnect | away | back | quit\n";
    return 0;
  }
  if (!parse_size(free_space, cfg.free_bytes)) {
    std::cerr << "cmsim: --free-space: not a size: " << free_space << "\n";
    return 2;
  }
  ndmp::cmsim::Simulator sim(cfg);
  sim.set_refuse(refuse);
  sim.set_delay(std::chrono::milliseconds(delay_ms));
  sim.set_disconnect_after(disconnect_after);
  sim.set_query_error(query_error);
  if (auto s = sim.start(); !s.ok()) {
    std::cerr << s.text() << "\n";
    return 1;
  }
  control(sim, std::cin);
  sim.stop();
  return 0;
}
