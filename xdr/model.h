// The one internal message model for NDMP versions 2, 3 and 4.
//
// Every message body of every version maps onto ONE C++ struct here, so a
// handler is written once (style guide "Do" 4; ndmjob translates every version
// to one internal form, illumos kept v2/v3/v4 copies and paid for it). A struct
// is the union of the fields the versions carry; a field that only some
// versions have says so in a comment ("v2", "v3/v4", ...). A version that lacks
// a field ignores it when encoding and leaves it at its default when decoding.
//
// Numbers (codes, enum values, bits) are those of the fact sheet
// (../shared/ndmp-protocol-facts.md beside the repository, sections 2, 3 and 5); nothing here is
// indexed by position. Enums are `enum class : uint32_t` and may hold values the
// protocol does not define when a peer sends them: XDR enums are not range
// checked, so a handler must treat unknown values as illegal arguments rather
// than assume the value is one of the named ones.
//
// Ownership: bodies are plain values; `Body` exists only so a decoded body can
// travel as `std::unique_ptr<Body>` and be recovered with dynamic_cast.
// No threads, no I/O: any thread may build or read these structs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ndmp::msg {

// ---------------------------------------------------------------------------
// Errors (facts section 2). Contiguous from 0; v2 defines 0..22, v3 adds 23,
// v4 adds 24..30. to_string gives the protocol name, e.g. "NDMP_ILLEGAL_STATE_ERR".
enum class Error : uint32_t {
  no_err = 0,
  not_supported = 1,
  device_busy = 2,
  device_opened = 3,
  not_authorized = 4,
  permission = 5,
  dev_not_open = 6,
  io = 7,
  timeout = 8,
  illegal_args = 9,
  no_tape_loaded = 10,
  write_protect = 11,
  eof = 12,
  eom = 13,
  file_not_found = 14,
  bad_file = 15,
  no_device = 16,
  no_bus = 17,
  xdr_decode = 18,
  illegal_state = 19,
  undefined = 20,
  xdr_encode = 21,
  no_mem = 22,
  connect = 23,              // v3, v4
  sequence_num = 24,         // v4
  read_in_progress = 25,     // v4
  precondition = 26,         // v4
  class_not_supported = 27,  // v4
  version_not_supported = 28,// v4
  ext_dupl_classes = 29,     // v4
  ext_dandn_illegal = 30,    // v4
};
// Protocol name of an error; "NDMP_UNKNOWN_ERR" for a value no version defines.
const char* to_string(Error e);

