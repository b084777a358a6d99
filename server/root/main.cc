// ndmpd: the NDMP tape and data server. Reads the configuration, builds the
// server through the composition root and serves until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <thread>

#include "common/log.h"
#include "server/root/server.h"

int main(int argc, char** argv) {
  ndmp::server::Config config;
  switch (ndmp::server::parse_config(argc, argv, config)) {
    case ndmp::server::ParseOutcome::exit_ok: return 0;
    case ndmp::server::ParseOutcome::exit_error: return 2;
    case ndmp::server::ParseOutcome::run: break;
  }
  ndmp::log::set_program("ndmpd");
  ndmp::log::Level level{};
  ndmp::log::parse_level(config.log_level, level);
  ndmp::log::set_level(level);
  if (!config.log_file.empty() && !ndmp::log::set_file(config.log_file)) {
    std::fprintf(stderr, "ndmpd: cannot open log file %s\n", config.log_file.c_str());
    return 2;
  }

  // Signals are taken by one thread with sigwait, so no handler runs in the
  // middle of a session's work.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  ndmp::server::Server server(config);
  if (std::string err = server.start(); !err.empty()) {
    ndmp::log::error("cannot start: {}", err);
    return 1;
  }
  ndmp::log::info("ndmpd {} ready{}", NDMPD_VERSION,
                  config.config_file.empty() ? std::string() : " (configuration " + config.config_file + ")");
  std::thread([&server, sigs] {
    for (;;) {
      int sig = 0;
      sigwait(&sigs, &sig);
      if (sig == SIGPIPE) continue;
      ndmp::log::info("signal {} received; stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      server.stop();
      return;
    }
  }).detach();
  server.serve();
  ndmp::log::info("ndmpd stopped");
  return 0;
}
