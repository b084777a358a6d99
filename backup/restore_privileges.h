// What a restore may create beyond plain files, directories, symlinks,
// hard links and FIFOs (issue 15 item 8). A tape is content from elsewhere:
// by default a restore refuses device nodes, clears set-uid/set-gid bits and
// restores only user.* extended attributes and POSIX ACLs. Whoever restores
// a whole system turns on what it needs with `restore-privileges` in
// ndmpd.conf(5).
#pragma once

#include <string>

namespace ndmp::backup {

struct RestorePrivileges {
  bool devices = false;          // block and character device nodes
  bool setid = false;            // set-uid and set-gid bits
  bool trusted_xattrs = false;   // trusted.* extended attributes
  bool security_xattrs = false;  // security.* (SELinux labels, capabilities)
  bool flags = false;            // file flags (immutable, append-only, nodump...)

  static RestorePrivileges all() { return {true, true, true, true, true}; }
};

// Parses "devices, setid, trusted-xattrs, security-xattrs, flags" (any
// subset, comma-separated; "" or "none" = none, "all" = every one). On a bad
// word returns false and names it in `error`.
bool parse_restore_privileges(const std::string& text, RestorePrivileges& out, std::string& error);

// The words of `p`, comma-separated ("none" if empty), for --check and logs.
std::string to_string(const RestorePrivileges& p);

}  // namespace ndmp::backup
