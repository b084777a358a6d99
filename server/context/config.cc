#include "server/context/config.h"

#include <boost/program_options.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "fmt/format.h"
#include "server/context/connect_policy.h"

namespace po = boost::program_options;

namespace ndmp::server {
namespace {

bool parse_port(const std::string& s, uint16_t& port) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long v = std::stoul(s);
  if (v > 65535) return false;  // 0 = any free port (tests)
  port = static_cast<uint16_t>(v);
  return true;
}

bool parse_auth_list(const std::string& text, Config& c) {
  c.allow_auth_none = c.allow_auth_text = c.allow_auth_md5 = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item == "none") c.allow_auth_none = true;
    else if (item == "text") c.allow_auth_text = true;
    else if (item == "md5") c.allow_auth_md5 = true;
    else return false;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return c.allow_auth_none || c.allow_auth_text || c.allow_auth_md5;
}

// data-connect-allow: CIDRs separated by commas or blanks, over one or more
// lines; "any" = 0.0.0.0/0, "none" = no TCP data connection at all.
bool parse_connect_allow(const std::vector<std::string>& lines, Config& c, std::string& bad) {
  std::vector<Ipv4Net> nets;
  for (std::string line : lines) {
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream words(line);
    for (std::string w; words >> w;) {
      Ipv4Net n;
      if (w == "none") continue;
      if (w == "any") n = Ipv4Net{0, 0};
      else if (!parse_ipv4_net(w, n)) return bad = w, false;
      nets.push_back(n);
    }
  }
  c.data_connect_allow = std::move(nets);
  return true;
}

// scsi-passthrough: "safe" or "all" for every device, "NAME=safe|all" for
// one; repeatable, the last word for a device wins.
bool parse_passthrough(const std::vector<std::string>& items, Config& c, std::string& bad) {
  auto mode_of = [](const std::string& t, ScsiPassthrough& m) {
    if (t == "safe") m = ScsiPassthrough::safe;
    else if (t == "all") m = ScsiPassthrough::all;
    else return false;
    return true;
  };
  for (const auto& item : items) {
    const auto eq = item.find('=');
    ScsiPassthrough m{};
    if (eq == std::string::npos) {
      if (!mode_of(item, c.scsi_passthrough)) return bad = item, false;
    } else if (eq == 0 || !mode_of(item.substr(eq + 1), m)) {
      return bad = item, false;
    } else {
      c.scsi_passthrough_by_device[item.substr(0, eq)] = m;
    }
  }
  return true;
}

// The snapshot keys, checked against the exports: a policy for a path that
// is not an export is a typo that would silently leave an export without
// its snapshot.
bool parse_snapshots(const std::vector<std::string>& kind, const std::vector<std::string>& failure,
                     const std::vector<std::string>& request, unsigned timeout_s, Config& c, std::string& why) {
  std::string bad;
  c.snapshots.timeout = std::chrono::seconds(timeout_s);
  if (!snapshot::parse_settings(kind, failure, request, c.snapshots, bad)) {
    why = fmt::format("bad snapshot setting '{}' (expected none, btrfs, lvm or command:/PATH; halt or live; "
                      "fixed, opt-out or opt-in; each optionally as EXPORT=VALUE)", bad);
    return false;
  }
  for (const auto& [path, policy] : c.snapshots.by_export) {
    const bool known = std::any_of(c.exports.begin(), c.exports.end(), [&](std::string e) {
      while (e.size() > 1 && e.back() == '/') e.pop_back();
      return e == path;
    });
    if (!known) {
      why = fmt::format("snapshot setting for {}, which is not an export", path);
      return false;
    }
  }
  if (timeout_s == 0) {
    why = "snapshot-timeout must be at least 1 second";
    return false;
  }
  if (!snapshot::valid_lvm_size(c.snapshots.lvm_size)) {
    why = fmt::format("bad snapshot-lvm-size '{}' (expected a size like 2G or 10%ORIGIN)", c.snapshots.lvm_size);
    return false;
  }
  return true;
}

}  // namespace

