#include "tools/ndmpctl/password.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace ndmp::ctl {
namespace {

Result<std::string> prompt(const std::string& user, const std::string& host) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Outcome::connection("no password: use --password-file FILE or NDMP_PASSWORD (no terminal to ask on)");
  std::string q = fmt::format("Password for {} on {}: ", user, host);
  (void)!::write(fd, q.data(), q.size());
  termios old{};
  bool have_termios = ::tcgetattr(fd, &old) == 0;
  if (have_termios) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string pw;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') pw += c;
  if (have_termios) ::tcsetattr(fd, TCSAFLUSH, &old);
  ::close(fd);
  return pw;
}

}  // namespace

Result<std::string> obtain_password(const std::string& file, const std::string& user, const std::string& host) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return Outcome::connection(fmt::format("cannot read the password file {}", file));
    std::string pw;
    std::getline(in, pw);
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    return pw;
  }
  if (const char* env = std::getenv("NDMP_PASSWORD")) return std::string(env);
  if (::isatty(STDIN_FILENO)) return prompt(user, host);
  return Outcome::connection(
      "no password: use --password-file FILE, set NDMP_PASSWORD, or run on a terminal to be asked");
}

}  // namespace ndmp::ctl
