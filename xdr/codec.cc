// Codec tables and the generic converters between rpcgen structs and the model.
//
// How one converter serves three versions: ndmp2.x, ndmp3.x and ndmp4.x give a
// field the same NAME wherever it means the same thing, so `fields(x, w, m)`
// below is written once per model struct as a template over the generated
// struct W; a field only some versions have is guarded by
// `if constexpr (requires { w.field; })`. The same `fields` runs in both
// directions: Xfer<true> copies wire -> model (decode), Xfer<false> copies
// model -> wire (encode). Unions transfer their discriminant first, after which
// wire and model agree on it and the arm is transferred by the same switch.
//
// Encoding points the generated structs at the model's own strings and bytes
// (xdr only reads them); arrays of generated structs come from an Arena that
// lives for the one encode call. Decoding lets the generated code allocate and
// always ends with xdr_free.
#include "xdr/codec.h"

#include <rpc/rpc.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>

#include "ndmp2.h"
#include "ndmp3.h"
#include "ndmp4.h"

namespace ndmp::xdr {
namespace {

using namespace ndmp::msg;

// Owns the arrays of generated structs built while encoding one message.
class Arena {
 public:
  template <class T>
  T* make(size_t n) {
    if (n == 0) return nullptr;
    T* p = new T[n]();  // value-initialised: zeroed C structs
    holders_.emplace_back(p, [](void* q) { delete[] static_cast<T*>(q); });
    return p;
  }

 private:
  std::vector<std::unique_ptr<void, void (*)(void*)>> holders_;
};

template <class T>
inline constexpr bool kScalar = std::is_arithmetic_v<T> || std::is_enum_v<T>;

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// Moves one value between a generated struct field and a model field.
// Get = true: wire -> model; Get = false: model -> wire.
template <bool Get>
struct Xfer {
  static constexpr bool decoding = Get;
  Arena* arena = nullptr;  // encode only
  bool ok = true;          // false: the model cannot be expressed in this version

  // Integers and enums. Enum values travel through int32 storage so a value
  // outside a C enum's named range is carried, not undefined behaviour.
  template <class W, class M>
    requires(kScalar<W> && kScalar<M>)
  void operator()(W& w, M& m) {
    if constexpr (Get) {
      if constexpr (std::is_enum_v<W>) {
        int32_t v;
        static_assert(sizeof(W) == sizeof v);
        std::memcpy(&v, &w, sizeof v);
        m = static_cast<M>(static_cast<uint32_t>(v));
      } else {
        m = static_cast<M>(w);
      }
    } else {
      if constexpr (std::is_enum_v<W>) {
        const int32_t v = static_cast<int32_t>(static_cast<uint32_t>(m));
        std::memcpy(&w, &v, sizeof v);
      } else {
        w = static_cast<W>(m);
      }
    }
  }

  // string<N> is a char* in generated code.
  void operator()(char*& w, std::string& m) {
    if constexpr (Get)
      m = w != nullptr ? w : "";
    else
      w = const_cast<char*>(m.c_str());
  }

  // opaque x[N]
  template <size_t N>
  void operator()(char (&w)[N], std::array<uint8_t, N>& m) {
    if constexpr (Get)
      std::memcpy(m.data(), w, N);
    else
      std::memcpy(w, m.data(), N);
  }

  // opaque x<N>: generated as struct { u_int x_len; char* x_val; }.
  template <class A>
    requires std::is_class_v<A>
  void operator()(A& a, std::vector<uint8_t>& m) {
    auto& [len, val] = a;
    if constexpr (Get) {
      const auto* p = reinterpret_cast<const uint8_t*>(val);
      m.assign(p, p + (p != nullptr ? len : 0));
    } else {
      len = static_cast<u_int>(m.size());
      val = m.empty() ? nullptr : reinterpret_cast<char*>(const_cast<uint8_t*>(m.data()));
    }
  }

  // T x<N>: generated as struct { u_int x_len; T* x_val; }.
  template <class A, class M>
    requires std::is_class_v<A>
  void operator()(A& a, std::vector<M>& m) {
    auto& [len, val] = a;
    using E = std::remove_pointer_t<std::remove_reference_t<decltype(val)>>;
    if constexpr (Get) {
      const u_int n = val != nullptr ? len : 0;
      m.resize(n);
      for (u_int i = 0; i < n; ++i) (*this)(val[i], m[i]);
    } else {
      len = static_cast<u_int>(m.size());
      val = arena->template make<E>(m.size());
      for (size_t i = 0; i < m.size(); ++i) (*this)(val[i], m[i]);
    }
  }

