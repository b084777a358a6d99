#include "tools/ndmpctl/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace ndmp::ctl {
namespace {

std::atomic<int> g_presses{0};
static_assert(std::atomic<int>::is_always_lock_free);
struct sigaction g_previous {};

void say(const char* text) {
  size_t n = 0;
  while (text[n]) ++n;
  [[maybe_unused]] auto w = ::write(STDERR_FILENO, text, n);
}

void on_sigint(int) {
  if (g_presses.fetch_add(1) == 0) {
    say("\nndmpctl: interrupted: aborting the server's job and putting the tape back "
        "(press Ctrl-C again to leave at once)\n");
    return;
  }
  say("\nndmpctl: leaving now: the server's job may still be running or halted but not stopped, and a tape "
      "may still be in the drive; check with 'ndmpctl status' and the server's log\n");
  ::_exit(static_cast<int>(130));
}

}  // namespace

InterruptScope::InterruptScope() {
  g_presses = 0;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and writes carry on; a waiting poll returns EINTR and the loop looks at the flag
  ::sigaction(SIGINT, &sa, &g_previous);
}

InterruptScope::~InterruptScope() { ::sigaction(SIGINT, &g_previous, nullptr); }

bool interrupt_requested() { return g_presses.load() > 0; }

}  // namespace ndmp::ctl