// ---------------------------------------------------------------------------
// Message codes (facts section 3), v4 names; where a v2/v3 name differs both
// names are given for the same number. The high byte of the low 16 bits names
// the interface (0x1xx CONFIG ... 0xAxx MOVER).
namespace code {
// CONFIG
inline constexpr uint32_t CONFIG_GET_HOST_INFO = 0x100;
inline constexpr uint32_t CONFIG_GET_BUTYPE_ATTR = 0x101;  // v2 only
inline constexpr uint32_t CONFIG_GET_CONNECTION_TYPE = 0x102;
inline constexpr uint32_t CONFIG_GET_MOVER_TYPE = 0x102;  // v2 name of the same message
inline constexpr uint32_t CONFIG_GET_AUTH_ATTR = 0x103;
inline constexpr uint32_t CONFIG_GET_BUTYPE_INFO = 0x104;  // v3, v4
inline constexpr uint32_t CONFIG_GET_FS_INFO = 0x105;      // v3, v4
inline constexpr uint32_t CONFIG_GET_TAPE_INFO = 0x106;    // v3, v4
inline constexpr uint32_t CONFIG_GET_SCSI_INFO = 0x107;    // v3, v4
inline constexpr uint32_t CONFIG_GET_SERVER_INFO = 0x108;  // v3, v4
inline constexpr uint32_t CONFIG_SET_EXT_LIST = 0x109;     // v4 (SET is 0x109, GET 0x10A)
inline constexpr uint32_t CONFIG_GET_EXT_LIST = 0x10A;     // v4
// SCSI
inline constexpr uint32_t SCSI_OPEN = 0x200;
inline constexpr uint32_t SCSI_CLOSE = 0x201;
inline constexpr uint32_t SCSI_GET_STATE = 0x202;
inline constexpr uint32_t SCSI_SET_TARGET = 0x203;  // v2, v3 (v4: SCSI_OBSOLETE1)
inline constexpr uint32_t SCSI_RESET_DEVICE = 0x204;
inline constexpr uint32_t SCSI_RESET_BUS = 0x205;   // v2, v3 (v4: SCSI_OBSOLETE2)
inline constexpr uint32_t SCSI_EXECUTE_CDB = 0x206;
// TAPE
inline constexpr uint32_t TAPE_OPEN = 0x300;
inline constexpr uint32_t TAPE_CLOSE = 0x301;
inline constexpr uint32_t TAPE_GET_STATE = 0x302;
inline constexpr uint32_t TAPE_MTIO = 0x303;
inline constexpr uint32_t TAPE_WRITE = 0x304;
inline constexpr uint32_t TAPE_READ = 0x305;
inline constexpr uint32_t TAPE_EXECUTE_CDB = 0x307;
// DATA
inline constexpr uint32_t DATA_GET_STATE = 0x400;
inline constexpr uint32_t DATA_START_BACKUP = 0x401;
inline constexpr uint32_t DATA_START_RECOVER = 0x402;
inline constexpr uint32_t DATA_ABORT = 0x403;
inline constexpr uint32_t DATA_GET_ENV = 0x404;
inline constexpr uint32_t DATA_STOP = 0x407;
inline constexpr uint32_t DATA_LISTEN = 0x409;   // v3, v4
inline constexpr uint32_t DATA_CONNECT = 0x40A;  // v3, v4
inline constexpr uint32_t DATA_START_RECOVER_FILEHIST = 0x40B;  // v4 (ndmjob extension in v2/v3)
// NOTIFY (posts)
inline constexpr uint32_t NOTIFY_DATA_HALTED = 0x501;
inline constexpr uint32_t NOTIFY_CONNECTION_STATUS = 0x502;
inline constexpr uint32_t NOTIFY_CONNECTED = 0x502;  // v2/v3 name of the same post
inline constexpr uint32_t NOTIFY_MOVER_HALTED = 0x503;
inline constexpr uint32_t NOTIFY_MOVER_PAUSED = 0x504;
inline constexpr uint32_t NOTIFY_DATA_READ = 0x505;
// LOG (posts)
inline constexpr uint32_t LOG_LOG = 0x600;    // v2 only
inline constexpr uint32_t LOG_DEBUG = 0x601;  // v2 only
inline constexpr uint32_t LOG_FILE = 0x602;
inline constexpr uint32_t LOG_MESSAGE = 0x603;  // v3, v4
// FILE HISTORY (posts)
inline constexpr uint32_t FH_ADD_UNIX_PATH = 0x700;  // v2 only
inline constexpr uint32_t FH_ADD_UNIX_DIR = 0x701;   // v2 only
inline constexpr uint32_t FH_ADD_UNIX_NODE = 0x702;  // v2 only
inline constexpr uint32_t FH_ADD_FILE = 0x703;       // v3, v4
inline constexpr uint32_t FH_ADD_DIR = 0x704;        // v3, v4
inline constexpr uint32_t FH_ADD_NODE = 0x705;       // v3, v4
// CONNECT
inline constexpr uint32_t CONNECT_OPEN = 0x900;
inline constexpr uint32_t CONNECT_CLIENT_AUTH = 0x901;
inline constexpr uint32_t CONNECT_CLOSE = 0x902;  // request with no reply
inline constexpr uint32_t CONNECT_SERVER_AUTH = 0x903;
// MOVER
inline constexpr uint32_t MOVER_GET_STATE = 0xA00;
inline constexpr uint32_t MOVER_LISTEN = 0xA01;
inline constexpr uint32_t MOVER_CONTINUE = 0xA02;
inline constexpr uint32_t MOVER_ABORT = 0xA03;
inline constexpr uint32_t MOVER_STOP = 0xA04;
inline constexpr uint32_t MOVER_SET_WINDOW = 0xA05;
inline constexpr uint32_t MOVER_READ = 0xA06;
inline constexpr uint32_t MOVER_CLOSE = 0xA07;
inline constexpr uint32_t MOVER_SET_RECORD_SIZE = 0xA08;
inline constexpr uint32_t MOVER_CONNECT = 0xA09;  // v3, v4
}  // namespace code

