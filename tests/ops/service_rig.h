// ndmpd as its main() wires it, for the in-process ops tests: the fault rig's
// server (emulated library behind controllable drives, tests/faults), a job
// observer, a metrics listener, and a configuration file a reload reads.
// Plus the scraper's side: one HTTP exchange, and a scrape checked against
// the text format's rules.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "ops/job_observer.h"
#include "ops/metrics/listener.h"
#include "ops/reload.h"
#include "tests/faults/fault_rig.h"
#include "tests/ops/exposition_check.h"

namespace ndmp::test {

struct Http {
  int status = 0;
  std::string head, body;
};

int connect_loopback(uint16_t port);
Http http(uint16_t port, const std::string& request);
// GET /metrics: a 200 with the format's content type and text that parses.
ParsedMetrics scrape(uint16_t port);
void write_file(const faults::fs::path& p, const std::string& text, mode_t mode = 0600);

struct Service {
  // `tune` (optional) changes the configuration at start, after the rig's.
  explicit Service(std::function<void(server::Config&)> tune = {});

  ops::JobObserver observer;
  faults::Rig rig;
  ops::metrics::Listener metrics;
  faults::fs::path dir = rig.server().dir();
  faults::fs::path conf = dir / "ndmpd.conf";

  // ndmpd.conf: the password file, the export, md5 and text, `extra`, and
  // the Cloud Manager's keys (by default none but a progress report per chunk).
  void write_conf(const std::string& extra,
                  const std::string& cloudmanager = "cloudmanager.progress_interval = 0\n");
  // SIGHUP's work, with the file above as --config.
  ops::ReloadOutcome reload();
  void drain() { rig.server().server().job_events()->drain(); }
  // "" when `user` logs in with `password` (MD5).
  std::string login_error(const std::string& user, const std::string& password);
};

}  // namespace ndmp::test