  // Nested structs: their own `fields`.
  template <class W, class M>
    requires(std::is_class_v<W> && std::is_class_v<M> && !IsVector<M>::value)
  void operator()(W& w, M& m) {
    fields(*this, w, m);
  }
};

// Optional field: transferred only by versions whose struct has it.
#define NDMP_OPT(wf, mf) \
  if constexpr (requires { w.wf; }) x(w.wf, m.mf)

// ---------------------------------------------------------------------------
// Header

template <class X, class W>
void fields(X& x, W& w, Header& m) {
  x(w.sequence, m.sequence);
  x(w.time_stamp, m.time_stamp);
  x(w.message_type, m.type);
  x(w.message_code, m.code);
  x(w.reply_sequence, m.reply_sequence);
  x(w.error_code, m.error);
}

// ---------------------------------------------------------------------------
// Shared pieces

template <class X, class W>
void fields(X& x, W& w, Pval& m) {
  x(w.name, m.name);
  x(w.value, m.value);
}

// v4 tcp_addr list element (v2/v3 single addresses go through one_tcp below).
template <class X, class W>
void fields(X& x, W& w, TcpAddr& m) {
  x(w.ip_addr, m.ip);
  x(w.port, m.port);
  NDMP_OPT(addr_env, env);
}

// v2/v3: exactly one TCP address; the model keeps it as tcp[0].
template <class X, class W>
void one_tcp(X& x, W& w, std::vector<TcpAddr>& m) {
  if constexpr (X::decoding) {
    m.resize(1);
  } else if (m.empty()) {
    x.ok = false;
    return;
  }
  x(w.ip_addr, m[0].ip);
  x(w.port, m[0].port);
}

// v4 address: TCP is a list with env; FC is reserved (no arm: encode fails).
template <class X>
void fields(X& x, ndmp4_addr& w, Addr& m) {
  x(w.addr_type, m.type);
  auto& [d, arm] = w;
  switch (m.type) {
    case AddrType::tcp: x(arm.tcp_addr, m.tcp); break;
    case AddrType::ipc: x(arm.ipc_addr.comm_data, m.ipc); break;
    default: break;
  }
}

// v2 mover address and v3 address: one TCP endpoint; v3 adds FC and IPC.
template <class X, class W>
void fields(X& x, W& w, Addr& m) {
  x(w.addr_type, m.type);
  auto& [d, arm] = w;
  switch (m.type) {
    case AddrType::tcp: one_tcp(x, arm.tcp_addr, m.tcp); break;
    case AddrType::fc:
      if constexpr (requires { arm.fc_addr; }) x(arm.fc_addr.loop_id, m.fc_loop_id);
      break;
    case AddrType::ipc:
      if constexpr (requires { arm.ipc_addr; }) x(arm.ipc_addr.comm_data, m.ipc);
      break;
    default: break;
  }
}

template <class X, class W>
void fields(X& x, W& w, AuthData& m) {
  x(w.auth_type, m.type);
  auto& [d, arm] = w;
  switch (m.type) {
    case AuthType::text:
      x(arm.auth_text.auth_id, m.id);
      x(arm.auth_text.auth_password, m.password);
      break;
    case AuthType::md5:
      x(arm.auth_md5.auth_id, m.id);
      x(arm.auth_md5.auth_digest, m.digest);
      break;
    default: break;
  }
}

template <class X, class W>
void fields(X& x, W& w, AuthAttr& m) {
  x(w.auth_type, m.type);
  auto& [d, arm] = w;
  if (m.type == AuthType::md5) x(arm.challenge, m.challenge);
}

template <class X, class W>
void fields(X& x, W& w, DeviceCapability& m) {
  x(w.device, m.device);
  x(w.attr, m.attr);
  x(w.capability, m.capability);
}

template <class X, class W>
void fields(X& x, W& w, DeviceInfo& m) {
  x(w.model, m.model);
  x(w.caplist, m.caplist);
}

template <class X, class W>
void fields(X& x, W& w, ButypeInfo& m) {
  x(w.butype_name, m.name);
  x(w.default_env, m.default_env);
  x(w.attrs, m.attrs);
}

template <class X, class W>
void fields(X& x, W& w, FsInfo& m) {
  x(w.invalid, m.invalid);
  x(w.fs_type, m.fs_type);
  x(w.fs_logical_device, m.logical_device);
  x(w.fs_physical_device, m.physical_device);
  x(w.total_size, m.total_size);
  x(w.used_size, m.used_size);
  x(w.avail_size, m.avail_size);
  x(w.total_inodes, m.total_inodes);
  x(w.used_inodes, m.used_inodes);
  x(w.fs_env, m.env);
  x(w.fs_status, m.status);
}

template <class X, class W>
void fields(X& x, W& w, ExtClass& m) {
  x(w.class_id, m.class_id);
  x(w.class_version, m.versions);
}

template <class X, class W>
void fields(X& x, W& w, ExtSelection& m) {
  x(w.class_id, m.class_id);
  x(w.class_version, m.version);
}

template <class X, class W>
void fields(X& x, W& w, Name& m) {
  x(w.original_path, m.original_path);
  x(w.destination_path, m.destination_path);
  NDMP_OPT(ssid, ssid);
  NDMP_OPT(new_name, new_name);
  NDMP_OPT(other_name, other_name);
  NDMP_OPT(node, node);
  x(w.fh_info, m.fh_info);
}

// v3/v4 file_stat and v2 unix_file_stat.
template <class X, class W>
void fields(X& x, W& w, FileStat& m) {
  NDMP_OPT(invalid, invalid);
  NDMP_OPT(fs_type, fs_type);
  x(w.ftype, m.ftype);
  x(w.mtime, m.mtime);
  x(w.atime, m.atime);
  x(w.ctime, m.ctime);
  x(w.owner, m.owner);
  x(w.group, m.group);
  x(w.fattr, m.fattr);
  x(w.size, m.size);
  NDMP_OPT(links, links);
  NDMP_OPT(fh_info, fh_info);
}

// v3/v4 file_name union: unix / nt / default arm for every other fs_type.
template <class X, class W>
void fields(X& x, W& w, FileName& m) {
  x(w.fs_type, m.fs_type);
  auto& [d, arm] = w;
  switch (m.fs_type) {
    case FsType::unix_fs: x(arm.unix_name, m.unix_name); break;
    case FsType::nt:
      x(arm.nt_name.nt_path, m.nt_path);
      x(arm.nt_name.dos_path, m.dos_path);
      break;
    default: x(arm.other_name, m.other_name); break;
  }
}

template <class X, class W>
void fields(X& x, W& w, FhFile& m) {
  x(w.names, m.names);
  x(w.stats, m.stats);
  x(w.node, m.node);
  x(w.fh_info, m.fh_info);
}

template <class X, class W>
void fields(X& x, W& w, FhDir& m) {
  x(w.names, m.names);
  x(w.node, m.node);
  x(w.parent, m.parent);
}

template <class X, class W>
void fields(X& x, W& w, FhNode& m) {
  x(w.stats, m.stats);
  x(w.node, m.node);
  x(w.fh_info, m.fh_info);
}

template <class X, class W>
void fields(X& x, W& w, FhUnixPath& m) {
  x(w.name, m.name);
  x(w.fstat, m.fstat);
}

template <class X, class W>
void fields(X& x, W& w, FhUnixDir& m) {
  x(w.name, m.name);
  x(w.node, m.node);
  x(w.parent, m.parent);
}

template <class X, class W>
void fields(X& x, W& w, FhUnixNode& m) {
  x(w.fstat, m.fstat);
  x(w.node, m.node);
}

// ---------------------------------------------------------------------------
// Message bodies

template <class X, class W>
void fields(X& x, W& w, ErrorReply& m) {
  x(w.error, m.error);
}

template <class X, class W>
void fields(X& x, W& w, ConnectOpenRequest& m) {
  x(w.protocol_version, m.protocol_version);
}

template <class X, class W>
void fields(X& x, W& w, ConnectClientAuthRequest& m) {
  x(w.auth_data, m.auth);
}

template <class X, class W>
void fields(X& x, W& w, ConnectServerAuthRequest& m) {
  x(w.client_attr, m.client_attr);
}

template <class X, class W>
void fields(X& x, W& w, ConnectServerAuthReply& m) {
  x(w.error, m.error);
  x(w.server_result, m.result);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetHostInfoReply& m) {
  x(w.error, m.error);
  x(w.hostname, m.hostname);
  x(w.os_type, m.os_type);
  x(w.os_vers, m.os_vers);
  x(w.hostid, m.hostid);
  NDMP_OPT(auth_type, auth_types);  // v2
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetButypeAttrRequest& m) {
  x(w.name, m.name);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetButypeAttrReply& m) {
  x(w.error, m.error);
  x(w.attrs, m.attrs);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetConnectionTypeReply& m) {
  x(w.error, m.error);
  x(w.addr_types, m.types);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetAuthAttrRequest& m) {
  x(w.auth_type, m.type);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetAuthAttrReply& m) {
  x(w.error, m.error);
  x(w.server_attr, m.attr);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetButypeInfoReply& m) {
  x(w.error, m.error);
  x(w.butype_info, m.butypes);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetFsInfoReply& m) {
  x(w.error, m.error);
  x(w.fs_info, m.fs);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetTapeInfoReply& m) {
  x(w.error, m.error);
  x(w.devices, m.devices);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetScsiInfoReply& m) {
  x(w.error, m.error);
  x(w.devices, m.devices);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetServerInfoReply& m) {
  x(w.error, m.error);
  x(w.vendor_name, m.vendor);
  x(w.product_name, m.product);
  x(w.revision_number, m.revision);
  x(w.auth_type, m.auth_types);
}

template <class X, class W>
void fields(X& x, W& w, ConfigGetExtListReply& m) {
  x(w.error, m.error);
  x(w.class_list, m.classes);
}

template <class X, class W>
void fields(X& x, W& w, ConfigSetExtListRequest& m) {
  x(w.class_list, m.selections);
}

template <class X, class W>
void fields(X& x, W& w, ScsiOpenRequest& m) {
  x(w.device, m.device);
}

template <class X, class W>
void fields(X& x, W& w, ScsiGetStateReply& m) {
  x(w.error, m.error);
  x(w.target_controller, m.controller);
  x(w.target_id, m.id);
  x(w.target_lun, m.lun);
}

template <class X, class W>
void fields(X& x, W& w, ScsiSetTargetRequest& m) {
  x(w.device, m.device);
  x(w.target_controller, m.controller);
  x(w.target_id, m.id);
  x(w.target_lun, m.lun);
}

template <class X, class W>
void fields(X& x, W& w, ExecuteCdbRequest& m) {
  x(w.flags, m.flags);
  x(w.timeout, m.timeout_ms);
  x(w.datain_len, m.datain_len);
  x(w.cdb, m.cdb);
  x(w.dataout, m.dataout);
}

template <class X, class W>
void fields(X& x, W& w, ExecuteCdbReply& m) {
  x(w.error, m.error);
  x(w.status, m.status);
  x(w.dataout_len, m.dataout_len);
  x(w.datain, m.datain);
  x(w.ext_sense, m.ext_sense);
}

template <class X, class W>
void fields(X& x, W& w, TapeOpenRequest& m) {
  x(w.device, m.device);
  x(w.mode, m.mode);
}

template <class X, class W>
void fields(X& x, W& w, TapeGetStateReply& m) {
  NDMP_OPT(invalid, invalid);  // v3 invalid, v4 unsupported; v2 has none
  x(w.error, m.error);
  x(w.flags, m.flags);
  x(w.file_num, m.file_num);
  x(w.soft_errors, m.soft_errors);
  x(w.block_size, m.block_size);
  x(w.blockno, m.blockno);
  x(w.total_space, m.total_space);
  x(w.space_remain, m.space_remain);
  NDMP_OPT(partition, partition);  // v3
}

template <class X, class W>
void fields(X& x, W& w, TapeMtioRequest& m) {
  x(w.tape_op, m.op);
  x(w.count, m.count);
}

template <class X, class W>
void fields(X& x, W& w, TapeMtioReply& m) {
  x(w.error, m.error);
  x(w.resid_count, m.resid_count);
}

template <class X, class W>
void fields(X& x, W& w, TapeWriteRequest& m) {
  x(w.data_out, m.data);
}

template <class X, class W>
void fields(X& x, W& w, TapeWriteReply& m) {
  x(w.error, m.error);
  x(w.count, m.count);
}

template <class X, class W>
void fields(X& x, W& w, TapeReadRequest& m) {
  x(w.count, m.count);
}

template <class X, class W>
void fields(X& x, W& w, TapeReadReply& m) {
  x(w.error, m.error);
  x(w.data_in, m.data);
}

template <class X, class W>
void fields(X& x, W& w, DataGetStateReply& m) {
  NDMP_OPT(invalid, invalid);  // v3/v4
  x(w.error, m.error);
  x(w.operation, m.operation);
  x(w.state, m.state);
  x(w.halt_reason, m.halt_reason);
  x(w.bytes_processed, m.bytes_processed);
  x(w.est_bytes_remain, m.est_bytes_remain);
  x(w.est_time_remain, m.est_time_remain);
  x(w.data_connection_addr, m.connection);
  x(w.read_offset, m.read_offset);
  x(w.read_length, m.read_length);
}

template <class X, class W>
void fields(X& x, W& w, DataStartBackupRequest& m) {
  NDMP_OPT(mover, mover);  // v2
  x(w.butype_name, m.butype);
  x(w.env, m.env);
}

template <class X, class W>
void fields(X& x, W& w, DataStartRecoverRequest& m) {
  NDMP_OPT(mover, mover);  // v2
  x(w.env, m.env);
  x(w.nlist, m.nlist);
  x(w.butype_name, m.butype);
}

template <class X, class W>
void fields(X& x, W& w, DataGetEnvReply& m) {
  x(w.error, m.error);
  x(w.env, m.env);
}

template <class X, class W>
void fields(X& x, W& w, DataListenRequest& m) {
  x(w.addr_type, m.type);
}

template <class X, class W>
void fields(X& x, W& w, DataListenReply& m) {
  x(w.error, m.error);
  x(w.connect_addr, m.addr);
}

template <class X, class W>
void fields(X& x, W& w, DataConnectRequest& m) {
  x(w.addr, m.addr);
}

template <class X, class W>
void fields(X& x, W& w, NotifyDataHaltedPost& m) {
  x(w.reason, m.reason);
  NDMP_OPT(text_reason, text);  // v2/v3
}

template <class X, class W>
void fields(X& x, W& w, NotifyConnectionStatusPost& m) {
  x(w.reason, m.reason);
  x(w.protocol_version, m.protocol_version);
  x(w.text_reason, m.text);
}

template <class X, class W>
void fields(X& x, W& w, NotifyMoverHaltedPost& m) {
  x(w.reason, m.reason);
  NDMP_OPT(text_reason, text);  // v2/v3
}

template <class X, class W>
void fields(X& x, W& w, NotifyMoverPausedPost& m) {
  x(w.reason, m.reason);
  x(w.seek_position, m.seek_position);
}

template <class X, class W>
void fields(X& x, W& w, NotifyDataReadPost& m) {
  x(w.offset, m.offset);
  x(w.length, m.length);
}

template <class X, class W>
void fields(X& x, W& w, LogLogPost& m) {
  x(w.entry, m.entry);
}

template <class X, class W>
void fields(X& x, W& w, LogDebugPost& m) {
  x(w.level, m.level);
  x(w.message, m.message);
}

template <class X, class W>
void fields(X& x, W& w, LogFilePost& m) {
  x(w.name, m.name);
  NDMP_OPT(ssid, ssid);                       // v2
  NDMP_OPT(error, error);                     // v2, v3
  NDMP_OPT(recovery_status, status);          // v4
}

template <class X, class W>
void fields(X& x, W& w, LogMessagePost& m) {
  x(w.log_type, m.type);
  x(w.message_id, m.message_id);
  x(w.entry, m.entry);
  NDMP_OPT(associated_message_valid, associated);              // v4
  NDMP_OPT(associated_message_sequence, associated_sequence);  // v4
}

template <class X, class W>
void fields(X& x, W& w, FhAddFilePost& m) {
  x(w.files, m.files);
}

template <class X, class W>
void fields(X& x, W& w, FhAddDirPost& m) {
  x(w.dirs, m.dirs);
}

template <class X, class W>
void fields(X& x, W& w, FhAddNodePost& m) {
  x(w.nodes, m.nodes);
}

template <class X, class W>
void fields(X& x, W& w, FhAddUnixPathPost& m) {
  x(w.paths, m.paths);
}

template <class X, class W>
void fields(X& x, W& w, FhAddUnixDirPost& m) {
  x(w.dirs, m.dirs);
}

template <class X, class W>
void fields(X& x, W& w, FhAddUnixNodePost& m) {
  x(w.nodes, m.nodes);
}

template <class X, class W>
void fields(X& x, W& w, MoverGetStateReply& m) {
  x(w.error, m.error);
  NDMP_OPT(mode, mode);  // v4
  x(w.state, m.state);
  x(w.pause_reason, m.pause_reason);
  x(w.halt_reason, m.halt_reason);
  x(w.record_size, m.record_size);
  x(w.record_num, m.record_num);
  x(w.bytes_moved, m.bytes_moved);
  x(w.seek_position, m.seek_position);
  x(w.bytes_left_to_read, m.bytes_left_to_read);
  x(w.window_offset, m.window_offset);
  x(w.window_length, m.window_length);
  NDMP_OPT(data_connection_addr, connection);  // v3/v4
}

template <class X, class W>
void fields(X& x, W& w, MoverListenRequest& m) {
  x(w.mode, m.mode);
  x(w.addr_type, m.type);
}

template <class X, class W>
void fields(X& x, W& w, MoverListenReply& m) {
  x(w.error, m.error);
  x(w.connect_addr, m.addr);
}

template <class X, class W>
void fields(X& x, W& w, MoverSetWindowRequest& m) {
  x(w.offset, m.offset);
  x(w.length, m.length);
}

template <class X, class W>
void fields(X& x, W& w, MoverReadRequest& m) {
  x(w.offset, m.offset);
  x(w.length, m.length);
}

template <class X, class W>
void fields(X& x, W& w, MoverSetRecordSizeRequest& m) {
  x(w.len, m.len);
}

template <class X, class W>
void fields(X& x, W& w, MoverConnectRequest& m) {
  x(w.mode, m.mode);
  x(w.addr, m.addr);
}

#undef NDMP_OPT

// ---------------------------------------------------------------------------
// Body codecs: decode/encode one body through a generated xdr routine.

template <class P>
struct WireOf;
template <class W>
struct WireOf<bool_t (*)(XDR*, W*)> {
  using type = W;
};
template <auto Proc>
using wire_t = typename WireOf<decltype(Proc)>::type;

template <auto Proc>
xdrproc_t as_xdrproc() {
  return reinterpret_cast<xdrproc_t>(Proc);
}

// Writes header + body into `out`. Built by encode(); body codecs call emit()
// once they have a generated struct to hand over.
class Emitter {
 public:
  using HeaderFn = bool (*)(XDR*, const Header&);
  Emitter(HeaderFn header_fn, const Header& header, std::vector<uint8_t>& out)
      : header_fn_(header_fn), header_(header), out_(out) {}