// v4 name of a message code without the "NDMP_" prefix ("CONNECT_OPEN");
// nullptr for a number no version defines (reserved and v1 numbers included).
const char* code_name(uint32_t code);
// code_name for log lines: never null ("an unknown message" when undefined).
inline const char* code_label(uint32_t code) {
  const char* n = code_name(code);
  return n ? n : "an unknown message";
}

// ---------------------------------------------------------------------------
// Enumerations (facts section 5). Values are protocol numbers.

enum class AuthType : uint32_t { none = 0, text = 1, md5 = 2 };

// v2 defines local/tcp only; v4 calls 2 RESERVED (FC removed) and it is never a
// valid address there.
enum class AddrType : uint32_t { local = 0, tcp = 1, fc = 2, ipc = 3 };

// v2 calls 1 WRITE_MODE, v3/v4 RDWR_MODE (same value). raw: v4 (illumos also v3).
enum class TapeOpenMode : uint32_t { read = 0, rdwr = 1, raw = 2 };

// tur: v4 only.
enum class MtioOp : uint32_t { fsf = 0, bsf = 1, fsr = 2, bsr = 3, rew = 4, eof = 5, off = 6, tur = 7 };

// recover_filehist: v4 (ndmjob v2/v3 RESTORE_FILEHIST).
enum class DataOperation : uint32_t { noaction = 0, backup = 1, recover = 2, recover_filehist = 3 };

// listen, connected: v3/v4. There is no paused DATA state in v2..v4.
enum class DataState : uint32_t { idle = 0, active = 1, halted = 2, listen = 3, connected = 4 };

enum class DataHaltReason : uint32_t { na = 0, successful = 1, aborted = 2, internal_error = 3, connect_error = 4 };

// Value 2 means different things: v2 MOVER_MODE_DATA (connection to
// connection), v4 NOACTION (reported while IDLE); v3 does not define it. The
// model keeps the number and names it `noaction`; a v2 handler reads it as DATA.
enum class MoverMode : uint32_t { read = 0, write = 1, noaction = 2 };

enum class MoverState : uint32_t { idle = 0, listen = 1, active = 2, paused = 3, halted = 4 };

// media_error: v2/v3 only; eow: v3/v4.
enum class MoverPauseReason : uint32_t { na = 0, eom = 1, eof = 2, seek = 3, media_error = 4, eow = 5 };

// media_error: v4 only.
enum class MoverHaltReason : uint32_t { na = 0, connect_closed = 1, aborted = 2, internal_error = 3, connect_error = 4, media_error = 5 };

// NOTIFY_CONNECTION_STATUS reason (all versions).
enum class ConnectReason : uint32_t { connected = 0, shutdown = 1, refused = 2 };

// LOG_MESSAGE type (v3/v4).
enum class LogType : uint32_t { normal = 0, debug = 1, error = 2, warning = 3 };

// File-history fs_type (v3/v4).
enum class FsType : uint32_t { unix_fs = 0, nt = 1, other = 2 };

// registry, other: v3/v4 (v2 unix_file_type stops at sock).
enum class FileType : uint32_t { dir = 0, fifo = 1, cspec = 2, bspec = 3, reg = 4, slink = 5, sock = 6, registry = 7, other = 8 };

// v4 LOG_FILE recovery_status. 7 is missing from ndmjob's v4 definitions:
// prefer undefined_error (6) when ndmjob is the DMA.
enum class RecoveryStatus : uint32_t {
  successful = 0, failed_permission = 1, failed_not_found = 2, failed_no_directory = 3,
  failed_out_of_memory = 4, failed_io_error = 5, failed_undefined_error = 6, failed_file_path_exists = 7
};

// v2 LOG_DEBUG level.
enum class DebugLevel : uint32_t {
  user_info = 0, user_summary = 1, user_detail = 2, diag_info = 3, diag_summary = 4,
  diag_detail = 5, prog_info = 6, prog_summary = 7, prog_detail = 8
};

// v4 LOG_MESSAGE associated_message_valid.
enum class HasAssociatedMessage : uint32_t { no = 0, yes = 1 };

