#include "server/handlers/tables.h"

namespace ndmp::server {

DispatchIndex index_all_interfaces() {
  return DispatchIndex{connect_table(), config_table(), scsi_table(), tape_table(), data_table(), mover_table()};
}

}  // namespace ndmp::server
