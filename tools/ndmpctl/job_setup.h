// What backup and restore share before the first DATA/MOVER request: the
// options every job takes, the two servers, the drive (name for TAPE_OPEN,
// number for the robot), and the logged-in connections.
//
// The robot and the drive are always the TAPE server's (the mover writes to
// a drive of its own session); the data server only reads or writes files.
// Threads: the job thread only.
#pragma once

#include <memory>
#include <string>

#include "tools/ndmpctl/cmd_args.h"
#include "tools/ndmpctl/commands.h"
#include "tools/ndmpctl/job_link.h"
#include "tools/ndmpctl/progress.h"

namespace ndmp::ctl {

// --drive, --data-server, --tape-server, --progress.
void add_job_options(SubArgs& a);

struct JobSetup {
  ServerOptions data_server, tape_server;
  std::unique_ptr<Target> tape_target;  // changer and drive names of the tape server
  std::string drive_name;               // as TAPE_OPEN wants it
  std::optional<unsigned> drive_index;  // mtx drive number, when known
  std::unique_ptr<JobLink> link;
  ProgressStyle style = ProgressStyle::lines;
};

// Resolves and connects. usage() for missing servers or a bad --progress,
// connection() when a login fails.
Result<JobSetup> set_up_job(Context& ctx, const SubArgs& a);

}  // namespace ndmp::ctl
