#include "xdr/model.h"

namespace ndmp::msg {

namespace {

struct ErrorName {
  Error value;
  const char* name;
};
// Keyed by value; looked up by value, never by position.
constexpr ErrorName kErrorNames[] = {
    {Error::no_err, "NDMP_NO_ERR"},
    {Error::not_supported, "NDMP_NOT_SUPPORTED_ERR"},
    {Error::device_busy, "NDMP_DEVICE_BUSY_ERR"},
    {Error::device_opened, "NDMP_DEVICE_OPENED_ERR"},
    {Error::not_authorized, "NDMP_NOT_AUTHORIZED_ERR"},
    {Error::permission, "NDMP_PERMISSION_ERR"},
    {Error::dev_not_open, "NDMP_DEV_NOT_OPEN_ERR"},
    {Error::io, "NDMP_IO_ERR"},
    {Error::timeout, "NDMP_TIMEOUT_ERR"},
    {Error::illegal_args, "NDMP_ILLEGAL_ARGS_ERR"},
    {Error::no_tape_loaded, "NDMP_NO_TAPE_LOADED_ERR"},
    {Error::write_protect, "NDMP_WRITE_PROTECT_ERR"},
    {Error::eof, "NDMP_EOF_ERR"},
    {Error::eom, "NDMP_EOM_ERR"},
    {Error::file_not_found, "NDMP_FILE_NOT_FOUND_ERR"},
    {Error::bad_file, "NDMP_BAD_FILE_ERR"},
    {Error::no_device, "NDMP_NO_DEVICE_ERR"},
    {Error::no_bus, "NDMP_NO_BUS_ERR"},
    {Error::xdr_decode, "NDMP_XDR_DECODE_ERR"},
    {Error::illegal_state, "NDMP_ILLEGAL_STATE_ERR"},
    {Error::undefined, "NDMP_UNDEFINED_ERR"},
    {Error::xdr_encode, "NDMP_XDR_ENCODE_ERR"},
    {Error::no_mem, "NDMP_NO_MEM_ERR"},
    {Error::connect, "NDMP_CONNECT_ERR"},
    {Error::sequence_num, "NDMP_SEQUENCE_NUM_ERR"},
    {Error::read_in_progress, "NDMP_READ_IN_PROGRESS_ERR"},
    {Error::precondition, "NDMP_PRECONDITION_ERR"},
    {Error::class_not_supported, "NDMP_CLASS_NOT_SUPPORTED_ERR"},
    {Error::version_not_supported, "NDMP_VERSION_NOT_SUPPORTED_ERR"},
    {Error::ext_dupl_classes, "NDMP_EXT_DUPL_CLASSES_ERR"},
    {Error::ext_dandn_illegal, "NDMP_EXT_DANDN_ILLEGAL_ERR"},
};

struct CodeName {
  uint32_t code;
  const char* name;
};
constexpr CodeName kCodeNames[] = {
    {code::CONFIG_GET_HOST_INFO, "CONFIG_GET_HOST_INFO"},
    {code::CONFIG_GET_BUTYPE_ATTR, "CONFIG_GET_BUTYPE_ATTR"},
    {code::CONFIG_GET_CONNECTION_TYPE, "CONFIG_GET_CONNECTION_TYPE"},
    {code::CONFIG_GET_AUTH_ATTR, "CONFIG_GET_AUTH_ATTR"},
    {code::CONFIG_GET_BUTYPE_INFO, "CONFIG_GET_BUTYPE_INFO"},
    {code::CONFIG_GET_FS_INFO, "CONFIG_GET_FS_INFO"},
    {code::CONFIG_GET_TAPE_INFO, "CONFIG_GET_TAPE_INFO"},
    {code::CONFIG_GET_SCSI_INFO, "CONFIG_GET_SCSI_INFO"},
    {code::CONFIG_GET_SERVER_INFO, "CONFIG_GET_SERVER_INFO"},
    {code::CONFIG_SET_EXT_LIST, "CONFIG_SET_EXT_LIST"},
    {code::CONFIG_GET_EXT_LIST, "CONFIG_GET_EXT_LIST"},
    {code::SCSI_OPEN, "SCSI_OPEN"},
    {code::SCSI_CLOSE, "SCSI_CLOSE"},
    {code::SCSI_GET_STATE, "SCSI_GET_STATE"},
    {code::SCSI_SET_TARGET, "SCSI_SET_TARGET"},
    {code::SCSI_RESET_DEVICE, "SCSI_RESET_DEVICE"},
    {code::SCSI_RESET_BUS, "SCSI_RESET_BUS"},
    {code::SCSI_EXECUTE_CDB, "SCSI_EXECUTE_CDB"},
    {code::TAPE_OPEN, "TAPE_OPEN"},
    {code::TAPE_CLOSE, "TAPE_CLOSE"},
    {code::TAPE_GET_STATE, "TAPE_GET_STATE"},
    {code::TAPE_MTIO, "TAPE_MTIO"},
    {code::TAPE_WRITE, "TAPE_WRITE"},
    {code::TAPE_READ, "TAPE_READ"},
    {code::TAPE_EXECUTE_CDB, "TAPE_EXECUTE_CDB"},
    {code::DATA_GET_STATE, "DATA_GET_STATE"},
    {code::DATA_START_BACKUP, "DATA_START_BACKUP"},
    {code::DATA_START_RECOVER, "DATA_START_RECOVER"},
    {code::DATA_ABORT, "DATA_ABORT"},
    {code::DATA_GET_ENV, "DATA_GET_ENV"},
    {code::DATA_STOP, "DATA_STOP"},
    {code::DATA_LISTEN, "DATA_LISTEN"},
    {code::DATA_CONNECT, "DATA_CONNECT"},
    {code::DATA_START_RECOVER_FILEHIST, "DATA_START_RECOVER_FILEHIST"},
    {code::NOTIFY_DATA_HALTED, "NOTIFY_DATA_HALTED"},
    {code::NOTIFY_CONNECTION_STATUS, "NOTIFY_CONNECTION_STATUS"},
    {code::NOTIFY_MOVER_HALTED, "NOTIFY_MOVER_HALTED"},
    {code::NOTIFY_MOVER_PAUSED, "NOTIFY_MOVER_PAUSED"},
    {code::NOTIFY_DATA_READ, "NOTIFY_DATA_READ"},
    {code::LOG_LOG, "LOG_LOG"},
    {code::LOG_DEBUG, "LOG_DEBUG"},
    {code::LOG_FILE, "LOG_FILE"},
    {code::LOG_MESSAGE, "LOG_MESSAGE"},
    {code::FH_ADD_UNIX_PATH, "FH_ADD_UNIX_PATH"},
    {code::FH_ADD_UNIX_DIR, "FH_ADD_UNIX_DIR"},
    {code::FH_ADD_UNIX_NODE, "FH_ADD_UNIX_NODE"},
    {code::FH_ADD_FILE, "FH_ADD_FILE"},
    {code::FH_ADD_DIR, "FH_ADD_DIR"},
    {code::FH_ADD_NODE, "FH_ADD_NODE"},
    {code::CONNECT_OPEN, "CONNECT_OPEN"},
    {code::CONNECT_CLIENT_AUTH, "CONNECT_CLIENT_AUTH"},
    {code::CONNECT_CLOSE, "CONNECT_CLOSE"},
    {code::CONNECT_SERVER_AUTH, "CONNECT_SERVER_AUTH"},
    {code::MOVER_GET_STATE, "MOVER_GET_STATE"},
    {code::MOVER_LISTEN, "MOVER_LISTEN"},
    {code::MOVER_CONTINUE, "MOVER_CONTINUE"},
    {code::MOVER_ABORT, "MOVER_ABORT"},
    {code::MOVER_STOP, "MOVER_STOP"},
    {code::MOVER_SET_WINDOW, "MOVER_SET_WINDOW"},
    {code::MOVER_READ, "MOVER_READ"},
    {code::MOVER_CLOSE, "MOVER_CLOSE"},
    {code::MOVER_SET_RECORD_SIZE, "MOVER_SET_RECORD_SIZE"},
    {code::MOVER_CONNECT, "MOVER_CONNECT"},
};

}  // namespace

const char* to_string(Error e) {
  for (const auto& row : kErrorNames)
    if (row.value == e) return row.name;
  return "NDMP_UNKNOWN_ERR";
}

const char* code_name(uint32_t c) {
  for (const auto& row : kCodeNames)
    if (row.code == c) return row.name;
  return nullptr;
}

}  // namespace ndmp::msg