bool parse_listen_address(const std::string& text, ListenAddress& out) {
  ListenAddress a;
  if (text.empty()) return false;
  if (text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return false;
    a.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':' || !parse_port(text.substr(close + 2), a.port)) return false;
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    if (text.find(':') != colon) {  // bare IPv6 without brackets: no port
      a.host = text;
    } else {
      a.host = text.substr(0, colon);
      if (!parse_port(text.substr(colon + 1), a.port)) return false;
    }
  } else if (text.find_first_not_of("0123456789") == std::string::npos) {
    a.host = "*";
    if (!parse_port(text, a.port)) return false;
  } else {
    a.host = text;
  }
  if (a.host.empty()) a.host = "*";
  out = a;
  return true;
}

ParseOutcome parse_config(int argc, const char* const argv[], Config& c, std::ostream& err) {
  std::string auth = "md5";
  std::vector<std::string> listen;
  std::string metrics_listen;
  std::vector<std::string> connect_allow, passthrough;
  std::string config_file = "/etc/ndmpd/ndmpd.conf";

  po::options_description general("General");
  general.add_options()
      ("help,h", "print this help and exit")
      ("version,V", "print the version and exit")
      ("config,c", po::value(&config_file), "configuration file (default /etc/ndmpd/ndmpd.conf; missing default is fine)")
      ("check", "check the configuration, print a summary and exit");

  po::options_description server("Server (also valid in the configuration file)");
  server.add_options()
      ("listen", po::value(&listen)->composing(), "address to listen on, host:port, [v6]:port or port (repeatable; default *:10000)")
      ("password-file", po::value(&c.password_file), "file of user:password lines, mode 0600 (default /etc/ndmpd/passwd)")
      ("auth", po::value(&auth), "allowed DMA authentication: comma list of md5, text, none (default md5)")
      ("export", po::value(&c.exports)->composing(), "directory a DMA may back up or restore into (repeatable)")
      ("library", po::value(&c.library_dir), "emulated tape library directory (default <state-dir>/library; none = no emulated library)")
      ("library-drives", po::value(&c.library_drives), "drives of a library created at first start (default 2)")
      ("library-slots", po::value(&c.library_slots), "storage slots of a new library, all filled with tapes (default 10)")
      ("library-mailslots", po::value(&c.library_mailslots), "import/export slots of a new library (default 1)")
      ("library-tape-size", po::value(&c.library_tape_mib), "capacity of each new emulated tape in MiB (default 1024)")
      ("library-barcode-prefix", po::value(&c.library_barcode_prefix), "barcode prefix of new tapes (default NDM)")
      ("discover-devices", po::value(&c.discover_devices), "also offer tape drives and changers found in sysfs (true/false)")
      ("state-dir", po::value(&c.state_dir), "directory for dump dates and journals (default /var/lib/ndmpd)")
      ("log-level", po::value(&c.log_level), "debug, info, warning or error (default info)")
      ("log-file", po::value(&c.log_file), "append the log to this file instead of stderr")
      ("max-tape-record", po::value(&c.max_tape_record), "largest tape record in bytes (default 262144)")
      ("max-sessions", po::value(&c.max_sessions), "most concurrent DMA connections (default 1024)")
      ("metrics-listen", po::value(&metrics_listen), "serve Prometheus metrics on host:port, or port on 127.0.0.1 (default off)");

  // What a logged-in DMA may reach beyond devices and exports (issue 15).
  server.add_options()
      ("data-connect-allow", po::value(&connect_allow)->composing(), "networks MOVER_CONNECT/DATA_CONNECT may reach, CIDR list, any or none (default: any but this host's own addresses unless the DMA is on loopback; never ports below 1024)")
      ("scsi-passthrough", po::value(&passthrough)->composing(), "SCSI commands a DMA may send: safe or all, or DEVICE=safe|all (repeatable; default safe)");

  // Durations are whole seconds or milliseconds in the file, as named in
  // ndmpd-cloudmanager(5); the Config keeps them as chrono values.
  unsigned cm_progress_s = static_cast<unsigned>(c.cm_progress_interval.count() / 1000);
  unsigned cm_space_ms = static_cast<unsigned>(c.cm_space_timeout.count());
  unsigned cm_reply_ms = static_cast<unsigned>(c.cm_reply_timeout.count());
  unsigned cm_reconnect_min_ms = static_cast<unsigned>(c.cm_reconnect_min.count());
  unsigned cm_reconnect_max_ms = static_cast<unsigned>(c.cm_reconnect_max.count());
  po::options_description cm("Cloud Manager ([cloudmanager] section in the file; see ndmpd-cloudmanager(5))");
  cm.add_options()
      ("cloudmanager.address", po::value(&c.cm_address), "Cloud Manager host name or IP (empty = bridge off)")
      ("cloudmanager.port", po::value(&c.cm_port), "Cloud Manager port (required with an address)")
      ("cloudmanager.uuid", po::value(&c.cm_uuid), "this server's streamer_uuid (default: derived from the machine id)")
      ("cloudmanager.name", po::value(&c.cm_name), "name shown by the console (default: the host name)")
      ("cloudmanager.journal", po::value(&c.cm_journal), "journal of unsent events (default <state-dir>/cloudmanager.journal)")
      ("cloudmanager.journal_max_bytes", po::value(&c.cm_journal_max_bytes), "size bound of unsent events (default 16777216)")
      ("cloudmanager.progress_interval", po::value(&cm_progress_s), "seconds between progress reports of a job (default 10)")
      ("cloudmanager.space_policy", po::value(&c.cm_space_policy), "not enough space or no answer: refuse, warn or skip (default warn)")
      ("cloudmanager.space_timeout", po::value(&cm_space_ms), "milliseconds to wait for the space answer (default 5000)")
      ("cloudmanager.reply_timeout", po::value(&cm_reply_ms), "milliseconds to connect, and to wait for the reply to a report (default 10000)")
      ("cloudmanager.reconnect_min", po::value(&cm_reconnect_min_ms), "first reconnect pause in milliseconds (default 500)")
      ("cloudmanager.reconnect_max", po::value(&cm_reconnect_max_ms), "longest reconnect pause in milliseconds (default 30000)");

  // Restore privileges (issue 15): what a restore from a tape may create.
  std::string restore_privileges;
  po::options_description restore("Restore");
  restore.add_options()
      ("restore-privileges", po::value(&restore_privileges),
       "what a restore may also create: comma list of devices, setid, trusted-xattrs, security-xattrs, flags; "
       "all or none (default none)");


  // Snapshots (issue 18): the keys take VALUE or EXPORT=VALUE (snapshot/policy.h).
  std::vector<std::string> snap_kind, snap_failure, snap_request;
  unsigned snap_timeout_s = static_cast<unsigned>(c.snapshots.timeout.count());
  po::options_description snap("Snapshots of exports for backups (see ndmpd.conf(5), SNAPSHOTS)");
  snap.add_options()
      ("snapshot", po::value(&snap_kind)->composing(), "none, btrfs, lvm or command:/PATH; or EXPORT=KIND for one export (repeatable; default none)")
      ("snapshot-failure", po::value(&snap_failure)->composing(), "when no snapshot can be made: halt or live; or EXPORT=halt|live (default halt)")
      ("snapshot-request", po::value(&snap_request)->composing(), "what the DMA's SNAPSHOT=y|n may change: fixed, opt-out or opt-in; or EXPORT=... (default fixed)")
      ("snapshot-timeout", po::value(&snap_timeout_s), "seconds each snapshot tool or script may run (default 120)")
      ("snapshot-lvm-size", po::value(&c.snapshots.lvm_size), "copy-on-write space of a classic LVM snapshot, as lvcreate -l/-L takes it (default 10%ORIGIN)");

  // --- Front door (issue 15): login deadline, record deadline, idle limit,
  // caps before login, login brake. Seconds in the file (brake: milliseconds).
  unsigned fd_login_s = static_cast<unsigned>(c.login_timeout.count() / 1000);
  unsigned fd_record_s = static_cast<unsigned>(c.record_timeout.count() / 1000);
  unsigned fd_idle_s = static_cast<unsigned>(c.idle_timeout.count() / 1000);
  unsigned fd_step_ms = static_cast<unsigned>(c.login_brake_step.count());
  unsigned fd_max_ms = static_cast<unsigned>(c.login_brake_max.count());
  unsigned fd_lockout_s = static_cast<unsigned>(c.login_lockout.count() / 1000);
  po::options_description front("Front door: before and around login (also valid in the configuration file)");
  front.add_options()
      ("login-timeout", po::value(&fd_login_s), "seconds a connection has to log in (default 30)")
      ("record-timeout", po::value(&fd_record_s), "seconds a message has to arrive whole once begun (default 30)")
      ("idle-timeout", po::value(&fd_idle_s), "seconds a logged-in session without job or request is kept; 0 = forever (default 0)")
      ("max-unauthenticated", po::value(&c.max_unauthenticated), "most connections not yet logged in (default 256)")
      ("max-unauthenticated-per-source", po::value(&c.max_unauthenticated_per_source), "most connections not yet logged in from one IPv4 address or IPv6 /64 (default 64)")
      ("login-brake-after", po::value(&c.login_brake_after), "failed logins from one source before its attempts wait (default 3)")
      ("login-brake-step", po::value(&fd_step_ms), "milliseconds of wait added per further failure (default 1000)")
      ("login-brake-max", po::value(&fd_max_ms), "longest wait of one attempt in milliseconds (default 5000)")
      ("login-lockout-after", po::value(&c.login_lockout_after), "failed logins from one source before it is refused; 0 = never (default 20)")
      ("login-lockout", po::value(&fd_lockout_s), "seconds a source is refused after that (default 600)");
  // --- end of front door

  po::options_description cli;
  cli.add(general).add(server).add(restore).add(snap).add(front).add(cm);
  po::options_description file_opts;
  file_opts.add(server).add(restore).add(snap).add(front).add(cm);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(cli).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: ndmpd [options]\nNDMP v2/v3/v4 tape and data server.\n\n" << cli << "\n";
      return ParseOutcome::exit_ok;
    }
    if (vm.count("version")) {
      std::cout << "ndmpd " << NDMPD_VERSION << "\n";
      return ParseOutcome::exit_ok;
    }
    const bool explicit_file = vm.count("config") > 0;
    if (explicit_file) config_file = vm["config"].as<std::string>();
    std::ifstream in(config_file);
    if (in) {
      c.config_file = config_file;
      po::store(po::parse_config_file(in, file_opts, false), vm);
    } else if (explicit_file) {
      err << "ndmpd: cannot read configuration file " << config_file << "\n";
      return ParseOutcome::exit_error;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    err << "ndmpd: " << (c.config_file.empty() ? "" : c.config_file + ": ") << e.what() << "\n";
    return ParseOutcome::exit_error;
  }

  if (!listen.empty()) {
    c.listen.clear();
    for (const auto& l : listen) {
      ListenAddress a;
      if (!parse_listen_address(l, a)) {
        err << "ndmpd: bad listen address '" << l << "' (expected host:port, [v6]:port or port)\n";
        return ParseOutcome::exit_error;
      }
      c.listen.push_back(a);
    }
  }
  if (!metrics_listen.empty()) {
    ListenAddress a;
    const bool bare_port = metrics_listen.find_first_not_of("0123456789") == std::string::npos;
    if (!parse_listen_address(metrics_listen, a)) {
      err << "ndmpd: bad metrics-listen '" << metrics_listen << "' (expected host:port or port)\n";
      return ParseOutcome::exit_error;
    }
    if (bare_port) a.host = "127.0.0.1";  // loopback unless the administrator names an address
    c.metrics_listen = a;
  }
  std::string bad;
  if (!connect_allow.empty() && !parse_connect_allow(connect_allow, c, bad)) {
    err << "ndmpd: bad data-connect-allow entry '" << bad << "' (expected a.b.c.d/len, any or none)\n";
    return ParseOutcome::exit_error;
  }
  if (!parse_passthrough(passthrough, c, bad)) {
    err << "ndmpd: bad scsi-passthrough '" << bad << "' (expected safe, all or DEVICE=safe|all)\n";
    return ParseOutcome::exit_error;
  }
  if (!parse_auth_list(auth, c)) {
    err << "ndmpd: bad auth list '" << auth << "' (expected a comma list of md5, text, none)\n";
    return ParseOutcome::exit_error;
  }
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" && c.log_level != "error") {
    err << "ndmpd: bad log-level '" << c.log_level << "' (expected debug, info, warning or error)\n";
    return ParseOutcome::exit_error;
  }
  if (c.max_tape_record < 512 || c.max_tape_record > 8 * 1024 * 1024) {
    err << "ndmpd: max-tape-record must be between 512 and 8388608 bytes\n";
    return ParseOutcome::exit_error;
  }
  if (std::string why; !backup::parse_restore_privileges(restore_privileges, c.restore_privileges, why)) {
    err << "ndmpd: restore-privileges: " << why << "\n";
    return ParseOutcome::exit_error;
  }
  if (std::string why; !parse_snapshots(snap_kind, snap_failure, snap_request, snap_timeout_s, c, why)) {
    err << "ndmpd: " << why << "\n";
    return ParseOutcome::exit_error;
  }
  // --- Front door
  c.login_timeout = std::chrono::seconds(fd_login_s);
  c.record_timeout = std::chrono::seconds(fd_record_s);
  c.idle_timeout = std::chrono::seconds(fd_idle_s);
  c.login_brake_step = std::chrono::milliseconds(fd_step_ms);
  c.login_brake_max = std::chrono::milliseconds(fd_max_ms);
  c.login_lockout = std::chrono::seconds(fd_lockout_s);
  if (fd_login_s == 0 || fd_record_s == 0) {
    err << "ndmpd: login-timeout and record-timeout must be at least 1 second\n";
    return ParseOutcome::exit_error;
  }
  if (c.max_unauthenticated == 0 || c.max_unauthenticated_per_source == 0 ||
      c.max_unauthenticated_per_source > c.max_unauthenticated) {
    err << "ndmpd: need 0 < max-unauthenticated-per-source <= max-unauthenticated\n";
    return ParseOutcome::exit_error;
  }
  if (c.login_brake_max < c.login_brake_step || (c.login_lockout_after != 0 && c.login_lockout_after <= c.login_brake_after)) {
    err << "ndmpd: need login-brake-step <= login-brake-max and login-brake-after < login-lockout-after\n";
    return ParseOutcome::exit_error;
  }
  // --- end of front door
  c.cm_progress_interval = std::chrono::seconds(cm_progress_s);
  c.cm_space_timeout = std::chrono::milliseconds(cm_space_ms);
  c.cm_reply_timeout = std::chrono::milliseconds(cm_reply_ms);
  c.cm_reconnect_min = std::chrono::milliseconds(cm_reconnect_min_ms);
  c.cm_reconnect_max = std::chrono::milliseconds(cm_reconnect_max_ms);
  if (c.cm_space_policy != "refuse" && c.cm_space_policy != "warn" && c.cm_space_policy != "skip") {
    err << "ndmpd: bad cloudmanager.space_policy '" << c.cm_space_policy << "' (expected refuse, warn or skip)\n";
    return ParseOutcome::exit_error;
  }
  if (!c.cm_address.empty()) {
    if (c.cm_port == 0) {
      err << "ndmpd: cloudmanager.address is set but cloudmanager.port is not\n";
      return ParseOutcome::exit_error;
    }
    if (cm_progress_s == 0 || cm_space_ms == 0 || cm_reply_ms == 0) {
      err << "ndmpd: cloudmanager.progress_interval, cloudmanager.space_timeout and cloudmanager.reply_timeout "
                   "must be above 0\n";
      return ParseOutcome::exit_error;
    }
    if (cm_reconnect_min_ms == 0 || cm_reconnect_max_ms < cm_reconnect_min_ms) {
      err << "ndmpd: need 0 < cloudmanager.reconnect_min <= cloudmanager.reconnect_max\n";
      return ParseOutcome::exit_error;
    }
  }
  if (vm.count("check")) {
    std::cout << fmt::format("configuration OK: {} listen address(es), {} export(s), library {}, "
                             "restore privileges {}\n",
                             c.listen.size(), c.exports.size(), c.library_dir.empty() ? "none" : c.library_dir,
                             backup::to_string(c.restore_privileges));
    return ParseOutcome::exit_ok;
  }
  return ParseOutcome::run;
}

}  // namespace ndmp::server
