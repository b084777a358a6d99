#include "samples.h"

namespace ndmp::xdr::test {
namespace {

using namespace ndmp::msg;

std::vector<Pval> env(const std::string& tag) {
  return {{"FILESYSTEM", "/export/" + tag}, {"HIST", "y"}, {"EMPTY", ""}};
}

Addr addr(int v) {
  Addr a;
  a.type = AddrType::tcp;
  TcpAddr t;
  t.ip = 0xC0000201;  // 192.0.2.1
  t.port = 10001;
  if (v == 4) {
    t.env = {{"PREFERRED", "y"}};
    TcpAddr u;
    u.ip = 0xC6336401;  // 198.51.100.1
    u.port = 10002;
    a.tcp = {t, u};
  } else {
    a.tcp = {t};
  }
  return a;
}

// A second address shape so IPC/FC arms are exercised too.
Addr other_addr(int v) {
  Addr a;
  if (v == 2) {
    a.type = AddrType::local;
  } else {
    a.type = AddrType::ipc;
    a.ipc = {1, 2, 3, 4, 5};
  }
  return a;
}

AuthData auth(AuthType t) {
  AuthData a;
  a.type = t;
  a.id = "ndmp";
  if (t == AuthType::text) a.password = "secret";
  if (t == AuthType::md5)
    for (size_t i = 0; i < a.digest.size(); ++i) a.digest[i] = static_cast<uint8_t>(0xA0 + i);
  return a;
}

AuthAttr md5_attr() {
  AuthAttr a;
  a.type = AuthType::md5;
  for (size_t i = 0; i < a.challenge.size(); ++i) a.challenge[i] = static_cast<uint8_t>(i * 3 + 1);
  return a;
}

Name name(int v, int i) {
  Name n;
  n.original_path = "/src/file" + std::to_string(i);
  n.destination_path = "/dst/file" + std::to_string(i);
  n.fh_info = 0x1000 + i;
  if (v == 2) {
    n.ssid = static_cast<uint16_t>(7 + i);
  } else {
    n.new_name = "renamed" + std::to_string(i);
    n.other_name = "other" + std::to_string(i);
    n.node = 0x123456789ull + i;
  }
  return n;
}

FileStat fstat(int v) {
  FileStat s;
  s.ftype = FileType::slink;
  s.mtime = 1700000001;
  s.atime = 1700000002;
  s.ctime = 1700000003;
  s.owner = 1000;
  s.group = 100;
  s.fattr = 0644;
  s.size = 0x1'0000'0005ull;
  if (v == 2) {
    s.fh_info = 0xABCDEF;
  } else {
    s.invalid = 0x4;
    s.fs_type = FsType::unix_fs;
    s.links = 3;
  }
  return s;
}

std::vector<FileName> names() {
  FileName u;
  u.fs_type = FsType::unix_fs;
  u.unix_name = "/etc/passwd";
  FileName n;
  n.fs_type = FsType::nt;
  n.nt_path = "C:\\Windows";
  n.dos_path = "C:\\WINDOWS";
  FileName o;
  o.fs_type = FsType::other;
  o.other_name = "vendor:thing";
  return {u, n, o};
}

template <class M>
Sample make(uint32_t code, MessageType type, const char* what, M body) {
  Sample s;
  s.code = code;
  s.type = type;
  s.name = std::string(code_name(code) != nullptr ? code_name(code) : "?") + " " + what;
  s.body = std::make_shared<M>(std::move(body));
  s.equal = [](const Body& a, const Body& b) {
    const auto* x = dynamic_cast<const M*>(&a);
    const auto* y = dynamic_cast<const M*>(&b);
    return x != nullptr && y != nullptr && *x == *y;
  };
  return s;
}

template <class M>
Sample req(uint32_t code, M body) {
  return make(code, MessageType::request, "request", std::move(body));
}
template <class M>
Sample rep(uint32_t code, M body) {
  return make(code, MessageType::reply, "reply", std::move(body));
}

ErrorReply err(Error e) {
  ErrorReply r;
  r.error = e;
  return r;
}

}  // namespace

std::vector<Sample> samples(int v) {
  std::vector<Sample> s;
  const bool v2 = v == 2, v3 = v == 3, v4 = v == 4;

  // CONNECT
  {
    ConnectOpenRequest r;
    r.protocol_version = static_cast<uint16_t>(v);
    s.push_back(req(code::CONNECT_OPEN, r));
    s.push_back(rep(code::CONNECT_OPEN, err(Error::illegal_args)));
    ConnectClientAuthRequest a;
    a.auth = auth(AuthType::md5);
    s.push_back(req(code::CONNECT_CLIENT_AUTH, a));
    s.push_back(rep(code::CONNECT_CLIENT_AUTH, err(Error::not_authorized)));
    s.push_back(req(code::CONNECT_CLOSE, Empty{}));
    ConnectServerAuthRequest sa;
    sa.client_attr = md5_attr();
    s.push_back(req(code::CONNECT_SERVER_AUTH, sa));
    ConnectServerAuthReply sr;
    sr.error = Error::not_supported;
    sr.result = auth(AuthType::text);
    s.push_back(rep(code::CONNECT_SERVER_AUTH, sr));
  }

  // CONFIG
  {
    s.push_back(req(code::CONFIG_GET_HOST_INFO, Empty{}));
    ConfigGetHostInfoReply h;
    h.error = Error::no_err;
    h.hostname = "tapehost";
    h.os_type = "Linux";
    h.os_vers = "6.1";
    h.hostid = "0a1b2c3d";
    if (v2) h.auth_types = {AuthType::text, AuthType::md5};
    s.push_back(rep(code::CONFIG_GET_HOST_INFO, h));

    s.push_back(req(code::CONFIG_GET_CONNECTION_TYPE, Empty{}));
    ConfigGetConnectionTypeReply c;
    c.error = Error::undefined;
    c.types = v2 ? std::vector<AddrType>{AddrType::local, AddrType::tcp}
                 : std::vector<AddrType>{AddrType::local, AddrType::tcp, AddrType::ipc};
    s.push_back(rep(code::CONFIG_GET_CONNECTION_TYPE, c));

    ConfigGetAuthAttrRequest ar;
    ar.type = AuthType::md5;
    s.push_back(req(code::CONFIG_GET_AUTH_ATTR, ar));
    ConfigGetAuthAttrReply aa;
    aa.error = Error::no_err;
    aa.attr = md5_attr();
    s.push_back(rep(code::CONFIG_GET_AUTH_ATTR, aa));

    if (v2) {
      ConfigGetButypeAttrRequest b;
      b.name = "tar";
      s.push_back(req(code::CONFIG_GET_BUTYPE_ATTR, b));
      ConfigGetButypeAttrReply br;
      br.error = Error::illegal_args;
      br.attrs = 0x3f;
      s.push_back(rep(code::CONFIG_GET_BUTYPE_ATTR, br));
    } else {
      s.push_back(req(code::CONFIG_GET_BUTYPE_INFO, Empty{}));
      ConfigGetButypeInfoReply b;
      b.butypes = {{"tar", env("tar"), 0x1ee}, {"dump", {}, 0x2}};
      s.push_back(rep(code::CONFIG_GET_BUTYPE_INFO, b));

      s.push_back(req(code::CONFIG_GET_FS_INFO, Empty{}));
      ConfigGetFsInfoReply f;
      FsInfo fs;
      fs.invalid = 0x10;
      fs.fs_type = "ext4";
      fs.logical_device = "/export";
      fs.physical_device = "/dev/sda1";
      fs.total_size = 0x10'0000'0000ull;
      fs.used_size = 0x1'0000'0000ull;
      fs.avail_size = 0xF'0000'0000ull;
      fs.total_inodes = 1000000;
      fs.used_inodes = 1234;
      fs.env = env("fs");
      fs.status = "online";
      f.fs = {fs, FsInfo{}};
      s.push_back(rep(code::CONFIG_GET_FS_INFO, f));

      DeviceInfo d;
      d.model = "IBM ULT3580-TD8";
      d.caplist = {{"/dev/nst0", 0x3, {{"EXECUTE_CDB", "t"}}}, {"/dev/sg3", 0x1, {}}};
      s.push_back(req(code::CONFIG_GET_TAPE_INFO, Empty{}));
      ConfigGetTapeInfoReply t;
      t.devices = {d};
      s.push_back(rep(code::CONFIG_GET_TAPE_INFO, t));
      s.push_back(req(code::CONFIG_GET_SCSI_INFO, Empty{}));
      ConfigGetScsiInfoReply sc;
      sc.error = Error::no_device;
      sc.devices = {d, DeviceInfo{}};
      s.push_back(rep(code::CONFIG_GET_SCSI_INFO, sc));

      s.push_back(req(code::CONFIG_GET_SERVER_INFO, Empty{}));
      ConfigGetServerInfoReply si;
      si.vendor = "ndmpd project";
      si.product = "ndmpd";
      si.revision = "0.1.0";
      si.auth_types = {AuthType::text, AuthType::md5};
      s.push_back(rep(code::CONFIG_GET_SERVER_INFO, si));
    }
    if (v4) {
      ConfigSetExtListRequest set;
      set.selections = {{0x2001, 1}, {0x2002, 3}};
      s.push_back(req(code::CONFIG_SET_EXT_LIST, set));
      s.push_back(rep(code::CONFIG_SET_EXT_LIST, err(Error::ext_dupl_classes)));
      s.push_back(req(code::CONFIG_GET_EXT_LIST, Empty{}));
      ConfigGetExtListReply get;
      get.classes = {{0x2001, {1, 2}}, {0x2002, {}}};
      s.push_back(rep(code::CONFIG_GET_EXT_LIST, get));
    }
  }

  // SCSI
  {
    ScsiOpenRequest o;
    o.device = "/dev/sg5";
    s.push_back(req(code::SCSI_OPEN, o));
    s.push_back(rep(code::SCSI_OPEN, err(Error::device_opened)));
    s.push_back(req(code::SCSI_CLOSE, Empty{}));
    s.push_back(rep(code::SCSI_CLOSE, err(Error::dev_not_open)));
    s.push_back(req(code::SCSI_GET_STATE, Empty{}));
    ScsiGetStateReply g;
    g.controller = -1;
    g.id = 5;
    g.lun = 2;
    s.push_back(rep(code::SCSI_GET_STATE, g));
    s.push_back(req(code::SCSI_RESET_DEVICE, Empty{}));
    s.push_back(rep(code::SCSI_RESET_DEVICE, err(Error::io)));
    if (!v4) {
      ScsiSetTargetRequest t;
      t.device = "/dev/sg1";
      t.controller = 1;
      t.id = 4;
      t.lun = 65535;
      s.push_back(req(code::SCSI_SET_TARGET, t));
      s.push_back(rep(code::SCSI_SET_TARGET, err(Error::no_bus)));
      s.push_back(req(code::SCSI_RESET_BUS, Empty{}));
      s.push_back(rep(code::SCSI_RESET_BUS, err(Error::permission)));
    }
    ExecuteCdbRequest c;
    c.flags = 0x1;
    c.timeout_ms = 30000;
    c.datain_len = 96;
    c.cdb = {0x12, 0, 0, 0, 96, 0};
    c.dataout = {9, 8, 7};
    ExecuteCdbReply r;
    r.status = 0x02;
    r.dataout_len = 3;
    r.datain = {1, 2, 3, 4, 5, 6, 7};
    r.ext_sense = {0x70, 0, 0x06, 0, 0, 0, 0, 10};
    s.push_back(req(code::SCSI_EXECUTE_CDB, c));
    s.push_back(rep(code::SCSI_EXECUTE_CDB, r));
    s.push_back(req(code::TAPE_EXECUTE_CDB, c));
    s.push_back(rep(code::TAPE_EXECUTE_CDB, r));
  }

  // TAPE
  {
    TapeOpenRequest o;
    o.device = "/dev/nst0";
    o.mode = TapeOpenMode::rdwr;
    s.push_back(req(code::TAPE_OPEN, o));
    s.push_back(rep(code::TAPE_OPEN, err(Error::no_tape_loaded)));
    s.push_back(req(code::TAPE_CLOSE, Empty{}));
    s.push_back(rep(code::TAPE_CLOSE, err(Error::no_err)));
    s.push_back(req(code::TAPE_GET_STATE, Empty{}));
    TapeGetStateReply g;
    if (!v2) g.invalid = 0x21;
    g.error = Error::no_err;
    g.flags = 0x10;
    g.file_num = 3;
    g.soft_errors = 4;
    g.block_size = 0;
    g.blockno = 17;
    g.total_space = 0x3'0000'0000ull;
    g.space_remain = 0x1'0000'0001ull;
    if (v3) g.partition = 1;
    s.push_back(rep(code::TAPE_GET_STATE, g));
    TapeMtioRequest m;
    m.op = v4 ? MtioOp::tur : MtioOp::bsr;
    m.count = 12;
    s.push_back(req(code::TAPE_MTIO, m));
    TapeMtioReply mr;
    mr.error = Error::eof;
    mr.resid_count = 2;
    s.push_back(rep(code::TAPE_MTIO, mr));
    TapeWriteRequest w;
    w.data.resize(10240);
    for (size_t i = 0; i < w.data.size(); ++i) w.data[i] = static_cast<uint8_t>(i * 7);
    s.push_back(req(code::TAPE_WRITE, w));
    TapeWriteReply wr;
    wr.error = Error::eom;
    wr.count = 8192;
    s.push_back(rep(code::TAPE_WRITE, wr));
    TapeReadRequest r;
    r.count = 65536;
    s.push_back(req(code::TAPE_READ, r));
    TapeReadReply rr;
    rr.data = {0xde, 0xad, 0xbe};  // odd length: exercises XDR padding
    s.push_back(rep(code::TAPE_READ, rr));
  }

  // DATA
  {
    s.push_back(req(code::DATA_GET_STATE, Empty{}));
    DataGetStateReply g;
    if (!v2) g.invalid = 0x2;
    g.operation = DataOperation::backup;
    g.state = v2 ? DataState::halted : DataState::connected;
    g.halt_reason = DataHaltReason::connect_error;
    g.bytes_processed = 0x5'0000'0000ull;
    g.est_bytes_remain = 77;
    g.est_time_remain = 88;
    g.connection = addr(v);
    if (v4) g.connection.tcp.resize(1), g.connection.tcp[0].env.clear();  // state replies: one entry
    g.read_offset = 1024;
    g.read_length = ~0ull;
    s.push_back(rep(code::DATA_GET_STATE, g));

    DataStartBackupRequest b;
    if (v2) b.mover = addr(v);
    b.butype = "tar";
    b.env = env("backup");
    s.push_back(req(code::DATA_START_BACKUP, b));
    s.push_back(rep(code::DATA_START_BACKUP, err(Error::illegal_state)));

    DataStartRecoverRequest r;
    if (v2) r.mover = addr(v);
    r.env = env("recover");
    r.nlist = {name(v, 1), name(v, 2)};
    r.butype = "tar";
    s.push_back(req(code::DATA_START_RECOVER, r));
    s.push_back(rep(code::DATA_START_RECOVER, err(Error::illegal_args)));
    r.butype = "dump";
    s.push_back(req(code::DATA_START_RECOVER_FILEHIST, r));
    s.push_back(rep(code::DATA_START_RECOVER_FILEHIST, err(Error::not_supported)));

    s.push_back(req(code::DATA_ABORT, Empty{}));
    s.push_back(rep(code::DATA_ABORT, err(Error::illegal_state)));
    s.push_back(req(code::DATA_GET_ENV, Empty{}));
    DataGetEnvReply e;
    e.env = env("getenv");
    s.push_back(rep(code::DATA_GET_ENV, e));
    s.push_back(req(code::DATA_STOP, Empty{}));
    s.push_back(rep(code::DATA_STOP, err(Error::no_err)));
    if (!v2) {
      DataListenRequest l;
      l.type = AddrType::tcp;
      s.push_back(req(code::DATA_LISTEN, l));
      DataListenReply lr;
      lr.addr = addr(v);
      s.push_back(rep(code::DATA_LISTEN, lr));
      DataConnectRequest c;
      c.addr = other_addr(v);
      s.push_back(req(code::DATA_CONNECT, c));
      s.push_back(rep(code::DATA_CONNECT, err(Error::connect)));
    }
  }

  // NOTIFY
  {
    NotifyDataHaltedPost h;
    h.reason = DataHaltReason::successful;
    if (!v4) h.text = "backup done";
    s.push_back(req(code::NOTIFY_DATA_HALTED, h));
    NotifyConnectionStatusPost c;
    c.reason = ConnectReason::refused;
    c.protocol_version = static_cast<uint16_t>(v);
    c.text = "too many sessions";
    s.push_back(req(code::NOTIFY_CONNECTION_STATUS, c));
    NotifyMoverHaltedPost mh;
    mh.reason = v4 ? MoverHaltReason::media_error : MoverHaltReason::connect_closed;
    if (!v4) mh.text = "data connection closed";
    s.push_back(req(code::NOTIFY_MOVER_HALTED, mh));
    NotifyMoverPausedPost mp;
    mp.reason = v2 ? MoverPauseReason::media_error : MoverPauseReason::eow;
    mp.seek_position = 0x2'0000'0000ull;
    s.push_back(req(code::NOTIFY_MOVER_PAUSED, mp));
    NotifyDataReadPost dr;
    dr.offset = 4096;
    dr.length = ~0ull;
    s.push_back(req(code::NOTIFY_DATA_READ, dr));
  }

  // LOG
  {
    LogFilePost f;
    f.name = "/export/a/b";
    if (v2) f.ssid = 3;
    if (!v4) f.error = Error::file_not_found;
    if (v4) f.status = RecoveryStatus::failed_not_found;
    s.push_back(req(code::LOG_FILE, f));
    if (v2) {
      LogLogPost l;
      l.entry = "hello";
      s.push_back(req(code::LOG_LOG, l));
      LogDebugPost d;
      d.level = DebugLevel::prog_detail;
      d.message = "debug text";
      s.push_back(req(code::LOG_DEBUG, d));
    } else {
      LogMessagePost m;
      m.type = LogType::warning;
      m.message_id = 42;
      m.entry = "slow tape";
      if (v4) {
        m.associated = HasAssociatedMessage::yes;
        m.associated_sequence = 9;
      }
      s.push_back(req(code::LOG_MESSAGE, m));
    }
  }

  // FILE HISTORY
  if (v2) {
    FhAddUnixPathPost p;
    p.paths = {{"/a", fstat(v)}, {"/a/b", fstat(v)}};
    s.push_back(req(code::FH_ADD_UNIX_PATH, p));
    FhAddUnixDirPost d;
    d.dirs = {{".", 2, 2}, {"b", 12, 2}};
    s.push_back(req(code::FH_ADD_UNIX_DIR, d));
    FhAddUnixNodePost n;
    n.nodes = {{fstat(v), 12}};
    s.push_back(req(code::FH_ADD_UNIX_NODE, n));
  } else {
    FhAddFilePost f;
    f.files = {{names(), {fstat(v), fstat(v)}, 0x1'0000'0002ull, 0x77}, {}};
    s.push_back(req(code::FH_ADD_FILE, f));
    FhAddDirPost d;
    d.dirs = {{names(), 2, 2}};
    s.push_back(req(code::FH_ADD_DIR, d));
    FhAddNodePost n;
    n.nodes = {{{fstat(v)}, 12, 0x99}};
    s.push_back(req(code::FH_ADD_NODE, n));
  }

  // MOVER
  {
    s.push_back(req(code::MOVER_GET_STATE, Empty{}));
    MoverGetStateReply g;
    g.error = Error::no_err;
    if (v4) g.mode = MoverMode::write;
    g.state = MoverState::paused;
    g.pause_reason = MoverPauseReason::seek;
    g.halt_reason = MoverHaltReason::aborted;
    g.record_size = 10240;
    g.record_num = 55;
    g.bytes_moved = 0x9'0000'0000ull;
    g.seek_position = 0x8'0000'0000ull;
    g.bytes_left_to_read = 1;
    g.window_offset = 2;
    g.window_length = ~0ull;
    if (!v2) {
      g.connection = addr(v);
      if (v4) g.connection.tcp.resize(1), g.connection.tcp[0].env.clear();
    }
    s.push_back(rep(code::MOVER_GET_STATE, g));
    MoverListenRequest l;
    l.mode = MoverMode::write;
    l.type = AddrType::tcp;
    s.push_back(req(code::MOVER_LISTEN, l));
    MoverListenReply lr;
    lr.addr = addr(v);
    s.push_back(rep(code::MOVER_LISTEN, lr));
    s.push_back(req(code::MOVER_CONTINUE, Empty{}));
    s.push_back(rep(code::MOVER_CONTINUE, err(Error::illegal_state)));
    s.push_back(req(code::MOVER_ABORT, Empty{}));
    s.push_back(rep(code::MOVER_ABORT, err(Error::no_err)));
    s.push_back(req(code::MOVER_STOP, Empty{}));
    s.push_back(rep(code::MOVER_STOP, err(Error::illegal_state)));
    MoverSetWindowRequest w;
    w.offset = 0x1'0000'0000ull;
    w.length = ~0ull;
    s.push_back(req(code::MOVER_SET_WINDOW, w));
    s.push_back(rep(code::MOVER_SET_WINDOW, err(Error::illegal_args)));
    MoverReadRequest r;
    r.offset = 12;
    r.length = 34;
    s.push_back(req(code::MOVER_READ, r));
    s.push_back(rep(code::MOVER_READ, err(v4 ? Error::read_in_progress : Error::illegal_state)));
    s.push_back(req(code::MOVER_CLOSE, Empty{}));
    s.push_back(rep(code::MOVER_CLOSE, err(Error::no_err)));
    MoverSetRecordSizeRequest rs;
    rs.len = 65536;
    s.push_back(req(code::MOVER_SET_RECORD_SIZE, rs));
    s.push_back(rep(code::MOVER_SET_RECORD_SIZE, err(Error::illegal_args)));
    if (!v2) {
      MoverConnectRequest c;
      c.mode = MoverMode::read;
      c.addr = addr(v);
      s.push_back(req(code::MOVER_CONNECT, c));
      s.push_back(rep(code::MOVER_CONNECT, err(Error::connect)));
    }
  }
  return s;
}

}  // namespace ndmp::xdr::test
