#include "tools/ndmpctl/job_link.h"

#include <fmt/format.h>

namespace ndmp::ctl {

JobLink::JobLink(std::unique_ptr<client::Client> both, std::string who)
    : data_(std::move(both)), data_who_(std::move(who)) {}

JobLink::JobLink(std::unique_ptr<client::Client> data, std::string data_who, std::unique_ptr<client::Client> tape,
                 std::string tape_who)
    : data_(std::move(data)), tape_(std::move(tape)), data_who_(std::move(data_who)), tape_who_(std::move(tape_who)) {}

Result<client::CallResult> JobLink::call(Side side, uint32_t c, const msg::Body& req) {
  auto& cl = side == Side::data ? data() : tape();
  const char* name = msg::code_name(c);
  auto r = cl.call(c, req);
  const std::string who = three_way() ? fmt::format(" ({} server {})", side == Side::data ? "data" : "tape",
                                                    side == Side::data ? data_who_ : tape_who_)
                                      : std::string();
  if (!r.ok) return Outcome::connection(fmt::format("{}{}: {}", name ? name : "request", who, r.failure));
  if (auto e = r.error(); e != msg::Error::no_err)
    return Outcome::job(fmt::format("{}{}: {}", name ? name : "request", who, msg::to_string(e)));
  return r;
}

void JobLink::pump(std::chrono::milliseconds budget, const std::function<void(Side, const xdr::Message&)>& handle) {
  bool got = false;
  auto drain = [&](Side side, client::Client& c) {
    while (auto m = c.next_post(0, std::chrono::milliseconds(0))) {
      handle(side, *m);
      got = true;
    }
  };
  drain(Side::data, data());
  if (three_way()) drain(Side::tape, tape());
  if (got) return;
  // Nothing queued: wait on the connection(s). With two, share the budget in
  // short turns so a post on either is seen within ~50 ms.
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto turn = three_way() ? std::chrono::milliseconds(50) : budget;
    if (auto m = data().next_post(0, turn)) {
      handle(Side::data, *m);
      drain(Side::data, data());
      return;
    }
    if (!three_way()) return;
    if (auto m = tape().next_post(0, turn)) {
      handle(Side::tape, *m);
      drain(Side::tape, tape());
      return;
    }
  }
}

Outcome job_servers(const ServerOptions& base, const std::string& data_server, const std::string& tape_server,
                    ServerOptions& d, ServerOptions& t) {
  auto options_for = [&](const std::string& addr, ServerOptions& o) -> Outcome {
    o = base;
    if (addr.empty()) return {};
    o.port = 10000;
    if (!parse_server_address(addr, o.host, o.port))
      return Outcome::usage(fmt::format("bad server address \"{}\" (HOST[:PORT])", addr));
    return {};
  };
  if (auto o = options_for(data_server, d); !o.ok()) return o;
  if (auto o = options_for(tape_server, t); !o.ok()) return o;
  if (d.host.empty() || t.host.empty())
    return Outcome::usage("name the server: --server HOST, or --data-server HOST and --tape-server HOST");
  return {};
}

Result<std::unique_ptr<JobLink>> connect_job(const ServerOptions& d, const ServerOptions& t) {
  auto who = [](const ServerOptions& o) { return fmt::format("{}:{}", o.host, o.port); };
  auto dc = connect_server(d);
  if (!dc.ok()) return dc.outcome();
  if (d.host == t.host && d.port == t.port) return std::make_unique<JobLink>(std::move(dc.value()), who(d));
  auto tc = connect_server(t);
  if (!tc.ok()) return tc.outcome();
  return std::make_unique<JobLink>(std::move(dc.value()), who(d), std::move(tc.value()), who(t));
}

Result<msg::Addr> start_mover(JobLink& link, msg::MoverMode mode, uint64_t window_offset, uint64_t window_length) {
  msg::MoverSetWindowRequest w;
  w.offset = window_offset;
  w.length = window_length;
  msg::MoverListenRequest l;
  l.mode = mode;
  l.type = link.three_way() ? msg::AddrType::tcp : msg::AddrType::local;
  const bool window_first = link.tape().version() >= 4;
  if (window_first)
    if (auto r = link.call(Side::tape, msg::code::MOVER_SET_WINDOW, w); !r.ok()) return r.outcome();
  auto r = link.call(Side::tape, msg::code::MOVER_LISTEN, l);
  if (!r.ok()) return r.outcome();
  msg::Addr addr = r->as<msg::MoverListenReply>().addr;
  if (!window_first)
    if (auto x = link.call(Side::tape, msg::code::MOVER_SET_WINDOW, w); !x.ok()) return x.outcome();
  return addr;
}

Outcome connect_data(JobLink& link, const msg::Addr& addr) {
  if (link.data().version() < 3) return {};
  msg::DataConnectRequest c;
  c.addr = addr;
  auto r = link.call(Side::data, msg::code::DATA_CONNECT, c);
  return r.ok() ? Outcome::success() : r.outcome();
}

const char* halt_name(msg::DataHaltReason r) {
  switch (r) {
    case msg::DataHaltReason::na: return "NA";
    case msg::DataHaltReason::successful: return "SUCCESSFUL";
    case msg::DataHaltReason::aborted: return "ABORTED";
    case msg::DataHaltReason::internal_error: return "INTERNAL_ERROR";
    case msg::DataHaltReason::connect_error: return "CONNECT_ERROR";
  }
  return "unknown";
}

const char* halt_name(msg::MoverHaltReason r) {
  switch (r) {
    case msg::MoverHaltReason::na: return "NA";
    case msg::MoverHaltReason::connect_closed: return "CONNECT_CLOSED";
    case msg::MoverHaltReason::aborted: return "ABORTED";
    case msg::MoverHaltReason::internal_error: return "INTERNAL_ERROR";
    case msg::MoverHaltReason::connect_error: return "CONNECT_ERROR";
    case msg::MoverHaltReason::media_error: return "MEDIA_ERROR";
  }
  return "unknown";
}

const char* pause_name(msg::MoverPauseReason r) {
  switch (r) {
    case msg::MoverPauseReason::na: return "NA";
    case msg::MoverPauseReason::eom: return "EOM";
    case msg::MoverPauseReason::eof: return "EOF";
    case msg::MoverPauseReason::seek: return "SEEK";
    case msg::MoverPauseReason::media_error: return "MEDIA_ERROR";
    case msg::MoverPauseReason::eow: return "EOW";
  }
  return "unknown";
}

}  // namespace ndmp::ctl