// All-ones: "unknown"/"invalid" for u64 fields (node, fh_info, MOVER_READ length).
inline constexpr uint64_t kInvalidU64 = ~0ull;
inline constexpr uint32_t kInvalidU32 = ~0u;

// ---------------------------------------------------------------------------
// Shared pieces (facts 4.0).

struct Pval {
  std::string name, value;
  bool operator==(const Pval&) const = default;
};

// One TCP endpoint. ip is the IPv4 address in host order (a.b.c.d = a<<24 |
// b<<16 | c<<8 | d), which XDR puts on the wire as the bytes a,b,c,d.
struct TcpAddr {
  uint32_t ip = 0;
  uint16_t port = 0;
  std::vector<Pval> env;  // v4 addr_env only
  bool operator==(const TcpAddr&) const = default;
};

// Data-connection address. v2/v3 carry exactly one TCP endpoint: the encoder
// uses tcp[0] (and fails if tcp is empty for type tcp); v4 sends the whole list
// (state replies must hold exactly one entry with an empty env; LISTEN replies
// may list several, most preferred first). fc: v3 only; ipc: v3/v4.
struct Addr {
  AddrType type = AddrType::local;
  std::vector<TcpAddr> tcp;
  uint32_t fc_loop_id = 0;
  std::vector<uint8_t> ipc;
  bool operator==(const Addr&) const = default;
};

// auth_data union: none -> nothing; text -> id + password; md5 -> id + digest.
struct AuthData {
  AuthType type = AuthType::none;
  std::string id;
  std::string password;  // TEXT
  std::array<uint8_t, 16> digest{};  // MD5
  bool operator==(const AuthData&) const = default;
};

// auth_attr union: md5 -> 64-byte challenge; none/text -> nothing.
struct AuthAttr {
  AuthType type = AuthType::none;
  std::array<uint8_t, 64> challenge{};
  bool operator==(const AuthAttr&) const = default;
};

// v3/v4 device_capability / device_info (TAPE_INFO, SCSI_INFO).
struct DeviceCapability {
  std::string device;  // name to pass to TAPE_OPEN / SCSI_OPEN
  uint32_t attr = 0;
  std::vector<Pval> capability;
  bool operator==(const DeviceCapability&) const = default;
};
struct DeviceInfo {
  std::string model;
  std::vector<DeviceCapability> caplist;
  bool operator==(const DeviceInfo&) const = default;
};

// v3/v4 butype_info.
struct ButypeInfo {
  std::string name;
  std::vector<Pval> default_env;
  uint32_t attrs = 0;  // v3/v4 positive-sense attrs (facts 5.10)
  bool operator==(const ButypeInfo&) const = default;
};

// v3/v4 fs_info; `invalid` is v3 "invalid" / v4 "unsupported" (facts 5.11).
struct FsInfo {
  uint32_t invalid = 0;
  std::string fs_type, logical_device, physical_device;
  uint64_t total_size = 0, used_size = 0, avail_size = 0, total_inodes = 0, used_inodes = 0;
  std::vector<Pval> env;
  std::string status;
  bool operator==(const FsInfo&) const = default;
};

// Recover name-list entry.
//   v2:    name=original_path, dest=destination_path, ssid, fh_info
//   v3:    original_path, destination_dir=destination_path, new_name, other_name, node, fh_info
//   v4:    original_path, destination_path, name=new_name, other_name, node, fh_info
struct Name {
  std::string original_path;
  std::string destination_path;  // v2 dest, v3 destination_dir, v4 destination_path
  std::string new_name;          // v3 new_name, v4 name
  std::string other_name;        // v3/v4
  uint64_t node = kInvalidU64;   // v3/v4
  uint64_t fh_info = kInvalidU64;
  uint16_t ssid = 0;             // v2
  bool operator==(const Name&) const = default;
};

// File-history stat. v3/v4 file_stat; v2 unix_file_stat maps ftype, mtime,
// atime, ctime, owner=uid, group=gid, fattr=mode, size and fh_info.
struct FileStat {
  uint32_t invalid = 0;  // v3 invalid / v4 unsupported (facts 5.11)
  FsType fs_type = FsType::unix_fs;  // v3/v4
  FileType ftype = FileType::reg;
  uint32_t mtime = 0, atime = 0, ctime = 0;
  uint32_t owner = 0, group = 0;
  uint32_t fattr = 0;  // permission bits only
  uint64_t size = 0;
  uint32_t links = 0;  // v3/v4
  uint64_t fh_info = kInvalidU64;  // v2 only (v3/v4 carry fh_info beside the stats)
  bool operator==(const FileStat&) const = default;
};

