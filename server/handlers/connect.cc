// CONNECT interface (0x900–0x903): version negotiation and authentication.
#include <atomic>
#include <chrono>
#include <optional>

#include "common/escape.h"
#include "common/log.h"
#include "server/context/context.h"
#include "server/handlers/tables.h"
#include "server/session/session.h"

namespace ndmp::server {
namespace {

using msg::Error;

Reply connect_open(Session& s, const msg::ConnectOpenRequest& req) {
  const int want = req.protocol_version;
  if (s.version_negotiated()) {
    // Facts 8 #13: the same version again is harmless; a change is not.
    if (want == s.version()) return error_reply(Error::no_err);
    log::warn("{}: CONNECT_OPEN asked for v{} after v{} was agreed; refused", s.tag(), want, s.version());
    return error_reply(Error::illegal_state);
  }
  if (want < 2 || want > Session::kAnnouncedVersion) {
    log::warn("{}: DMA asked for NDMP v{}; this server speaks v2, v3 and v4", s.tag(), want);
    return error_reply(Error::illegal_args);
  }
  s.set_version(want);
  log::info("{}: NDMP version {} agreed", s.tag(), want);
  return error_reply(Error::no_err);
}

const char* auth_name(msg::AuthType t) {
  switch (t) {
    case msg::AuthType::none: return "none";
    case msg::AuthType::text: return "text";
    case msg::AuthType::md5: return "MD5";
  }
  return "unknown";
}

Reply client_auth(Session& s, const msg::ConnectClientAuthRequest& req) {
  auto& ctx = s.ctx();
  const auto settings = ctx.settings();  // this login's users and methods, whatever a reload does meanwhile
  const auto& cfg = settings->config;
  const auto& a = req.auth;

  // Facts 5.1 / 8 #14: a method we do not offer is ILLEGAL_ARGS.
  const bool offered = (a.type == msg::AuthType::none && cfg.allow_auth_none) ||
                       (a.type == msg::AuthType::text && cfg.allow_auth_text) ||
                       (a.type == msg::AuthType::md5 && cfg.allow_auth_md5);
  if (!offered) {
    log::warn("{}: authentication method {} is not enabled (see 'auth' in ndmpd.conf)", s.tag(), auth_name(a.type));
    return error_reply(Error::illegal_args);
  }

  // The login brake (auth.h): one attempt at a time per source, each waiting
  // after earlier failures whatever its password, none while locked out.
  // The challenge is spent whatever happens below.
  std::optional<Challenge> challenge;
  if (a.type == msg::AuthType::md5) std::swap(challenge, s.md5_challenge());
  using Clock = LoginBrake::Clock;
  const std::string source = s.source();
  static const std::atomic<bool> kNever{false};
  const uint64_t ticket = ctx.brake.arrive(source, Clock::now());
  const auto turn = ctx.brake.wait_turn(source, ticket, s.login_deadline(),
                                        s.visitor() ? s.visitor()->cancelled : kNever);
  if (turn.verdict == LoginBrake::Verdict::refused) {
    ctx.brake.leave(source, ticket);
    const auto left = std::chrono::ceil<std::chrono::seconds>(turn.until - Clock::now()).count();
    log::warn("{}: login refused without checking the password: too many failed logins from {} "
              "(login-lockout-after); refused for {} s more; closing the connection", s.tag(), source, left);
    s.request_close();  // after this reply, as a new connection from there would be
    return error_reply(Error::not_authorized);
  }
  if (turn.verdict != LoginBrake::Verdict::go) {
    ctx.brake.leave(source, ticket);
    log::warn("{}: login attempt still waiting behind the login brake at its login deadline; closing", s.tag());
    s.request_close();
    return Reply::none();
  }

  bool ok = false;
  std::string why;
  if (a.type == msg::AuthType::none) {
    ok = true;
  } else {
    auto password = settings->users.password_of(a.id);
    if (!password || password->empty()) {
      why = "unknown user";
    } else if (a.type == msg::AuthType::text) {
      ok = a.password.size() == password->size() &&
           constant_time_equal(a.password.data(), password->data(), password->size());
      if (!ok) why = "wrong password";
    } else if (!challenge) {
      why = "no challenge was requested (CONFIG_GET_AUTH_ATTR) before the MD5 digest";
    } else {
      Digest expect = md5_digest(*password, *challenge);
      ok = constant_time_equal(expect.data(), a.digest.data(), expect.size());
      if (!ok) why = "wrong MD5 digest";
    }
  }
  ctx.brake.finish(source, ticket, ok, Clock::now());
  const std::string waited =
      turn.delay.count() ? fmt::format("; answered after the login brake's {} ms wait", turn.delay.count()) : "";

  if (!ok) {
    ++ctx.logins_failed;
    log::warn("{}: authentication failed for user \"{}\" ({}, {}){}", s.tag(), log::escape(a.id), auth_name(a.type),
              why, waited);
    return error_reply(Error::not_authorized);
  }
  if (s.visitor() && !ctx.front_door.log_in(*s.visitor())) {
    log::warn("{}: user \"{}\" gave the right password, but {} sessions are already logged in (max-sessions); "
              "login refused", s.tag(), log::escape(a.id), cfg.max_sessions);
    return error_reply(Error::not_authorized);
  }
  s.set_authenticated(a.type == msg::AuthType::none ? std::string("(none)") : a.id);
  ++ctx.logins_succeeded;
  log::info("{}: authenticated as \"{}\" ({}){}", s.tag(), log::escape(s.user()), auth_name(a.type), waited);
  return error_reply(Error::no_err);
}

Reply connect_close(Session& s, const msg::Empty&) {
  log::info("{}: DMA closed the connection (CONNECT_CLOSE)", s.tag());
  s.request_close();
  return Reply::none();
}

Reply server_auth(Session& s, const msg::ConnectServerAuthRequest&) {
  // Proving the server's identity needs a server secret DMAs know; none is
  // configured, so the optional message is declined the way ndmjob's server does.
  auto r = std::make_unique<msg::ConnectServerAuthReply>();
  r->error = Error::not_supported;
  r->result.type = msg::AuthType::none;
  return Reply::of(std::move(r));
}

const DispatchEntry kTable[] = {
    {msg::code::CONNECT_OPEN, "CONNECT_OPEN", kAllVersions, Access::before_auth,
     typed<msg::ConnectOpenRequest, connect_open>},
    {msg::code::CONNECT_CLIENT_AUTH, "CONNECT_CLIENT_AUTH", kAllVersions, Access::before_auth,
     typed<msg::ConnectClientAuthRequest, client_auth>},
    {msg::code::CONNECT_CLOSE, "CONNECT_CLOSE", kAllVersions, Access::before_auth, typed<msg::Empty, connect_close>},
    {msg::code::CONNECT_SERVER_AUTH, "CONNECT_SERVER_AUTH", kAllVersions, Access::authenticated,
     typed<msg::ConnectServerAuthRequest, server_auth>},
};

}  // namespace

std::span<const DispatchEntry> connect_table() { return kTable; }

}  // namespace ndmp::server
