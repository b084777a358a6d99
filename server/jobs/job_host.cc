#include "server/jobs/job_host.h"

#include "common/escape.h"

namespace ndmp::server {

bool log_to_dma(JobHost& s, msg::LogType type, const std::string& raw, PostKind kind) {
  const std::string text = log::escape_controls(raw);
  if (s.version() == 2) {
    msg::LogLogPost p;
    p.entry = text;
    return s.send_post(msg::code::LOG_LOG, p, kind);
  }
  msg::LogMessagePost p;
  p.type = type;
  p.entry = text;
  return s.send_post(msg::code::LOG_MESSAGE, p, kind);
}

}  // namespace ndmp::server