// v3/v4 file_name union on fs_type: unix -> unix_name; nt -> nt_path + dos_path;
// any other value -> other_name.
struct FileName {
  FsType fs_type = FsType::unix_fs;
  std::string unix_name, nt_path, dos_path, other_name;
  bool operator==(const FileName&) const = default;
};

struct FhFile {
  std::vector<FileName> names;
  std::vector<FileStat> stats;
  uint64_t node = kInvalidU64, fh_info = kInvalidU64;
  bool operator==(const FhFile&) const = default;
};
struct FhDir {
  std::vector<FileName> names;
  uint64_t node = kInvalidU64, parent = kInvalidU64;
  bool operator==(const FhDir&) const = default;
};
struct FhNode {
  std::vector<FileStat> stats;
  uint64_t node = kInvalidU64, fh_info = kInvalidU64;
  bool operator==(const FhNode&) const = default;
};

// v2 file history (32-bit node numbers).
struct FhUnixPath {
  std::string name;
  FileStat fstat;
  bool operator==(const FhUnixPath&) const = default;
};
struct FhUnixDir {
  std::string name;
  uint32_t node = 0, parent = 0;
  bool operator==(const FhUnixDir&) const = default;
};
struct FhUnixNode {
  FileStat fstat;
  uint32_t node = 0;
  bool operator==(const FhUnixNode&) const = default;
};

// v4 extension list entries.
struct ExtClass {
  uint16_t class_id = 0;
  std::vector<uint16_t> versions;  // first = default
  bool operator==(const ExtClass&) const = default;
};
struct ExtSelection {
  uint16_t class_id = 0;
  uint16_t version = 0;
  bool operator==(const ExtSelection&) const = default;
};

// ---------------------------------------------------------------------------
// Bodies. One struct per message body, named after the v4 message.

struct Body {
  virtual ~Body() = default;
  // Lets every body default its own operator== (C++20 compares base
  // subobjects). Body itself holds nothing, so compare concrete types only.
  bool operator==(const Body&) const = default;
};

// Body of every void request and reply (and of a reply whose header carried an
// error, when decoded).
struct Empty : Body {
  bool operator==(const Empty&) const = default;
};

// Body of every reply that is only an error: CONNECT_OPEN, CONNECT_CLIENT_AUTH,
// SCSI_OPEN/CLOSE/SET_TARGET/RESET_DEVICE/RESET_BUS, TAPE_OPEN/CLOSE,
// DATA_START_BACKUP/RECOVER/RECOVER_FILEHIST, DATA_ABORT/STOP/CONNECT,
// MOVER_CONTINUE/ABORT/STOP/SET_WINDOW/READ/CLOSE/SET_RECORD_SIZE/CONNECT,
// CONFIG_SET_EXT_LIST.
struct ErrorReply : Body {
  Error error = Error::no_err;
  bool operator==(const ErrorReply&) const = default;
};

// CONNECT ------------------------------------------------------------------
struct ConnectOpenRequest : Body {
  uint16_t protocol_version = 0;
  bool operator==(const ConnectOpenRequest&) const = default;
};
struct ConnectClientAuthRequest : Body {
  AuthData auth;
  bool operator==(const ConnectClientAuthRequest&) const = default;
};
struct ConnectServerAuthRequest : Body {
  AuthAttr client_attr;
  bool operator==(const ConnectServerAuthRequest&) const = default;
};
struct ConnectServerAuthReply : Body {
  Error error = Error::no_err;
  AuthData result;  // v2 auth_result, v3/v4 server_result
  bool operator==(const ConnectServerAuthReply&) const = default;
};

