// The dispatch table of each NDMP interface, each defined beside its
// handlers in this folder. The composition root (root/server.cc) indexes them
// into one DispatchIndex (session/dispatch.h) that every session shares.
#pragma once

#include <span>

#include "server/session/dispatch.h"

namespace ndmp::server {

std::span<const DispatchEntry> connect_table();
std::span<const DispatchEntry> config_table();
std::span<const DispatchEntry> scsi_table();
std::span<const DispatchEntry> tape_table();
std::span<const DispatchEntry> data_table();
std::span<const DispatchEntry> mover_table();

// All six, indexed.
DispatchIndex index_all_interfaces();

}  // namespace ndmp::server
