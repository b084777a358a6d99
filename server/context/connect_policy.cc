#include "server/context/connect_policy.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "server/datapath/channel.h"
#include "server/context/context.h"
#include "server/session/session.h"

namespace ndmp::server {
namespace {

bool in_net(uint32_t ip, uint32_t net, int prefix) {
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (ip & mask) == (net & mask);
}

// The control connection's peer is this host's loopback: the DMA runs here
// with whatever a local user may already reach, so local data peers (two
// servers on one host, ndmjob's three-way tests) give it nothing new.
bool peer_is_loopback(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    return in_net(ntohl(a->sin_addr.s_addr), 0x7f000000, 8);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      uint32_t v4;
      std::memcpy(&v4, a->sin6_addr.s6_addr + 12, 4);
      return in_net(ntohl(v4), 0x7f000000, 8);
    }
  }
  return false;
}

}  // namespace

bool parse_ipv4_net(const std::string& text, Ipv4Net& out) {
  const auto slash = text.find('/');
  const std::string host = text.substr(0, slash);
  in_addr a{};
  if (::inet_pton(AF_INET, host.c_str(), &a) != 1) return false;
  int prefix = 32;
  if (slash != std::string::npos) {
    const std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos) return false;
    prefix = std::stoi(len);
    if (prefix > 32) return false;
  }
  out.net = ntohl(a.s_addr);
  out.prefix = static_cast<uint8_t>(prefix);
  return true;
}

std::vector<uint32_t> local_ipv4_addresses() {
  std::vector<uint32_t> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* i = list; i; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
      out.push_back(ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr));
  ::freeifaddrs(list);
  return out;
}

std::string data_connect_refusal(uint32_t ip, uint16_t port, const std::optional<std::vector<Ipv4Net>>& allow,
                                 bool dma_on_loopback, std::span<const uint32_t> local) {
  if (port < 1024) return "a privileged port";
  if (allow) {
    for (const auto& n : *allow)
      if (in_net(ip, n.net, n.prefix)) return {};
    return "not in data-connect-allow";
  }
  if (in_net(ip, 0xe0000000, 4) || ip == 0xffffffff) return "a multicast or broadcast address";
  const bool own = in_net(ip, 0x7f000000, 8) || in_net(ip, 0, 8) ||
                   std::find(local.begin(), local.end(), ip) != local.end();
  if (own && !dma_on_loopback)
    return "an address of this host, and the DMA is not on this host (see data-connect-allow)";
  return {};
}

msg::Error audit_data_connect(Session& s, const msg::Addr& addr, const char* request) {
  if (addr.type != msg::AddrType::tcp) return msg::Error::no_err;
  const auto settings = s.ctx().settings();
  const auto& allow = settings->config.data_connect_allow;
  const bool loopback = peer_is_loopback(s.control_fd());
  const auto local = allow ? std::vector<uint32_t>{} : local_ipv4_addresses();
  for (const auto& a : addr.tcp) {
    std::string why = data_connect_refusal(a.ip, a.port, allow, loopback, local);
    if (!why.empty()) {
      log::warn("{}: {} to {}:{} refused: {}", s.tag(), request, ipv4_text(a.ip), a.port, why);
      return msg::Error::illegal_args;
    }
  }
  return msg::Error::no_err;
}

}  // namespace ndmp::server