  // proc == nullptr: header only.
  bool emit(xdrproc_t proc, void* body) const {
    size_t body_size = 0;
    if (proc != nullptr) {
      body_size = xdr_sizeof(proc, body);
      // xdr_sizeof answers 0 when the routine fails (e.g. a union arm that
      // does not exist). Void bodies come here as proc == nullptr and every
      // other body is at least 4 bytes, so 0 always means failure.
      if (body_size == 0) return false;
    }
    out_.assign(kHeaderSize + body_size, 0);
    XDR xdrs;
    xdrmem_create(&xdrs, reinterpret_cast<char*>(out_.data()), static_cast<u_int>(out_.size()), XDR_ENCODE);
    bool ok = header_fn_(&xdrs, header_) && (proc == nullptr || proc(&xdrs, body));
    ok = ok && xdr_getpos(&xdrs) == out_.size();
    xdr_destroy(&xdrs);
    if (!ok) out_.clear();
    return ok;
  }

 private:
  HeaderFn header_fn_;
  const Header& header_;
  std::vector<uint8_t>& out_;
};

struct BodyCodec {
  std::unique_ptr<Body> (*decode)(XDR*) = nullptr;  // nullptr: no body in this direction
  bool (*encode)(const Body*, const Emitter&) = nullptr;
  bool present() const { return decode != nullptr; }
};

template <auto Proc, class M>
std::unique_ptr<Body> decode_body(XDR* xdrs) {
  using W = wire_t<Proc>;
  W w{};
  std::unique_ptr<M> m;
  if (Proc(xdrs, &w)) {
    m = std::make_unique<M>();
    Xfer<true> x;
    fields(x, w, *m);
    if (!x.ok) m.reset();
  }
  xdr_free(as_xdrproc<Proc>(), reinterpret_cast<char*>(&w));
  return m;
}

template <auto Proc, class M>
bool encode_body(const Body* body, const Emitter& e) {
  using W = wire_t<Proc>;
  const M* m = dynamic_cast<const M*>(body);
  if (m == nullptr) return false;
  W w{};
  Arena arena;
  Xfer<false> x{&arena};
  fields(x, w, const_cast<M&>(*m));  // Xfer<false> only reads the model
  if (!x.ok) return false;
  return e.emit(as_xdrproc<Proc>(), &w);
}

std::unique_ptr<Body> decode_void(XDR*) { return std::make_unique<Empty>(); }

bool encode_void(const Body* body, const Emitter& e) {
  if (body != nullptr && dynamic_cast<const Empty*>(body) == nullptr) return false;
  return e.emit(nullptr, nullptr);
}

template <auto Proc, class M>
constexpr BodyCodec B() {
  return {&decode_body<Proc, M>, &encode_body<Proc, M>};
}
constexpr BodyCodec V() { return {&decode_void, &encode_void}; }
constexpr BodyCodec None() { return {}; }

template <auto Proc>
bool decode_header(XDR* xdrs, Header& h) {
  wire_t<Proc> w{};
  if (!Proc(xdrs, &w)) return false;
  Xfer<true> x;
  fields(x, w, h);
  return true;
}

template <auto Proc>
bool encode_header(XDR* xdrs, const Header& h) {
  wire_t<Proc> w{};
  Xfer<false> x;
  fields(x, w, const_cast<Header&>(h));
  return Proc(xdrs, &w);
}

// One row per message code the version defines. `request` is the request or
// post body; `reply` is absent for posts and CONNECT_CLOSE.
struct Row {
  uint32_t code;
  BodyCodec request;
  BodyCodec reply;
};

struct VersionTable {
  int version;
  bool (*decode_header)(XDR*, Header&);
  bool (*encode_header)(XDR*, const Header&);
  const Row* rows;
  size_t count;
};

// Shorthands for the tables: N(name, Model) = the generated routine
// xdr_ndmpV_name with the model struct Model.
#define N2(name, M) B<xdr_ndmp2_##name, M>()
#define N3(name, M) B<xdr_ndmp3_##name, M>()
#define N4(name, M) B<xdr_ndmp4_##name, M>()

// Before negotiation (ndmjob's "version 0", facts 1.4): the three messages that
// never change. The v4 definitions serve, being identical on the wire.
const Row kRows0[] = {
    {code::NOTIFY_CONNECTION_STATUS, N4(notify_connection_status_post, NotifyConnectionStatusPost), None()},
    {code::CONNECT_OPEN, N4(connect_open_request, ConnectOpenRequest), N4(connect_open_reply, ErrorReply)},
    {code::CONNECT_CLOSE, V(), None()},
};

const Row kRows2[] = {
    {code::CONFIG_GET_HOST_INFO, V(), N2(config_get_host_info_reply, ConfigGetHostInfoReply)},
    {code::CONFIG_GET_BUTYPE_ATTR, N2(config_get_butype_attr_request, ConfigGetButypeAttrRequest),
     N2(config_get_butype_attr_reply, ConfigGetButypeAttrReply)},
    {code::CONFIG_GET_MOVER_TYPE, V(), N2(config_get_mover_type_reply, ConfigGetConnectionTypeReply)},
    {code::CONFIG_GET_AUTH_ATTR, N2(config_get_auth_attr_request, ConfigGetAuthAttrRequest),
     N2(config_get_auth_attr_reply, ConfigGetAuthAttrReply)},
    {code::SCSI_OPEN, N2(scsi_open_request, ScsiOpenRequest), N2(scsi_open_reply, ErrorReply)},
    {code::SCSI_CLOSE, V(), N2(scsi_close_reply, ErrorReply)},
    {code::SCSI_GET_STATE, V(), N2(scsi_get_state_reply, ScsiGetStateReply)},
    {code::SCSI_SET_TARGET, N2(scsi_set_target_request, ScsiSetTargetRequest), N2(scsi_set_target_reply, ErrorReply)},
    {code::SCSI_RESET_DEVICE, V(), N2(scsi_reset_device_reply, ErrorReply)},
    {code::SCSI_RESET_BUS, V(), N2(scsi_reset_bus_reply, ErrorReply)},
    {code::SCSI_EXECUTE_CDB, N2(scsi_execute_cdb_request, ExecuteCdbRequest), N2(scsi_execute_cdb_reply, ExecuteCdbReply)},
    {code::TAPE_OPEN, N2(tape_open_request, TapeOpenRequest), N2(tape_open_reply, ErrorReply)},
    {code::TAPE_CLOSE, V(), N2(tape_close_reply, ErrorReply)},
    {code::TAPE_GET_STATE, V(), N2(tape_get_state_reply, TapeGetStateReply)},
    {code::TAPE_MTIO, N2(tape_mtio_request, TapeMtioRequest), N2(tape_mtio_reply, TapeMtioReply)},
    {code::TAPE_WRITE, N2(tape_write_request, TapeWriteRequest), N2(tape_write_reply, TapeWriteReply)},
    {code::TAPE_READ, N2(tape_read_request, TapeReadRequest), N2(tape_read_reply, TapeReadReply)},
    {code::TAPE_EXECUTE_CDB, N2(tape_execute_cdb_request, ExecuteCdbRequest), N2(tape_execute_cdb_reply, ExecuteCdbReply)},
    {code::DATA_GET_STATE, V(), N2(data_get_state_reply, DataGetStateReply)},
    {code::DATA_START_BACKUP, N2(data_start_backup_request, DataStartBackupRequest), N2(data_start_backup_reply, ErrorReply)},
    {code::DATA_START_RECOVER, N2(data_start_recover_request, DataStartRecoverRequest),
     N2(data_start_recover_reply, ErrorReply)},
    {code::DATA_ABORT, V(), N2(data_abort_reply, ErrorReply)},
    {code::DATA_GET_ENV, V(), N2(data_get_env_reply, DataGetEnvReply)},
    {code::DATA_STOP, V(), N2(data_stop_reply, ErrorReply)},
    {code::DATA_START_RECOVER_FILEHIST, N2(data_start_recover_filehist_request, DataStartRecoverRequest),
     N2(data_start_recover_filehist_reply, ErrorReply)},
    {code::NOTIFY_DATA_HALTED, N2(notify_data_halted_post, NotifyDataHaltedPost), None()},
    {code::NOTIFY_CONNECTED, N2(notify_connected_post, NotifyConnectionStatusPost), None()},
    {code::NOTIFY_MOVER_HALTED, N2(notify_mover_halted_post, NotifyMoverHaltedPost), None()},
    {code::NOTIFY_MOVER_PAUSED, N2(notify_mover_paused_post, NotifyMoverPausedPost), None()},
    {code::NOTIFY_DATA_READ, N2(notify_data_read_post, NotifyDataReadPost), None()},
    {code::LOG_LOG, N2(log_log_post, LogLogPost), None()},
    {code::LOG_DEBUG, N2(log_debug_post, LogDebugPost), None()},
    {code::LOG_FILE, N2(log_file_post, LogFilePost), None()},
    {code::FH_ADD_UNIX_PATH, N2(fh_add_unix_path_post, FhAddUnixPathPost), None()},
    {code::FH_ADD_UNIX_DIR, N2(fh_add_unix_dir_post, FhAddUnixDirPost), None()},
    {code::FH_ADD_UNIX_NODE, N2(fh_add_unix_node_post, FhAddUnixNodePost), None()},
    {code::CONNECT_OPEN, N2(connect_open_request, ConnectOpenRequest), N2(connect_open_reply, ErrorReply)},
    {code::CONNECT_CLIENT_AUTH, N2(connect_client_auth_request, ConnectClientAuthRequest),
     N2(connect_client_auth_reply, ErrorReply)},
    {code::CONNECT_CLOSE, V(), None()},
    {code::CONNECT_SERVER_AUTH, N2(connect_server_auth_request, ConnectServerAuthRequest),
     N2(connect_server_auth_reply, ConnectServerAuthReply)},
    {code::MOVER_GET_STATE, V(), N2(mover_get_state_reply, MoverGetStateReply)},
    {code::MOVER_LISTEN, N2(mover_listen_request, MoverListenRequest), N2(mover_listen_reply, MoverListenReply)},
    {code::MOVER_CONTINUE, V(), N2(mover_continue_reply, ErrorReply)},
    {code::MOVER_ABORT, V(), N2(mover_abort_reply, ErrorReply)},
    {code::MOVER_STOP, V(), N2(mover_stop_reply, ErrorReply)},
    {code::MOVER_SET_WINDOW, N2(mover_set_window_request, MoverSetWindowRequest), N2(mover_set_window_reply, ErrorReply)},
    {code::MOVER_READ, N2(mover_read_request, MoverReadRequest), N2(mover_read_reply, ErrorReply)},
    {code::MOVER_CLOSE, V(), N2(mover_close_reply, ErrorReply)},
    {code::MOVER_SET_RECORD_SIZE, N2(mover_set_record_size_request, MoverSetRecordSizeRequest),
     N2(mover_set_record_size_reply, ErrorReply)},
};

const Row kRows3[] = {
    {code::CONFIG_GET_HOST_INFO, V(), N3(config_get_host_info_reply, ConfigGetHostInfoReply)},
    {code::CONFIG_GET_CONNECTION_TYPE, V(), N3(config_get_connection_type_reply, ConfigGetConnectionTypeReply)},
    {code::CONFIG_GET_AUTH_ATTR, N3(config_get_auth_attr_request, ConfigGetAuthAttrRequest),
     N3(config_get_auth_attr_reply, ConfigGetAuthAttrReply)},
    {code::CONFIG_GET_BUTYPE_INFO, V(), N3(config_get_butype_info_reply, ConfigGetButypeInfoReply)},
    {code::CONFIG_GET_FS_INFO, V(), N3(config_get_fs_info_reply, ConfigGetFsInfoReply)},
    {code::CONFIG_GET_TAPE_INFO, V(), N3(config_get_tape_info_reply, ConfigGetTapeInfoReply)},
    {code::CONFIG_GET_SCSI_INFO, V(), N3(config_get_scsi_info_reply, ConfigGetScsiInfoReply)},
    {code::CONFIG_GET_SERVER_INFO, V(), N3(config_get_server_info_reply, ConfigGetServerInfoReply)},
    {code::SCSI_OPEN, N3(scsi_open_request, ScsiOpenRequest), N3(scsi_open_reply, ErrorReply)},
    {code::SCSI_CLOSE, V(), N3(scsi_close_reply, ErrorReply)},
    {code::SCSI_GET_STATE, V(), N3(scsi_get_state_reply, ScsiGetStateReply)},
    {code::SCSI_SET_TARGET, N3(scsi_set_target_request, ScsiSetTargetRequest), N3(scsi_set_target_reply, ErrorReply)},
    {code::SCSI_RESET_DEVICE, V(), N3(scsi_reset_device_reply, ErrorReply)},
    {code::SCSI_RESET_BUS, V(), N3(scsi_reset_bus_reply, ErrorReply)},
    {code::SCSI_EXECUTE_CDB, N3(scsi_execute_cdb_request, ExecuteCdbRequest), N3(scsi_execute_cdb_reply, ExecuteCdbReply)},
    {code::TAPE_OPEN, N3(tape_open_request, TapeOpenRequest), N3(tape_open_reply, ErrorReply)},
    {code::TAPE_CLOSE, V(), N3(tape_close_reply, ErrorReply)},
    {code::TAPE_GET_STATE, V(), N3(tape_get_state_reply, TapeGetStateReply)},
    {code::TAPE_MTIO, N3(tape_mtio_request, TapeMtioRequest), N3(tape_mtio_reply, TapeMtioReply)},
    {code::TAPE_WRITE, N3(tape_write_request, TapeWriteRequest), N3(tape_write_reply, TapeWriteReply)},
    {code::TAPE_READ, N3(tape_read_request, TapeReadRequest), N3(tape_read_reply, TapeReadReply)},
    {code::TAPE_EXECUTE_CDB, N3(tape_execute_cdb_request, ExecuteCdbRequest), N3(tape_execute_cdb_reply, ExecuteCdbReply)},
    {code::DATA_GET_STATE, V(), N3(data_get_state_reply, DataGetStateReply)},
    {code::DATA_START_BACKUP, N3(data_start_backup_request, DataStartBackupRequest), N3(data_start_backup_reply, ErrorReply)},
    {code::DATA_START_RECOVER, N3(data_start_recover_request, DataStartRecoverRequest),
     N3(data_start_recover_reply, ErrorReply)},
    {code::DATA_ABORT, V(), N3(data_abort_reply, ErrorReply)},
    {code::DATA_GET_ENV, V(), N3(data_get_env_reply, DataGetEnvReply)},
    {code::DATA_STOP, V(), N3(data_stop_reply, ErrorReply)},
    {code::DATA_LISTEN, N3(data_listen_request, DataListenRequest), N3(data_listen_reply, DataListenReply)},
    {code::DATA_CONNECT, N3(data_connect_request, DataConnectRequest), N3(data_connect_reply, ErrorReply)},
    {code::DATA_START_RECOVER_FILEHIST, N3(data_start_recover_filehist_request, DataStartRecoverRequest),
     N3(data_start_recover_filehist_reply, ErrorReply)},
    {code::NOTIFY_DATA_HALTED, N3(notify_data_halted_post, NotifyDataHaltedPost), None()},
    {code::NOTIFY_CONNECTED, N3(notify_connected_post, NotifyConnectionStatusPost), None()},
    {code::NOTIFY_MOVER_HALTED, N3(notify_mover_halted_post, NotifyMoverHaltedPost), None()},
    {code::NOTIFY_MOVER_PAUSED, N3(notify_mover_paused_post, NotifyMoverPausedPost), None()},
    {code::NOTIFY_DATA_READ, N3(notify_data_read_post, NotifyDataReadPost), None()},
    {code::LOG_FILE, N3(log_file_post, LogFilePost), None()},
    {code::LOG_MESSAGE, N3(log_message_post, LogMessagePost), None()},
    {code::FH_ADD_FILE, N3(fh_add_file_post, FhAddFilePost), None()},
    {code::FH_ADD_DIR, N3(fh_add_dir_post, FhAddDirPost), None()},
    {code::FH_ADD_NODE, N3(fh_add_node_post, FhAddNodePost), None()},
    {code::CONNECT_OPEN, N3(connect_open_request, ConnectOpenRequest), N3(connect_open_reply, ErrorReply)},
    {code::CONNECT_CLIENT_AUTH, N3(connect_client_auth_request, ConnectClientAuthRequest),
     N3(connect_client_auth_reply, ErrorReply)},
    {code::CONNECT_CLOSE, V(), None()},
    {code::CONNECT_SERVER_AUTH, N3(connect_server_auth_request, ConnectServerAuthRequest),
     N3(connect_server_auth_reply, ConnectServerAuthReply)},
    {code::MOVER_GET_STATE, V(), N3(mover_get_state_reply, MoverGetStateReply)},
    {code::MOVER_LISTEN, N3(mover_listen_request, MoverListenRequest), N3(mover_listen_reply, MoverListenReply)},
    {code::MOVER_CONTINUE, V(), N3(mover_continue_reply, ErrorReply)},
    {code::MOVER_ABORT, V(), N3(mover_abort_reply, ErrorReply)},
    {code::MOVER_STOP, V(), N3(mover_stop_reply, ErrorReply)},
    {code::MOVER_SET_WINDOW, N3(mover_set_window_request, MoverSetWindowRequest), N3(mover_set_window_reply, ErrorReply)},
    {code::MOVER_READ, N3(mover_read_request, MoverReadRequest), N3(mover_read_reply, ErrorReply)},
    {code::MOVER_CLOSE, V(), N3(mover_close_reply, ErrorReply)},
    {code::MOVER_SET_RECORD_SIZE, N3(mover_set_record_size_request, MoverSetRecordSizeRequest),
     N3(mover_set_record_size_reply, ErrorReply)},
    {code::MOVER_CONNECT, N3(mover_connect_request, MoverConnectRequest), N3(mover_connect_reply, ErrorReply)},
};

const Row kRows4[] = {
    {code::CONFIG_GET_HOST_INFO, V(), N4(config_get_host_info_reply, ConfigGetHostInfoReply)},
    {code::CONFIG_GET_CONNECTION_TYPE, V(), N4(config_get_connection_type_reply, ConfigGetConnectionTypeReply)},
    {code::CONFIG_GET_AUTH_ATTR, N4(config_get_auth_attr_request, ConfigGetAuthAttrRequest),
     N4(config_get_auth_attr_reply, ConfigGetAuthAttrReply)},
    {code::CONFIG_GET_BUTYPE_INFO, V(), N4(config_get_butype_info_reply, ConfigGetButypeInfoReply)},
    {code::CONFIG_GET_FS_INFO, V(), N4(config_get_fs_info_reply, ConfigGetFsInfoReply)},
    {code::CONFIG_GET_TAPE_INFO, V(), N4(config_get_tape_info_reply, ConfigGetTapeInfoReply)},
    {code::CONFIG_GET_SCSI_INFO, V(), N4(config_get_scsi_info_reply, ConfigGetScsiInfoReply)},
    {code::CONFIG_GET_SERVER_INFO, V(), N4(config_get_server_info_reply, ConfigGetServerInfoReply)},
    {code::CONFIG_SET_EXT_LIST, N4(config_set_ext_list_request, ConfigSetExtListRequest),
     N4(config_set_ext_list_reply, ErrorReply)},
    {code::CONFIG_GET_EXT_LIST, V(), N4(config_get_ext_list_reply, ConfigGetExtListReply)},
    {code::SCSI_OPEN, N4(scsi_open_request, ScsiOpenRequest), N4(scsi_open_reply, ErrorReply)},
    {code::SCSI_CLOSE, V(), N4(scsi_close_reply, ErrorReply)},
    {code::SCSI_GET_STATE, V(), N4(scsi_get_state_reply, ScsiGetStateReply)},
    {code::SCSI_RESET_DEVICE, V(), N4(scsi_reset_device_reply, ErrorReply)},
    {code::SCSI_EXECUTE_CDB, N4(scsi_execute_cdb_request, ExecuteCdbRequest), N4(scsi_execute_cdb_reply, ExecuteCdbReply)},
    {code::TAPE_OPEN, N4(tape_open_request, TapeOpenRequest), N4(tape_open_reply, ErrorReply)},
    {code::TAPE_CLOSE, V(), N4(tape_close_reply, ErrorReply)},
    {code::TAPE_GET_STATE, V(), N4(tape_get_state_reply, TapeGetStateReply)},
    {code::TAPE_MTIO, N4(tape_mtio_request, TapeMtioRequest), N4(tape_mtio_reply, TapeMtioReply)},
    {code::TAPE_WRITE, N4(tape_write_request, TapeWriteRequest), N4(tape_write_reply, TapeWriteReply)},
    {code::TAPE_READ, N4(tape_read_request, TapeReadRequest), N4(tape_read_reply, TapeReadReply)},
    {code::TAPE_EXECUTE_CDB, N4(tape_execute_cdb_request, ExecuteCdbRequest), N4(tape_execute_cdb_reply, ExecuteCdbReply)},
    {code::DATA_GET_STATE, V(), N4(data_get_state_reply, DataGetStateReply)},
    {code::DATA_START_BACKUP, N4(data_start_backup_request, DataStartBackupRequest), N4(data_start_backup_reply, ErrorReply)},
    {code::DATA_START_RECOVER, N4(data_start_recover_request, DataStartRecoverRequest),
     N4(data_start_recover_reply, ErrorReply)},
    {code::DATA_ABORT, V(), N4(data_abort_reply, ErrorReply)},
    {code::DATA_GET_ENV, V(), N4(data_get_env_reply, DataGetEnvReply)},
    {code::DATA_STOP, V(), N4(data_stop_reply, ErrorReply)},
    {code::DATA_LISTEN, N4(data_listen_request, DataListenRequest), N4(data_listen_reply, DataListenReply)},
    {code::DATA_CONNECT, N4(data_connect_request, DataConnectRequest), N4(data_connect_reply, ErrorReply)},
    {code::DATA_START_RECOVER_FILEHIST, N4(data_start_recover_filehist_request, DataStartRecoverRequest),
     N4(data_start_recover_filehist_reply, ErrorReply)},
    {code::NOTIFY_DATA_HALTED, N4(notify_data_halted_post, NotifyDataHaltedPost), None()},
    {code::NOTIFY_CONNECTION_STATUS, N4(notify_connection_status_post, NotifyConnectionStatusPost), None()},
    {code::NOTIFY_MOVER_HALTED, N4(notify_mover_halted_post, NotifyMoverHaltedPost), None()},
    {code::NOTIFY_MOVER_PAUSED, N4(notify_mover_paused_post, NotifyMoverPausedPost), None()},
    {code::NOTIFY_DATA_READ, N4(notify_data_read_post, NotifyDataReadPost), None()},
    {code::LOG_FILE, N4(log_file_post, LogFilePost), None()},
    {code::LOG_MESSAGE, N4(log_message_post, LogMessagePost), None()},
    {code::FH_ADD_FILE, N4(fh_add_file_post, FhAddFilePost), None()},
    {code::FH_ADD_DIR, N4(fh_add_dir_post, FhAddDirPost), None()},
    {code::FH_ADD_NODE, N4(fh_add_node_post, FhAddNodePost), None()},
    {code::CONNECT_OPEN, N4(connect_open_request, ConnectOpenRequest), N4(connect_open_reply, ErrorReply)},
    {code::CONNECT_CLIENT_AUTH, N4(connect_client_auth_request, ConnectClientAuthRequest),
     N4(connect_client_auth_reply, ErrorReply)},
    {code::CONNECT_CLOSE, V(), None()},
    {code::CONNECT_SERVER_AUTH, N4(connect_server_auth_request, ConnectServerAuthRequest),
     N4(connect_server_auth_reply, ConnectServerAuthReply)},
    {code::MOVER_GET_STATE, V(), N4(mover_get_state_reply, MoverGetStateReply)},
    {code::MOVER_LISTEN, N4(mover_listen_request, MoverListenRequest), N4(mover_listen_reply, MoverListenReply)},
    {code::MOVER_CONTINUE, V(), N4(mover_continue_reply, ErrorReply)},
    {code::MOVER_ABORT, V(), N4(mover_abort_reply, ErrorReply)},
    {code::MOVER_STOP, V(), N4(mover_stop_reply, ErrorReply)},
    {code::MOVER_SET_WINDOW, N4(mover_set_window_request, MoverSetWindowRequest), N4(mover_set_window_reply, ErrorReply)},
    {code::MOVER_READ, N4(mover_read_request, MoverReadRequest), N4(mover_read_reply, ErrorReply)},
    {code::MOVER_CLOSE, V(), N4(mover_close_reply, ErrorReply)},
    {code::MOVER_SET_RECORD_SIZE, N4(mover_set_record_size_request, MoverSetRecordSizeRequest),
     N4(mover_set_record_size_reply, ErrorReply)},
    {code::MOVER_CONNECT, N4(mover_connect_request, MoverConnectRequest), N4(mover_connect_reply, ErrorReply)},
};

#undef N2
#undef N3
#undef N4

const VersionTable kTables[] = {
    {0, &decode_header<xdr_ndmp4_header>, &encode_header<xdr_ndmp4_header>, kRows0, std::size(kRows0)},
    {2, &decode_header<xdr_ndmp2_header>, &encode_header<xdr_ndmp2_header>, kRows2, std::size(kRows2)},
    {3, &decode_header<xdr_ndmp3_header>, &encode_header<xdr_ndmp3_header>, kRows3, std::size(kRows3)},
    {4, &decode_header<xdr_ndmp4_header>, &encode_header<xdr_ndmp4_header>, kRows4, std::size(kRows4)},
};

const VersionTable* table_for(int version) {
  for (const auto& t : kTables)
    if (t.version == version) return &t;
  return nullptr;
}

const Row* find_row(const VersionTable& t, uint32_t c) {
  for (size_t i = 0; i < t.count; ++i)
    if (t.rows[i].code == c) return &t.rows[i];
  return nullptr;
}

const BodyCodec* find_codec(int version, uint32_t c, MessageType type) {
  const VersionTable* t = table_for(version);
  if (t == nullptr) return nullptr;
  const Row* row = find_row(*t, c);
  if (row == nullptr) return nullptr;
  const BodyCodec& codec = type == MessageType::request ? row->request : row->reply;
  return codec.present() ? &codec : nullptr;
}

bool valid_type(MessageType t) { return t == MessageType::request || t == MessageType::reply; }

}  // namespace

const char* to_string(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::ok: return "ok";
    case DecodeStatus::short_record: return "record shorter than a message header";
    case DecodeStatus::bad_header: return "message header does not decode";
    case DecodeStatus::unknown_code: return "no such message in this protocol version";
    case DecodeStatus::bad_body: return "message body does not decode";
  }
  return "unknown decode status";
}

