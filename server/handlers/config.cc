// CONFIG interface (0x100–0x10A): what the server is, offers and holds.
#include <sys/statvfs.h>

#include <fstream>
#include <map>
#include <sstream>

#include "common/log.h"
#include "server/context/context.h"
#include "server/handlers/tables.h"
#include "server/session/session.h"

namespace ndmp::server {
namespace {

using msg::Error;

std::vector<msg::AuthType> offered_auth(const Config& c) {
  std::vector<msg::AuthType> v;
  if (c.allow_auth_md5) v.push_back(msg::AuthType::md5);
  if (c.allow_auth_text) v.push_back(msg::AuthType::text);
  if (c.allow_auth_none) v.push_back(msg::AuthType::none);
  return v;
}

Reply host_info(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::ConfigGetHostInfoReply>();
  const auto& h = s.ctx().host;
  r->hostname = h.hostname;
  r->os_type = h.os_type;
  r->os_vers = h.os_vers;
  r->hostid = h.hostid;
  r->auth_types = offered_auth(s.ctx().settings()->config);  // v2 carries the list here
  return Reply::of(std::move(r));
}

// The one backup format: POSIX pax through libarchive (backup/).
constexpr const char* kButype = "tar";

// v3/v4 butype attributes (positive sense; facts 5.10). 0x0200 differs by version.
constexpr uint32_t kAttrV3 = 0x0001 /*BACKUP_FILE_HISTORY*/ | 0x0004 /*RECOVER_FILELIST*/ | 0x0008 /*BACKUP_DIRECT*/ |
                             0x0010 /*RECOVER_DIRECT*/ | 0x0020 /*BACKUP_INCREMENTAL*/ | 0x0080 /*BACKUP_UTF8*/ |
                             0x0100 /*RECOVER_UTF8*/;
// v3 has one bit for either history style; v4 names them: FH_ADD_FILE
// (HIST=y or f) and FH_ADD_DIR/FH_ADD_NODE (HIST=d; server/jobs/fh_batches.h).
constexpr uint32_t kAttrV4 = 0x0004 | 0x0008 | 0x0010 | 0x0020 | 0x0080 | 0x0100 | 0x0200 /*BACKUP_FH_FILE*/ |
                             0x0400 /*BACKUP_FH_DIR*/;
// v2 attributes are negative: no file-list backup, no incremental-only recovery.
constexpr uint32_t kAttrV2 = 0x0001 /*NO_BACKUP_FILELIST*/ | 0x0020 /*NO_RECOVER_INC_ONLY*/;

Reply butype_attr(Session& s, const msg::ConfigGetButypeAttrRequest& req) {
  auto r = std::make_unique<msg::ConfigGetButypeAttrReply>();
  if (req.name != kButype) {
    r->error = Error::illegal_args;
  } else {
    r->attrs = kAttrV2;
  }
  return Reply::of(std::move(r));
}

Reply connection_type(Session&, const msg::Empty&) {
  auto r = std::make_unique<msg::ConfigGetConnectionTypeReply>();
  r->types = {msg::AddrType::local, msg::AddrType::tcp};
  return Reply::of(std::move(r));
}

Reply auth_attr(Session& s, const msg::ConfigGetAuthAttrRequest& req) {
  auto r = std::make_unique<msg::ConfigGetAuthAttrReply>();
  const auto settings = s.ctx().settings();
  const auto& cfg = settings->config;
  r->attr.type = req.type;
  switch (req.type) {
    case msg::AuthType::md5:
      if (!cfg.allow_auth_md5) {
        r->error = Error::illegal_args;
        break;
      }
      // A fresh challenge each time; only the latest one is checked (facts 4.2).
      s.md5_challenge() = random_challenge();
      r->attr.challenge = *s.md5_challenge();
      break;
    case msg::AuthType::text:
      if (!cfg.allow_auth_text) r->error = Error::illegal_args;
      break;
    case msg::AuthType::none:
      if (!cfg.allow_auth_none) r->error = Error::illegal_args;
      break;
    default:
      r->error = Error::illegal_args;
  }
  return Reply::of(std::move(r));
}

Reply butype_info(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::ConfigGetButypeInfoReply>();
  msg::ButypeInfo b;
  b.name = kButype;
  b.attrs = s.version() >= 4 ? kAttrV4 : kAttrV3;
  b.default_env = {{"TYPE", "tar"}, {"HIST", "y"}, {"LEVEL", "0"}, {"UPDATE", "y"}, {"DIRECT", "n"},
                   {"RECURSIVE", "y"}, {"EXCLUDE", ""}};
  r->butypes.push_back(std::move(b));
  return Reply::of(std::move(r));
}

struct MountEntry {
  std::string device, mount_point, type;
};

// The mount holding `path`: the longest mount point that prefixes it.
MountEntry mount_of(const std::string& path) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  MountEntry best;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    MountEntry m;
    f >> m.device >> m.mount_point >> m.type;
    const bool prefix = path.compare(0, m.mount_point.size(), m.mount_point) == 0 &&
                        (path.size() == m.mount_point.size() || m.mount_point == "/" ||
                         path[m.mount_point.size()] == '/');
    if (prefix && m.mount_point.size() >= best.mount_point.size()) best = m;
  }
  return best;
}