namespace ndmp::msg {

Error reply_error(const Body& body) {
  // One line per reply type that has an error field; a reply type added to
  // the model without a line here reports no_err, which the codec round-trip
  // tests would not catch, so keep the list next to the model's reply structs.
#define NDMP_REPLY_ERROR(T) \
  if (auto* p = dynamic_cast<const T*>(&body)) return p->error;
  NDMP_REPLY_ERROR(ErrorReply)
  NDMP_REPLY_ERROR(ConnectServerAuthReply)
  NDMP_REPLY_ERROR(ConfigGetHostInfoReply)
  NDMP_REPLY_ERROR(ConfigGetButypeAttrReply)
  NDMP_REPLY_ERROR(ConfigGetConnectionTypeReply)
  NDMP_REPLY_ERROR(ConfigGetAuthAttrReply)
  NDMP_REPLY_ERROR(ConfigGetButypeInfoReply)
  NDMP_REPLY_ERROR(ConfigGetFsInfoReply)
  NDMP_REPLY_ERROR(ConfigGetTapeInfoReply)
  NDMP_REPLY_ERROR(ConfigGetScsiInfoReply)
  NDMP_REPLY_ERROR(ConfigGetServerInfoReply)
  NDMP_REPLY_ERROR(ConfigGetExtListReply)
  NDMP_REPLY_ERROR(ScsiGetStateReply)
  NDMP_REPLY_ERROR(ExecuteCdbReply)
  NDMP_REPLY_ERROR(TapeGetStateReply)
  NDMP_REPLY_ERROR(TapeMtioReply)
  NDMP_REPLY_ERROR(TapeWriteReply)
  NDMP_REPLY_ERROR(TapeReadReply)
  NDMP_REPLY_ERROR(DataGetStateReply)
  NDMP_REPLY_ERROR(DataGetEnvReply)
  NDMP_REPLY_ERROR(DataListenReply)
  NDMP_REPLY_ERROR(MoverGetStateReply)
  NDMP_REPLY_ERROR(MoverListenReply)
#undef NDMP_REPLY_ERROR
  return Error::no_err;
}

}  // namespace ndmp::msg
