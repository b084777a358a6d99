// Where MOVER_CONNECT and DATA_CONNECT (and v2's DATA_START_* with a mover
// address) may open a TCP connection. Without a rule a DMA could make ndmpd
// connect to any service this host reaches, tell open ports from closed
// ones, send bytes of its choosing there and read the answer back from tape
// (issue 15, item 5). `data-connect-allow` in ndmpd.conf is the rule.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "server/context/config.h"
#include "xdr/model.h"

namespace ndmp::server {


// Parses "a.b.c.d/len" or "a.b.c.d" (= /32).
bool parse_ipv4_net(const std::string& text, Ipv4Net& out);

// Every IPv4 address of this host's interfaces, host order.
std::vector<uint32_t> local_ipv4_addresses();

// Empty when ndmpd may connect to ip:port (host order), else why not.
// `allow` is data-connect-allow (nullopt = not configured: the default
// rule). The default refuses this host's own addresses (loopback, 0/8 and
// those in `local`) unless the DMA's control connection itself came over
// loopback, and multicast and broadcast. Ports below 1024 are refused
// under every rule: no NDMP data service listens there, system services do.
std::string data_connect_refusal(uint32_t ip, uint16_t port, const std::optional<std::vector<Ipv4Net>>& allow,
                                 bool dma_on_loopback, std::span<const uint32_t> local);

// The handlers' check: every TCP address in `addr` must pass. Logs a
// refusal and returns NDMP_ILLEGAL_ARGS_ERR before any connection is tried,
// so the answer is the same whether anything listens there or not.
msg::Error audit_data_connect(const Config& config, int control_fd, const std::string& tag, const msg::Addr& addr,
                              const char* request);

}  // namespace ndmp::server