Reply fs_info(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::ConfigGetFsInfoReply>();
  const auto settings = s.ctx().settings();
  for (const auto& root : settings->config.exports) {
    msg::FsInfo fs;
    MountEntry m = mount_of(root);
    fs.fs_type = m.type.empty() ? "unknown" : m.type;
    fs.logical_device = root;
    fs.physical_device = m.device;
    struct statvfs st {};
    if (::statvfs(root.c_str(), &st) == 0) {
      const uint64_t frsize = st.f_frsize ? st.f_frsize : st.f_bsize;
      fs.total_size = uint64_t{st.f_blocks} * frsize;
      fs.avail_size = uint64_t{st.f_bavail} * frsize;
      fs.used_size = (uint64_t{st.f_blocks} - st.f_bfree) * frsize;
      fs.total_inodes = st.f_files;
      fs.used_inodes = st.f_files - st.f_ffree;
      fs.status = "online";
    } else {
      fs.invalid = 0x1f;  // every size unknown (TOTAL_SIZE..USED_INODES)
      fs.status = "offline";
    }
    fs.env = {{"LOCAL", "y"}, {"TYPE", fs.fs_type}, {"AVAILABLE_BACKUP", kButype}, {"AVAILABLE_RECOVERY", kButype}};
    r->fs.push_back(std::move(fs));
  }
  return Reply::of(std::move(r));
}

std::vector<msg::DeviceInfo> device_infos(Session& s, dev::DeviceKind kind) {
  // One device_info per model, listing every device of that model (SPEC4 3.2.6).
  std::map<std::string, msg::DeviceInfo> by_model;
  for (const auto& d : s.ctx().inventory->devices()) {
    if (d.kind != kind) continue;
    std::string model = d.vendor.empty() ? d.model : d.vendor + " " + d.model;
    auto& info = by_model[model];
    info.model = model;
    msg::DeviceCapability cap;
    cap.device = d.name;
    // Tapes rewind on close (TAPE_ATTR_REWIND, tape_service.cc); nothing unloads.
    cap.attr = kind == dev::DeviceKind::tape ? 0x1 : 0;
    if (kind == dev::DeviceKind::tape) cap.capability.push_back({"EXECUTE_CDB", "t"});
    if (!d.serial.empty()) cap.capability.push_back({"SERIAL_NUMBER", d.serial});
    if (!d.revision.empty()) cap.capability.push_back({"REVISION", d.revision});
    cap.capability.push_back({"ORIGIN", d.sg_path.empty() ? dev::to_string(d.origin) : d.sg_path});
    info.caplist.push_back(std::move(cap));
  }
  std::vector<msg::DeviceInfo> out;
  for (auto& [model, info] : by_model) out.push_back(std::move(info));
  return out;
}

Reply tape_info(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::ConfigGetTapeInfoReply>();
  r->devices = device_infos(s, dev::DeviceKind::tape);
  return Reply::of(std::move(r));
}

