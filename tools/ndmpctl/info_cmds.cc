// Server queries: info (CONFIG_GET_*) and devices.
#include <fmt/format.h>

#include <ostream>

#include "tools/ndmpctl/cmd_args.h"
#include "tools/ndmpctl/commands.h"
#include "tools/ndmpctl/json.h"

namespace ndmp::ctl {
namespace {

namespace code = msg::code;

const char* auth_name(msg::AuthType t) {
  switch (t) {
    case msg::AuthType::none: return "none";
    case msg::AuthType::text: return "text";
    case msg::AuthType::md5: return "md5";
  }
  return "unknown";
}

Outcome cmd_info(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("info", "Shows what the NDMP server is: host, software, NDMP version in use, authentication methods, "
                    "backup types with their default environment, file systems and devices (--server only).");
  if (auto o = a.parse(ctx, args)) return *o;
  auto c = ctx.target->control();
  if (!c.ok()) return c.outcome();
  auto& cl = *c.value();
  const std::string who = ctx.target->describe();
  auto host = ndmp_call(cl, code::CONFIG_GET_HOST_INFO, who);
  if (!host.ok()) return host.outcome();
  const auto& h = host->as<msg::ConfigGetHostInfoReply>();
  std::vector<msg::AuthType> auths = h.auth_types;
  std::string vendor, product, revision;
  std::vector<msg::ButypeInfo> butypes;
  std::vector<msg::FsInfo> fs;
  std::vector<std::pair<std::string, std::string>> devices;  // kind, name
  if (cl.version() >= 3) {
    auto srv = ndmp_call(cl, code::CONFIG_GET_SERVER_INFO, who);
    if (!srv.ok()) return srv.outcome();
    const auto& s = srv->as<msg::ConfigGetServerInfoReply>();
    vendor = s.vendor, product = s.product, revision = s.revision, auths = s.auth_types;
    // A server with no backup types or file systems to offer may answer
    // with an error; that is information, not a failure of `info`.
    auto bu = cl.call(code::CONFIG_GET_BUTYPE_INFO);
    if (bu.ok && bu.error() == msg::Error::no_err) butypes = bu.as<msg::ConfigGetButypeInfoReply>().butypes;
    auto f = cl.call(code::CONFIG_GET_FS_INFO);
    if (f.ok && f.error() == msg::Error::no_err) fs = f.as<msg::ConfigGetFsInfoReply>().fs;
    for (auto [cd, kind] : {std::pair{code::CONFIG_GET_SCSI_INFO, "changer"}, std::pair{code::CONFIG_GET_TAPE_INFO, "tape"}}) {
      auto d = cl.call(cd);
      if (!d.ok || d.error() != msg::Error::no_err) continue;
      const auto& list = cd == code::CONFIG_GET_TAPE_INFO ? d.as<msg::ConfigGetTapeInfoReply>().devices
                                                          : d.as<msg::ConfigGetScsiInfoReply>().devices;
      for (const auto& di : list)
        for (const auto& cap : di.caplist) devices.emplace_back(kind, cap.device);
    }
  }
  if (ctx.json) {
    JsonWriter j(ctx.out);
    j.begin_object().field("server", who).field("ndmp_version", cl.version());
    j.field("hostname", h.hostname).field("os_type", h.os_type).field("os_version", h.os_vers).field("hostid", h.hostid);
    if (cl.version() >= 3) j.field("vendor", vendor).field("product", product).field("revision", revision);
    j.key("auth").begin_array();
    for (auto t : auths) j.value(auth_name(t));
    j.end_array().key("butypes").begin_array();
    for (const auto& b : butypes) {
      j.begin_object().field("name", b.name).field("attrs", unsigned(b.attrs)).key("default_env").begin_object();
      for (const auto& pv : b.default_env) j.field(pv.name, pv.value);
      j.end_object().end_object();
    }
    j.end_array().key("filesystems").begin_array();
    for (const auto& f : fs)
      j.begin_object().field("path", f.logical_device).field("type", f.fs_type).field("total_bytes", f.total_size)
          .field("used_bytes", f.used_size).field("available_bytes", f.avail_size).end_object();
    j.end_array().key("devices").begin_array();
    for (const auto& [kind, name] : devices) j.begin_object().field("kind", kind).field("name", name).end_object();
    j.end_array().end_object();
    return {};
  }
  auto& o = ctx.out;
  o << fmt::format("Server:         {} (NDMP version {})\n", who, cl.version());
  o << fmt::format("Host:           {} ({} {}), host id {}\n", h.hostname, h.os_type, h.os_vers, h.hostid);
  if (cl.version() >= 3) o << fmt::format("Software:       {} {} {}\n", vendor, product, revision);
  std::string a_list;
  for (auto t : auths) a_list += (a_list.empty() ? "" : ", ") + std::string(auth_name(t));
  o << fmt::format("Authentication: {}\n", a_list.empty() ? "-" : a_list);
  if (cl.version() < 3) {
    o << "(NDMP v2 has no backup type, file system or device lists)\n";
    return {};
  }
  o << "Backup types:\n";
  if (butypes.empty()) o << "  (none)\n";
  for (const auto& b : butypes) {
    std::string env;
    for (const auto& pv : b.default_env) env += fmt::format(" {}={}", pv.name, pv.value);
    o << fmt::format("  {} (attributes 0x{:04x}){}\n", b.name, b.attrs, env.empty() ? "" : ", defaults:" + env);
  }
  o << "File systems:\n";
  if (fs.empty()) o << "  (none)\n";
  for (const auto& f : fs)
    o << fmt::format("  {} ({}) {} bytes, {} used, {} available\n", f.logical_device, f.fs_type, f.total_size,
                     f.used_size, f.avail_size);
  o << "Devices:\n";
  if (devices.empty()) o << "  (none)\n";
  for (const auto& [kind, name] : devices) o << fmt::format("  {:<8} {}\n", kind, name);
  return {};
}

Outcome cmd_devices(Context& ctx, const std::vector<std::string>& args) {
  SubArgs a("devices", "Lists the tape drives and changers the target offers, with model and serial number.");
  if (auto o = a.parse(ctx, args)) return *o;
  auto rows = ctx.target->devices();
  if (!rows.ok()) return rows.outcome();
  if (ctx.json) {
    JsonWriter j(ctx.out);
    j.begin_array();
    for (const auto& r : rows.value()) {
      j.begin_object().field("name", r.name).field("kind", r.kind).field("model", r.model).field("serial", r.serial);
      if (!r.path.empty()) j.field("path", r.path);
      j.end_object();
    }
    j.end_array();
    return {};
  }
  ctx.out << fmt::format("{:<16} {:<8} {:<28} {:<20} {}\n", "NAME", "KIND", "MODEL", "SERIAL", "PATH");
  for (const auto& r : rows.value())
    ctx.out << fmt::format("{:<16} {:<8} {:<28} {:<20} {}\n", r.name, r.kind, r.model, r.serial.empty() ? "-" : r.serial,
                           r.path.empty() ? "-" : r.path);
  return {};
}

const Command kInfo[] = {
    {"info", "what the NDMP server is and offers (--server)", cmd_info},
    {"devices", "list tape drives and changers", cmd_devices},
};

}  // namespace

std::span<const Command> info_commands() { return kInfo; }

}  // namespace ndmp::ctl