// CONFIG -------------------------------------------------------------------
struct ConfigGetHostInfoReply : Body {
  Error error = Error::no_err;
  std::string hostname, os_type, os_vers, hostid;
  std::vector<AuthType> auth_types;  // v2 only (v3/v4: CONFIG_GET_SERVER_INFO)
  bool operator==(const ConfigGetHostInfoReply&) const = default;
};
struct ConfigGetButypeAttrRequest : Body {  // v2
  std::string name;
  bool operator==(const ConfigGetButypeAttrRequest&) const = default;
};
struct ConfigGetButypeAttrReply : Body {  // v2; attrs in the v2 NO_* sense
  Error error = Error::no_err;
  uint32_t attrs = 0;
  bool operator==(const ConfigGetButypeAttrReply&) const = default;
};
struct ConfigGetConnectionTypeReply : Body {  // v2 CONFIG_GET_MOVER_TYPE
  Error error = Error::no_err;
  std::vector<AddrType> types;
  bool operator==(const ConfigGetConnectionTypeReply&) const = default;
};
struct ConfigGetAuthAttrRequest : Body {
  AuthType type = AuthType::none;
  bool operator==(const ConfigGetAuthAttrRequest&) const = default;
};
struct ConfigGetAuthAttrReply : Body {
  Error error = Error::no_err;
  AuthAttr attr;  // server_attr
  bool operator==(const ConfigGetAuthAttrReply&) const = default;
};
struct ConfigGetButypeInfoReply : Body {
  Error error = Error::no_err;
  std::vector<ButypeInfo> butypes;
  bool operator==(const ConfigGetButypeInfoReply&) const = default;
};
struct ConfigGetFsInfoReply : Body {
  Error error = Error::no_err;
  std::vector<FsInfo> fs;
  bool operator==(const ConfigGetFsInfoReply&) const = default;
};
struct ConfigGetTapeInfoReply : Body {
  Error error = Error::no_err;
  std::vector<DeviceInfo> devices;
  bool operator==(const ConfigGetTapeInfoReply&) const = default;
};
struct ConfigGetScsiInfoReply : Body {
  Error error = Error::no_err;
  std::vector<DeviceInfo> devices;
  bool operator==(const ConfigGetScsiInfoReply&) const = default;
};
struct ConfigGetServerInfoReply : Body {
  Error error = Error::no_err;
  std::string vendor, product, revision;
  std::vector<AuthType> auth_types;
  bool operator==(const ConfigGetServerInfoReply&) const = default;
};
struct ConfigGetExtListReply : Body {
  Error error = Error::no_err;
  std::vector<ExtClass> classes;
  bool operator==(const ConfigGetExtListReply&) const = default;
};
// SPEC4 layout (facts section 8, DISAGREE #1): only the array of selections.
struct ConfigSetExtListRequest : Body {
  std::vector<ExtSelection> selections;
  bool operator==(const ConfigSetExtListRequest&) const = default;
};

// SCSI ---------------------------------------------------------------------
struct ScsiOpenRequest : Body {
  std::string device;
  bool operator==(const ScsiOpenRequest&) const = default;
};
struct ScsiGetStateReply : Body {
  Error error = Error::no_err;
  int16_t controller = 0, id = 0, lun = 0;
  bool operator==(const ScsiGetStateReply&) const = default;
};
struct ScsiSetTargetRequest : Body {  // v2, v3
  std::string device;
  uint16_t controller = 0, id = 0, lun = 0;
  bool operator==(const ScsiSetTargetRequest&) const = default;
};
// SCSI_EXECUTE_CDB and TAPE_EXECUTE_CDB (same layout in every version).
struct ExecuteCdbRequest : Body {
  uint32_t flags = 0;       // 0x1 DATA_IN, 0x2 DATA_OUT
  uint32_t timeout_ms = 0;  // 0 = wait forever
  uint32_t datain_len = 0;
  std::vector<uint8_t> cdb, dataout;
  bool operator==(const ExecuteCdbRequest&) const = default;
};
struct ExecuteCdbReply : Body {
  Error error = Error::no_err;
  uint8_t status = 0;  // SCSI status byte
  uint32_t dataout_len = 0;
  std::vector<uint8_t> datain, ext_sense;
  bool operator==(const ExecuteCdbReply&) const = default;
};