DecodeResult decode(int version, std::span<const uint8_t> record) {
  DecodeResult r;
  if (record.size() < kHeaderSize) {
    r.status = DecodeStatus::short_record;
    return r;
  }
  const VersionTable* t = table_for(version);
  // The header is the same in every version; an unknown version still gets
  // its header read so the caller can answer it.
  auto header_fn = t != nullptr ? t->decode_header : &decode_header<xdr_ndmp4_header>;
  XDR xdrs;
  xdrmem_create(&xdrs, const_cast<char*>(reinterpret_cast<const char*>(record.data())),
                static_cast<u_int>(std::min<size_t>(record.size(), UINT32_MAX)), XDR_DECODE);
  Header& h = r.message.header;
  if (!header_fn(&xdrs, h) || !valid_type(h.type)) {
    xdr_destroy(&xdrs);
    r.status = DecodeStatus::bad_header;
    return r;
  }
  if (h.type == MessageType::reply && h.error != Error::no_err) {
    // Facts 1.3: a reply with a header error has no body, whatever the code.
    xdr_destroy(&xdrs);
    r.message.body = std::make_unique<Empty>();
    r.status = DecodeStatus::ok;
    return r;
  }
  const BodyCodec* codec = find_codec(version, h.code, h.type);
  if (codec == nullptr) {
    xdr_destroy(&xdrs);
    r.status = DecodeStatus::unknown_code;
    return r;
  }
  r.message.body = codec->decode(&xdrs);
  xdr_destroy(&xdrs);
  r.status = r.message.body != nullptr ? DecodeStatus::ok : DecodeStatus::bad_body;
  return r;
}

