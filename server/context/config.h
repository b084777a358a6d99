// ndmpd's configuration: command line and /etc/ndmpd/ndmpd.conf, both read
// through Boost.Program_options (the file uses its INI syntax, "key = value",
// with [section] prefixes such as [cloudmanager]). The command line wins.
// man/ndmpd.conf.5 documents every key; keep the two in step.
#pragma once

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backup/restore_privileges.h"
#include "snapshot/policy.h"

namespace ndmp::server {

struct ListenAddress {
  std::string host;  // "" or "*" = every address (IPv6 dual-stack, IPv4 fallback)
  uint16_t port = 10000;
  bool operator==(const ListenAddress&) const = default;
};

// What a logged-in DMA may reach beyond devices and exports (issue 15):
// data-connection targets (server/context/connect_policy.h) and SCSI commands
// (server/context/cdb_policy.h).
struct Ipv4Net {
  uint32_t net = 0;  // host order
  uint8_t prefix = 32;
};
enum class ScsiPassthrough { safe, all };

struct Config {
  std::vector<ListenAddress> listen{{"*", 10000}};
  std::string password_file = "/etc/ndmpd/passwd";
  bool allow_auth_none = false;
  bool allow_auth_text = false;  // clear-text passwords: off unless asked for
  bool allow_auth_md5 = true;
  std::vector<std::string> exports;    // directories a DMA may back up or restore into
  std::string library_dir;             // emulated tape library; "" = <state_dir>/library, "none" = off
  unsigned library_drives = 2;         // shape of a library created at first start
  unsigned library_slots = 10;
  unsigned library_mailslots = 1;
  uint64_t library_tape_mib = 1024;
  std::string library_barcode_prefix = "NDM";  // tapes NDM001L6.. fill every slot
  bool discover_devices = false;       // also offer tape drives/changers found in sysfs
  std::string state_dir = "/var/lib/ndmpd";
  std::string log_level = "info";
  std::string log_file;                // "" = stderr
  uint32_t max_tape_record = 256 * 1024;  // largest TAPE_WRITE/mover record we accept
  uint32_t max_sessions = 1024;
  std::string config_file;             // where the file values came from ("" = none)
  // Prometheus metrics (ops/metrics/): off unless set; a bare port listens
  // on 127.0.0.1 only. Restart-only.
  std::optional<ListenAddress> metrics_listen;

  // What a restore may create beyond files, directories, links and FIFOs
  // (restore-privileges; backup/restore_privileges.h). Default: nothing.
  backup::RestorePrivileges restore_privileges;

  // Snapshots of exports for backups (issue 18; snapshot/policy.h): kind,
  // failure rule and the DMA's say, by default and per export. Reloadable.
  snapshot::Settings snapshots;

  // Data connections and SCSI pass-through (issue 15; see the types above).
  std::optional<std::vector<Ipv4Net>> data_connect_allow;  // nullopt = the default rule
  ScsiPassthrough scsi_passthrough = ScsiPassthrough::safe;
  std::map<std::string, ScsiPassthrough> scsi_passthrough_by_device;
  ScsiPassthrough passthrough_for(const std::string& device) const {
    auto it = scsi_passthrough_by_device.find(device);
    return it == scsi_passthrough_by_device.end() ? scsi_passthrough : it->second;
  }

  // Cloud Manager bridge ([cloudmanager] section, keys as in
  // ndmpd-cloudmanager(5)); address "" = off. server.cc turns these into a
  // cm::BridgeConfig.
  std::string cm_address;
  uint16_t cm_port = 0;
  std::string cm_uuid;                 // "" = a name-based UUID of the machine id (stable)
  std::string cm_name;                 // "" = the host name
  std::string cm_journal;              // "" = <state-dir>/cloudmanager.journal
  uint64_t cm_journal_max_bytes = 16u << 20;
  std::chrono::milliseconds cm_progress_interval{10'000};  // conf: seconds
  // warn, not refuse: a monitoring console being away must not stop backups
  // unless the operator asks for that.
  std::string cm_space_policy = "warn";
  std::chrono::milliseconds cm_space_timeout{5'000};
  std::chrono::milliseconds cm_reply_timeout{10'000};  // conf: milliseconds
  std::chrono::milliseconds cm_reconnect_min{500};
  std::chrono::milliseconds cm_reconnect_max{30'000};

  // --- Front door (issue 15): deadlines and caps before login, login brake.
  // Keys as in ndmpd.conf(5) "FRONT DOOR"; durations are seconds in the file
  // except the brake's, which are milliseconds.
  std::chrono::milliseconds login_timeout{30'000};   // login-timeout: accept to successful login
  std::chrono::milliseconds record_timeout{30'000};  // record-timeout: first to last byte of one record
  std::chrono::milliseconds idle_timeout{0};         // idle-timeout: logged in, no job, no request; 0 = off
  uint32_t max_unauthenticated = 256;                // max-unauthenticated: connections not logged in, in all
  uint32_t max_unauthenticated_per_source = 64;      // max-unauthenticated-per-source (IPv4 address, IPv6 /64)
  uint32_t login_brake_after = 3;                    // login-brake-after: failures before attempts wait
  std::chrono::milliseconds login_brake_step{1'000}; // login-brake-step: wait added per failure beyond that
  std::chrono::milliseconds login_brake_max{5'000};  // login-brake-max: longest wait
  uint32_t login_lockout_after = 20;                 // login-lockout-after: failures before refusing the source; 0 = never
  std::chrono::milliseconds login_lockout{600'000};  // login-lockout: how long a source is refused
  // Largest record before login: CONNECT_OPEN, CONNECT_CLIENT_AUTH (user and
  // password strings), CONFIG_GET_AUTH_ATTR and the like are far smaller.
  static constexpr size_t kPreLoginMaxRecord = 4096;
  // --- end of front door

  // Largest XDR record a DMA may send: the biggest TAPE_WRITE or EXECUTE_CDB
  // payload we advertise, plus room for the header and the rest of the body.
  size_t max_record_bytes() const { return size_t{max_tape_record} + 64 * 1024; }
};

enum class ParseOutcome { run, exit_ok, exit_error };

// Parses argv and the config file. On help/version prints to stdout and
// returns exit_ok; on a bad option or line prints one message naming it to
// `err` (stderr unless given: a reload sends it to the log) and returns
// exit_error.
ParseOutcome parse_config(int argc, const char* const argv[], Config& out, std::ostream& err = std::cerr);

// Parses "host:port", "[v6]:port", ":port", "*:port" or "port".
bool parse_listen_address(const std::string& text, ListenAddress& out);

}  // namespace ndmp::server
