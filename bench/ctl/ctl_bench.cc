// ndmp-ctl-bench: control-path round trips against a running ndmpd.
//
// Opens N control connections (NDMP v4, MD5 login), then every connection
// sends CONFIG_GET_HOST_INFO back to back, each waiting for its reply, for
// --requests requests. Prints one line of key=value figures:
//   connections, requests (total), seconds (wall, after every login),
//   rps (requests per second over all connections),
//   p50_us, p99_us, max_us (round-trip latency of one request).
// Exit status 1 with a reason on stderr if any call fails.
//
// Threads: one per connection; each owns its Client and its latency list.
#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "tools/client/client.h"

namespace {

using namespace ndmp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 10000;
  std::string user, password;
  int connections = 1;
  int requests = 10000;  // per connection
};

struct Worker {
  std::vector<double> latencies_us;
  std::string failure;
};

void run_worker(const Options& o, Worker& w, std::barrier<>& ready, std::atomic<bool>& failed) {
  client::Client c;
  std::string why = c.connect(o.host, o.port);
  if (why.empty()) why = c.open(4);
  if (why.empty()) why = c.auth_md5(o.user, o.password);
  if (!why.empty()) {
    w.failure = why;
    failed = true;
  }
  ready.arrive_and_wait();  // every connection logged in before the clock starts
  if (!w.failure.empty() || failed) return;
  w.latencies_us.reserve(static_cast<size_t>(o.requests));
  for (int i = 0; i < o.requests; ++i) {
    const auto t0 = Clock::now();
    auto r = c.call(msg::code::CONFIG_GET_HOST_INFO);
    const auto t1 = Clock::now();
    if (!r.ok || r.error() != msg::Error::no_err) {
      w.failure = r.ok ? msg::to_string(r.error()) : r.failure;
      failed = true;
      return;
    }
    w.latencies_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  Options o;
  po::options_description desc("ndmp-ctl-bench: CONFIG_GET_HOST_INFO round trips against ndmpd");
  desc.add_options()("help,h", "print this help")
      ("host", po::value(&o.host), "server address (default 127.0.0.1)")
      ("port", po::value(&o.port), "server port (default 10000)")
      ("user", po::value(&o.user)->required(), "NDMP user (MD5 login)")
      ("password", po::value(&o.password)->required(), "password")
      ("connections", po::value(&o.connections), "concurrent control connections (default 1)")
      ("requests", po::value(&o.requests), "requests per connection (default 10000)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "ndmp-ctl-bench: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (o.connections < 1 || o.requests < 1) {
    std::cerr << "ndmp-ctl-bench: --connections and --requests must be at least 1\n";
    return 2;
  }

  std::vector<Worker> workers(static_cast<size_t>(o.connections));
  std::atomic<bool> failed{false};
  std::barrier ready(o.connections + 1);
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&] { run_worker(o, w, ready, failed); });
  ready.arrive_and_wait();
  const auto t0 = Clock::now();
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();

  std::vector<double> all;
  for (auto& w : workers) {
    if (!w.failure.empty()) {
      std::cerr << "ndmp-ctl-bench: " << w.failure << "\n";
      return 1;
    }
    all.insert(all.end(), w.latencies_us.begin(), w.latencies_us.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
  fmt::print("connections={} requests={} seconds={:.3f} rps={:.0f} p50_us={:.1f} p99_us={:.1f} max_us={:.1f}\n",
             o.connections, all.size(), secs, all.size() / secs, pct(0.50), pct(0.99), all.back());
  return 0;
}