Reply scsi_info(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::ConfigGetScsiInfoReply>();
  r->devices = device_infos(s, dev::DeviceKind::changer);
  return Reply::of(std::move(r));
}

Reply server_info(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::ConfigGetServerInfoReply>();
  // SPEC4 3.2.8: vendor, product and revision may stay empty until the DMA
  // has authenticated; only the auth types are needed before.
  if (s.authenticated()) {
    r->vendor = "ndmpd project";
    r->product = "ndmpd";
    r->revision = NDMPD_VERSION;
  }
  r->auth_types = offered_auth(s.ctx().settings()->config);
  return Reply::of(std::move(r));
}

Reply get_ext_list(Session& s, const msg::Empty&) {
  auto r = std::make_unique<msg::ConfigGetExtListReply>();
  if (s.ext_list_set) {
    r->error = Error::ext_dandn_illegal;
  } else {
    s.ext_list_got = true;  // no extension classes are offered: an empty list is legal (facts 6.14)
  }
  return Reply::of(std::move(r));
}

Reply set_ext_list(Session& s, const msg::ConfigSetExtListRequest& req) {
  if (s.ext_list_set) return error_reply(Error::ext_dandn_illegal);
  if (!s.ext_list_got) return error_reply(Error::precondition);
  if (!req.selections.empty()) return error_reply(Error::class_not_supported);
  s.ext_list_set = true;
  return error_reply(Error::no_err);
}

const DispatchEntry kTable[] = {
    // HOST_INFO is the only way a v2 DMA learns the auth types, so v2 may ask
    // before authenticating (facts 6.2); v3/v4 use SERVER_INFO for that.
    {msg::code::CONFIG_GET_HOST_INFO, "CONFIG_GET_HOST_INFO", kAllVersions, Access::before_auth_v2,
     typed<msg::Empty, host_info>},
    {msg::code::CONFIG_GET_BUTYPE_ATTR, "CONFIG_GET_BUTYPE_ATTR", kV2, Access::authenticated,
     typed<msg::ConfigGetButypeAttrRequest, butype_attr>},
    {msg::code::CONFIG_GET_CONNECTION_TYPE, "CONFIG_GET_CONNECTION_TYPE", kAllVersions, Access::authenticated,
     typed<msg::Empty, connection_type>},
    {msg::code::CONFIG_GET_AUTH_ATTR, "CONFIG_GET_AUTH_ATTR", kAllVersions, Access::before_auth,
     typed<msg::ConfigGetAuthAttrRequest, auth_attr>},
    {msg::code::CONFIG_GET_BUTYPE_INFO, "CONFIG_GET_BUTYPE_INFO", kV3 | kV4, Access::authenticated,
     typed<msg::Empty, butype_info>},
    {msg::code::CONFIG_GET_FS_INFO, "CONFIG_GET_FS_INFO", kV3 | kV4, Access::authenticated, typed<msg::Empty, fs_info>},
    {msg::code::CONFIG_GET_TAPE_INFO, "CONFIG_GET_TAPE_INFO", kV3 | kV4, Access::authenticated,
     typed<msg::Empty, tape_info>},
    {msg::code::CONFIG_GET_SCSI_INFO, "CONFIG_GET_SCSI_INFO", kV3 | kV4, Access::authenticated,
     typed<msg::Empty, scsi_info>},
    {msg::code::CONFIG_GET_SERVER_INFO, "CONFIG_GET_SERVER_INFO", kV3 | kV4, Access::before_auth,
     typed<msg::Empty, server_info>},
    {msg::code::CONFIG_GET_EXT_LIST, "CONFIG_GET_EXT_LIST", kV4, Access::authenticated, typed<msg::Empty, get_ext_list>},
    {msg::code::CONFIG_SET_EXT_LIST, "CONFIG_SET_EXT_LIST", kV4, Access::authenticated,
     typed<msg::ConfigSetExtListRequest, set_ext_list>},
};

}  // namespace

std::span<const DispatchEntry> config_table() { return kTable; }

}  // namespace ndmp::server