// TAPE ---------------------------------------------------------------------
struct TapeOpenRequest : Body {
  std::string device;
  TapeOpenMode mode = TapeOpenMode::read;
  bool operator==(const TapeOpenRequest&) const = default;
};
// Layout differs per version (facts 4.4): v2 has no `invalid`; v3 puts
// `invalid` first and `partition` last; v4 `unsupported` first, no partition.
struct TapeGetStateReply : Body {
  uint32_t invalid = 0;  // v3 invalid, v4 unsupported
  Error error = Error::no_err;
  uint32_t flags = 0, file_num = 0, soft_errors = 0, block_size = 0, blockno = 0;
  uint64_t total_space = 0, space_remain = 0;
  uint32_t partition = 0;  // v3 only
  bool operator==(const TapeGetStateReply&) const = default;
};
struct TapeMtioRequest : Body {
  MtioOp op = MtioOp::fsf;
  uint32_t count = 0;
  bool operator==(const TapeMtioRequest&) const = default;
};
struct TapeMtioReply : Body {
  Error error = Error::no_err;
  uint32_t resid_count = 0;
  bool operator==(const TapeMtioReply&) const = default;
};
struct TapeWriteRequest : Body {
  std::vector<uint8_t> data;
  bool operator==(const TapeWriteRequest&) const = default;
};
struct TapeWriteReply : Body {
  Error error = Error::no_err;
  uint32_t count = 0;
  bool operator==(const TapeWriteReply&) const = default;
};
struct TapeReadRequest : Body {
  uint32_t count = 0;
  bool operator==(const TapeReadRequest&) const = default;
};
struct TapeReadReply : Body {
  Error error = Error::no_err;
  std::vector<uint8_t> data;
  bool operator==(const TapeReadReply&) const = default;
};

// DATA ---------------------------------------------------------------------
// Layout differs per version (facts 4.6): v3/v4 start with invalid/unsupported.
struct DataGetStateReply : Body {
  uint32_t invalid = 0;  // v3 invalid, v4 unsupported
  Error error = Error::no_err;
  DataOperation operation = DataOperation::noaction;
  DataState state = DataState::idle;
  DataHaltReason halt_reason = DataHaltReason::na;
  uint64_t bytes_processed = 0, est_bytes_remain = 0;
  uint32_t est_time_remain = 0;
  Addr connection;  // v2 mover address, v3/v4 data_connection_addr
  uint64_t read_offset = 0, read_length = 0;
  bool operator==(const DataGetStateReply&) const = default;
};
struct DataStartBackupRequest : Body {
  Addr mover;  // v2 only
  std::string butype;
  std::vector<Pval> env;
  bool operator==(const DataStartBackupRequest&) const = default;
};
// Also the body of DATA_START_RECOVER_FILEHIST.
struct DataStartRecoverRequest : Body {
  Addr mover;  // v2 only
  std::vector<Pval> env;
  std::vector<Name> nlist;
  std::string butype;
  bool operator==(const DataStartRecoverRequest&) const = default;
};
struct DataGetEnvReply : Body {
  Error error = Error::no_err;
  std::vector<Pval> env;
  bool operator==(const DataGetEnvReply&) const = default;
};
struct DataListenRequest : Body {  // v3, v4
  AddrType type = AddrType::local;
  bool operator==(const DataListenRequest&) const = default;
};
struct DataListenReply : Body {  // v3, v4
  Error error = Error::no_err;
  Addr addr;
  bool operator==(const DataListenReply&) const = default;
};
struct DataConnectRequest : Body {  // v3, v4
  Addr addr;
  bool operator==(const DataConnectRequest&) const = default;
};

// NOTIFY (posts) -------------------------------------------------------------
struct NotifyDataHaltedPost : Body {
  DataHaltReason reason = DataHaltReason::na;
  std::string text;  // v2/v3 text_reason
  bool operator==(const NotifyDataHaltedPost&) const = default;
};
struct NotifyConnectionStatusPost : Body {
  ConnectReason reason = ConnectReason::connected;
  uint16_t protocol_version = 0;
  std::string text;  // must be empty unless refused (SPEC4)
  bool operator==(const NotifyConnectionStatusPost&) const = default;
};
struct NotifyMoverHaltedPost : Body {
  MoverHaltReason reason = MoverHaltReason::na;
  std::string text;  // v2/v3 text_reason
  bool operator==(const NotifyMoverHaltedPost&) const = default;
};
struct NotifyMoverPausedPost : Body {
  MoverPauseReason reason = MoverPauseReason::na;
  uint64_t seek_position = 0;
  bool operator==(const NotifyMoverPausedPost&) const = default;
};
struct NotifyDataReadPost : Body {
  uint64_t offset = 0, length = 0;
  bool operator==(const NotifyDataReadPost&) const = default;
};