DecodeResult decode(int version, std::span<const uint8_t> record, DecodeScratch& scratch) {
  // TAPE_WRITE's body is `opaque data<>` in every version: a length, the
  // bytes, padding to 4. Anything else, or a header that does not decode,
  // takes the general path (which also gives every error its status).
  if (record.size() < kHeaderSize + 4 || table_for(version) == nullptr ||
      find_codec(version, code::TAPE_WRITE, MessageType::request) == nullptr)
    return decode(version, record);
  const auto be32 = [&record](size_t at) {
    return static_cast<uint32_t>(record[at]) << 24 | static_cast<uint32_t>(record[at + 1]) << 16 |
           static_cast<uint32_t>(record[at + 2]) << 8 | static_cast<uint32_t>(record[at + 3]);
  };
  if (be32(8) != static_cast<uint32_t>(MessageType::request) || be32(12) != code::TAPE_WRITE) return decode(version, record);
  const size_t len = be32(kHeaderSize);
  const size_t body = record.size() - kHeaderSize - 4;
  if (len > body || (len + 3) / 4 * 4 > body) return decode(version, record);  // truncated: bad_body there
  DecodeResult r;
  XDR xdrs;
  xdrmem_create(&xdrs, const_cast<char*>(reinterpret_cast<const char*>(record.data())), kHeaderSize, XDR_DECODE);
  const bool header_ok = table_for(version)->decode_header(&xdrs, r.message.header);
  xdr_destroy(&xdrs);
  if (!header_ok) return decode(version, record);
  if (!scratch.tape_write) scratch.tape_write = std::make_unique<TapeWriteRequest>();
  const uint8_t* p = record.data() + kHeaderSize + 4;
  scratch.tape_write->data.assign(p, p + len);  // within its capacity after the first record
  r.message.body = std::move(scratch.tape_write);
  r.status = DecodeStatus::ok;
  return r;
}

void recycle(DecodeResult& decoded, DecodeScratch& scratch) {
  if (scratch.tape_write || !decoded.message.body) return;
  if (dynamic_cast<TapeWriteRequest*>(decoded.message.body.get()) == nullptr) return;
  scratch.tape_write.reset(static_cast<TapeWriteRequest*>(decoded.message.body.release()));
}

bool encode(int version, const Header& header, const Body* body, std::vector<uint8_t>& out) {
  out.clear();
  const VersionTable* t = table_for(version);
  if (t == nullptr || !valid_type(header.type)) return false;
  const Emitter emitter(t->encode_header, header, out);
  if (header.type == MessageType::reply && header.error != Error::no_err) return emitter.emit(nullptr, nullptr);
  const BodyCodec* codec = find_codec(version, header.code, header.type);
  if (codec == nullptr) return false;
  return codec->encode(body, emitter);
}

bool has_codec(int version, uint32_t c, MessageType type) { return find_codec(version, c, type) != nullptr; }

std::vector<uint32_t> codes(int version) {
  std::vector<uint32_t> out;
  if (const VersionTable* t = table_for(version))
    for (size_t i = 0; i < t->count; ++i) out.push_back(t->rows[i].code);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ndmp::xdr
