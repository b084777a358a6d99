#include "ops/metrics/collect.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cloudmanager/bridge.h"
#include "ops/metrics/exposition.h"

namespace ndmp::ops::metrics {
namespace {

void process_figures(Exposition& x) {
  // /proc/self/stat fields 22-24: start time (ticks since boot), vsize (bytes), rss (pages).
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close != std::string::npos) {
    std::istringstream f(text.substr(close + 2));
    std::string v;
    unsigned long long start = 0, vsize = 0, rss = 0;
    for (int field = 3; field <= 24 && (f >> v); ++field) {
      if (field == 22) start = std::stoull(v);
      if (field == 23) vsize = std::stoull(v);
      if (field == 24) rss = std::stoull(v);
    }
    x.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    x.sample(static_cast<double>(rss) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
    x.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    x.sample(static_cast<double>(vsize));
    double boot = 0;
    std::ifstream stat("/proc/stat");
    for (std::string line; std::getline(stat, line);)
      if (line.rfind("btime ", 0) == 0) boot = std::stod(line.substr(6));
    if (boot > 0) {
      x.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
      x.sample(boot + static_cast<double>(start) / static_cast<double>(::sysconf(_SC_CLK_TCK)));
    }
  }
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++fds;
  x.family("process_open_fds", "gauge", "Number of open file descriptors.");
  x.sample(static_cast<double>(fds));
}

// Every listed device, opened or not, so each series exists from the start;
// plus any device that was opened and is no longer listed (sysfs changed).
void device_figures(Exposition& x, const server::ServerContext& ctx) {
  auto figures = ctx.device_stats.snapshot();
  if (ctx.inventory)
    for (const auto& d : ctx.inventory->devices())
      if (!figures.count(d.name)) figures[d.name].kind = d.kind;
  x.family("ndmpd_tape_records_total", "counter", "Tape records written or read, by drive.");
  for (const auto& [name, f] : figures) {
    if (f.kind != dev::DeviceKind::tape) continue;
    x.sample({{"device", name}, {"direction", "written"}}, static_cast<double>(f.records_written));
    x.sample({{"device", name}, {"direction", "read"}}, static_cast<double>(f.records_read));
  }
  x.family("ndmpd_tape_bytes_total", "counter", "Bytes in the tape records written or read, by drive.");
  for (const auto& [name, f] : figures) {
    if (f.kind != dev::DeviceKind::tape) continue;
    x.sample({{"device", name}, {"direction", "written"}}, static_cast<double>(f.bytes_written));
    x.sample({{"device", name}, {"direction", "read"}}, static_cast<double>(f.bytes_read));
  }
  x.family("ndmpd_device_errors_total", "counter", "Device commands that failed, by device and kind (kinds seen so far).");
  for (const auto& [name, f] : figures)
    for (const auto& [kind, n] : f.errors) x.sample({{"device", name}, {"kind", dev::to_string(kind)}}, static_cast<double>(n));
  x.family("ndmpd_device_state", "gauge", "1 for the state each device is in: closed, open, loaded (a tape drive with a cartridge ready) or fault.");
  for (const auto& [name, f] : figures)
    for (auto c : dev::kAllConditions)
      x.sample({{"device", name}, {"state", dev::to_string(c)}}, f.condition == c ? 1 : 0);
}

}  // namespace

std::string render(const Sources& s) {
  Exposition x;
  x.family("ndmpd_build_info", "gauge", "ndmpd version; always 1.");
  x.sample({{"version", NDMPD_VERSION}}, 1);

  const auto door = s.ctx->front_door.counts();
  x.family("ndmpd_sessions", "gauge", "DMA connections by state.");
  x.sample({{"state", "unauthenticated"}}, door.unauthenticated);
  x.sample({{"state", "logged_in"}}, door.sessions);
  x.family("ndmpd_logins_total", "counter", "Logins with a password or digest checked, by outcome.");
  x.sample({{"outcome", "success"}}, static_cast<double>(s.ctx->logins_succeeded.load()));
  x.sample({{"outcome", "failure"}}, static_cast<double>(s.ctx->logins_failed.load()));

  const JobTotals t = s.jobs->snapshot();
  const char* kinds[] = {"backup", "restore"};
  auto of = [](const std::map<std::string, uint64_t>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? 0.0 : static_cast<double>(it->second);
  };
  x.family("ndmpd_jobs_started_total", "counter", "Backup and restore jobs started.");
  for (const char* k : kinds) x.sample({{"type", k}}, of(t.started, k));
  x.family("ndmpd_jobs_finished_total", "counter", "Jobs ended, by type and DATA halt reason.");
  for (const auto& [key, n] : t.finished) x.sample({{"type", key.first}, {"outcome", key.second}}, static_cast<double>(n));
  x.family("ndmpd_jobs_running", "gauge", "Jobs running now.");
  for (const char* k : kinds) {
    double n = 0;
    for (const auto& [id, r] : t.running) n += r.kind == k;
    x.sample({{"type", k}}, n);
  }
  x.family("ndmpd_job_bytes_total", "counter", "Bytes backed up or restored, running jobs included.");
  for (const char* k : kinds) x.sample({{"type", k}}, of(t.bytes, k));
  x.family("ndmpd_job_files_total", "counter", "Files backed up or restored, running jobs included.");
  for (const char* k : kinds) x.sample({{"type", k}}, of(t.files, k));
  x.family("ndmpd_job_throughput_bytes_per_second", "gauge", "Throughput of each running job at its last progress report.");
  for (const auto& [id, r] : t.running) x.sample({{"job_id", id}, {"type", r.kind}}, static_cast<double>(r.rate));

  device_figures(x, *s.ctx);

  if (s.bridge) {
    const auto b = s.bridge->stats();
    x.family("ndmpd_cloudmanager_connected", "gauge", "1 while the Cloud Manager connection is up.");
    x.sample(b.connected ? 1 : 0);
    x.family("ndmpd_cloudmanager_journal_backlog_events", "gauge", "Job events journalled and not yet acknowledged.");
    x.sample(static_cast<double>(b.pending));
    x.family("ndmpd_cloudmanager_delivered_events_total", "counter", "Job events the Cloud Manager acknowledged.");
    x.sample(static_cast<double>(b.delivered));
  }
  process_figures(x);
  return x.text();
}

}  // namespace ndmp::ops::metrics