// LOG (posts) ----------------------------------------------------------------
struct LogLogPost : Body {  // v2
  std::string entry;
  bool operator==(const LogLogPost&) const = default;
};
struct LogDebugPost : Body {  // v2
  DebugLevel level = DebugLevel::user_info;
  std::string message;
  bool operator==(const LogDebugPost&) const = default;
};
struct LogFilePost : Body {
  std::string name;
  uint16_t ssid = 0;             // v2
  Error error = Error::no_err;   // v2, v3
  RecoveryStatus status = RecoveryStatus::successful;  // v4
  bool operator==(const LogFilePost&) const = default;
};
struct LogMessagePost : Body {  // v3, v4
  LogType type = LogType::normal;
  uint32_t message_id = 0;
  std::string entry;
  HasAssociatedMessage associated = HasAssociatedMessage::no;  // v4
  uint32_t associated_sequence = 0;                           // v4
  bool operator==(const LogMessagePost&) const = default;
};

// FILE HISTORY (posts) -------------------------------------------------------
struct FhAddFilePost : Body {  // v3, v4
  std::vector<FhFile> files;
  bool operator==(const FhAddFilePost&) const = default;
};
struct FhAddDirPost : Body {  // v3, v4
  std::vector<FhDir> dirs;
  bool operator==(const FhAddDirPost&) const = default;
};
struct FhAddNodePost : Body {  // v3, v4
  std::vector<FhNode> nodes;
  bool operator==(const FhAddNodePost&) const = default;
};
struct FhAddUnixPathPost : Body {  // v2
  std::vector<FhUnixPath> paths;
  bool operator==(const FhAddUnixPathPost&) const = default;
};
struct FhAddUnixDirPost : Body {  // v2
  std::vector<FhUnixDir> dirs;
  bool operator==(const FhAddUnixDirPost&) const = default;
};
struct FhAddUnixNodePost : Body {  // v2
  std::vector<FhUnixNode> nodes;
  bool operator==(const FhAddUnixNodePost&) const = default;
};

// MOVER ----------------------------------------------------------------------
// Layout differs per version (facts 4.5): v4 puts `mode` second; v3/v4 end with
// the data connection address.
struct MoverGetStateReply : Body {
  Error error = Error::no_err;
  MoverMode mode = MoverMode::noaction;  // v4 only
  MoverState state = MoverState::idle;
  MoverPauseReason pause_reason = MoverPauseReason::na;
  MoverHaltReason halt_reason = MoverHaltReason::na;
  uint32_t record_size = 0, record_num = 0;
  uint64_t bytes_moved = 0;  // v2/v3 data_written
  uint64_t seek_position = 0, bytes_left_to_read = 0, window_offset = 0, window_length = 0;
  Addr connection;  // v3/v4 data_connection_addr
  bool operator==(const MoverGetStateReply&) const = default;
};
struct MoverListenRequest : Body {
  MoverMode mode = MoverMode::read;
  AddrType type = AddrType::local;
  bool operator==(const MoverListenRequest&) const = default;
};
struct MoverListenReply : Body {
  Error error = Error::no_err;
  Addr addr;  // v2 mover, v3 data_connection_addr, v4 connect_addr
  bool operator==(const MoverListenReply&) const = default;
};
struct MoverSetWindowRequest : Body {
  uint64_t offset = 0, length = 0;
  bool operator==(const MoverSetWindowRequest&) const = default;
};
struct MoverReadRequest : Body {
  uint64_t offset = 0, length = 0;
  bool operator==(const MoverReadRequest&) const = default;
};
struct MoverSetRecordSizeRequest : Body {
  uint32_t len = 0;
  bool operator==(const MoverSetRecordSizeRequest&) const = default;
};
struct MoverConnectRequest : Body {  // v3, v4
  MoverMode mode = MoverMode::read;
  Addr addr;
  bool operator==(const MoverConnectRequest&) const = default;
};

// The error a reply body carries (every reply body has one; the v3/v4
// GET_STATE replies carry it second). no_err for bodies that are not replies.
Error reply_error(const Body& body);

}  // namespace ndmp::msg
