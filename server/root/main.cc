// ndmpd: the NDMP tape and data server. Reads the configuration, builds the
// server through the composition root and serves until SIGINT or SIGTERM;
// SIGHUP reloads what may change without a restart (ops/reload.h). Under
// systemd it reports readiness and a status line (ops/sd_notify.h).
#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <thread>

#include "common/log.h"
#include "ops/job_observer.h"
#include "ops/metrics/collect.h"
#include "ops/metrics/listener.h"
#include "ops/reload.h"
#include "ops/sd_notify.h"
#include "ops/service_status.h"
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
  sigaddset(&sigs, SIGHUP);
  sigaddset(&sigs, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  // Declared before the server, which delivers the last job events to the
  // observer when it is destroyed.
  ndmp::ops::SdNotify notify;
  const ndmp::ops::JobObserver* jobs_seen = nullptr;
  const ndmp::server::ServerContext* ctx_seen = nullptr;
  ndmp::ops::ServiceStatus status(notify, [&] {
    return fmt::format("{} session(s), {} job(s) running", ctx_seen->live_sessions.load(),
                       jobs_seen->snapshot().running.size());
  });
  ndmp::ops::JobObserver observer([&status] { status.poke(); });
  ndmp::server::Server server(config);
  jobs_seen = &observer;
  ctx_seen = &server.context();
  server.observe_jobs(observer);
  if (std::string err = server.start(); !err.empty()) {
    ndmp::log::error("cannot start: {}", err);
    notify.send("STATUS=cannot start: " + err);
    return 1;
  }
  ndmp::ops::metrics::Listener metrics([&server, &observer] {
    return ndmp::ops::metrics::render({&server.context(), &observer, server.bridge()});
  });
  if (config.metrics_listen) {
    if (std::string err = metrics.start(*config.metrics_listen); !err.empty()) {
      ndmp::log::error("cannot start: {}", err);
      notify.send("STATUS=cannot start: " + err);
      return 1;
    }
  }
  ndmp::log::info("ndmpd {} ready{}", NDMPD_VERSION,
                  config.config_file.empty() ? std::string() : " (configuration " + config.config_file + ")");
  notify.send("READY=1");
  status.start();
  std::thread([&server, &notify, &status, sigs, argc, argv] {
    for (;;) {
      int sig = 0;
      sigwait(&sigs, &sig);
      if (sig == SIGPIPE) continue;
      if (sig == SIGHUP) {
        ndmp::log::info("signal SIGHUP received; reloading the configuration");
        notify.send("RELOADING=1");
        const auto outcome = ndmp::ops::reload(server, argc, argv);
        notify.send(outcome.applied ? "READY=1" : "READY=1\nSTATUS=reload refused: " + outcome.error);
        if (outcome.applied) status.poke();
        continue;
      }
      ndmp::log::info("signal {} received; stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      notify.send("STOPPING=1");
      server.stop();
      return;
    }
  }).detach();
  server.serve();
  metrics.stop();
  status.stop();
  ndmp::log::info("ndmpd stopped");
  return 0;
}
