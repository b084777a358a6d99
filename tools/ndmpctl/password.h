// Where the NDMP password comes from, in this order: --password-file (its
// first line), the NDMP_PASSWORD environment variable, or a prompt on the
// terminal with echo off. Never from the command line, where `ps` and shell
// history would show it to everyone.
#pragma once

#include <string>

#include "tools/ndmpctl/outcome.h"

namespace ndmp::ctl {

// `file` may be empty. The prompt is used only when standard input is a
// terminal; otherwise a missing password is Exit::connection with advice.
Result<std::string> obtain_password(const std::string& file, const std::string& user, const std::string& host);

}  // namespace ndmp::ctl
