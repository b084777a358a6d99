#include "tools/ndmpctl/server_link.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace ndmp::ctl {

bool parse_server_address(const std::string& text, std::string& host, uint16_t& port) {
  std::string h = text, p;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return false;
    h = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return false;
      p = text.substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (h.empty()) return false;
  host = h;
  if (!p.empty()) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535) return false;
    port = static_cast<uint16_t>(v);
  }
  return true;
}

Result<std::unique_ptr<client::Client>> connect_server(const ServerOptions& o) {
  auto c = std::make_unique<client::Client>();
  if (auto e = c->connect(o.host, o.port); !e.empty()) return Outcome::connection(e);
  if (o.version != 0 && o.version > c->announced_version())
    return Outcome::connection(fmt::format("the server offers NDMP version {} at most, version {} was asked for",
                                           c->announced_version(), o.version));
  if (auto e = c->open(o.version); !e.empty()) return Outcome::connection(e);
  std::string e;
  switch (o.auth) {
    case AuthMethod::md5: e = c->auth_md5(o.user, o.password); break;
    case AuthMethod::text: e = c->auth_text(o.user, o.password); break;
    case AuthMethod::none: e = c->auth_none(); break;
  }
  if (!e.empty()) return Outcome::connection(fmt::format("{} (user \"{}\")", e, o.user));
  return c;
}

Result<client::CallResult> ndmp_call(client::Client& c, uint32_t code, const msg::Body& req,
                                     const std::string& what) {
  const char* name = msg::code_name(code);
  auto r = c.call(code, req);
  if (!r.ok) return Outcome::connection(fmt::format("{}: {}", name ? name : "request", r.failure));
  if (auto err = r.error(); err != msg::Error::no_err)
    return Outcome::device(fmt::format("{} {}: {}", name ? name : "request", what, msg::to_string(err)));
  return r;
}

Result<std::unique_ptr<NdmpScsiTransport>> NdmpScsiTransport::open(std::unique_ptr<client::Client> c,
                                                                   const std::string& device) {
  msg::ScsiOpenRequest req;
  req.device = device;
  auto r = ndmp_call(*c, msg::code::SCSI_OPEN, req, device);
  if (!r.ok()) return r.outcome();
  return std::unique_ptr<NdmpScsiTransport>(new NdmpScsiTransport(std::move(c), device));
}

NdmpScsiTransport::~NdmpScsiTransport() {
  if (c_ && c_->fd() >= 0) (void)c_->call(msg::code::SCSI_CLOSE);
}

dev::CdbResult NdmpScsiTransport::execute(const dev::CdbCommand& cmd) {
  dev::CdbResult res;
  msg::ExecuteCdbRequest req;
  req.cdb.assign(cmd.cdb.begin(), cmd.cdb.end());
  req.timeout_ms = static_cast<uint32_t>(std::min<int64_t>(cmd.timeout.count(), 0xffffffffLL));
  if (cmd.direction == dev::Direction::in) {
    req.flags = 0x1;
    req.datain_len = static_cast<uint32_t>(cmd.data_in.size());
  } else if (cmd.direction == dev::Direction::out) {
    req.flags = 0x2;
    req.dataout.assign(cmd.data_out.begin(), cmd.data_out.end());
  }
  auto r = c_->call(msg::code::SCSI_EXECUTE_CDB, req);
  if (!r.ok) {
    res.transport = dev::TransportState::error;
    res.text = "SCSI_EXECUTE_CDB on " + device_ + ": " + r.failure;
    return res;
  }
  if (auto err = r.error(); err != msg::Error::no_err) {
    // The server could not run the CDB at all (timeout, no device...): below SCSI.
    res.transport = err == msg::Error::timeout ? dev::TransportState::timeout : dev::TransportState::error;
    res.text = fmt::format("SCSI_EXECUTE_CDB on {}: {}", device_, msg::to_string(err));
    return res;
  }
  const auto& x = r.as<msg::ExecuteCdbReply>();
  res.scsi_status = x.status;
  res.set_sense(x.ext_sense);
  if (cmd.direction == dev::Direction::in) {
    size_t n = std::min(x.datain.size(), cmd.data_in.size());
    std::memcpy(cmd.data_in.data(), x.datain.data(), n);
    res.resid = static_cast<int32_t>(cmd.data_in.size() - n);
  } else if (cmd.direction == dev::Direction::out) {
    res.resid = static_cast<int32_t>(cmd.data_out.size() - std::min<size_t>(x.dataout_len, cmd.data_out.size()));
  }
  return res;
}

}  // namespace ndmp::ctl
