// Address parsing and printing.
#include "rpc/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <charconv>

namespace nokv::rpc {
namespace {

Result<Address> ParseUnix(std::string_view path) {
  if (path.empty()) return Status::InvalidArgument("rpc address: empty Unix socket path");
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status::InvalidArgument("rpc address: Unix socket path longer than 107 bytes: " +
                                   std::string(path));
  }
  Address address;
  address.transport = Transport::kUnix;
  address.path = std::string(path);
  return address;
}

Result<Address> ParseTcp(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("rpc address: expected host:port, unix:PATH or /PATH, got '" +
                                   std::string(text) + "'");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Status::InvalidArgument("rpc address: write an IPv6 host in brackets: '" +
                                   std::string(text) + "'");
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      value > UINT16_MAX) {
    return Status::InvalidArgument("rpc address: bad host or port in '" + std::string(text) + "'");
  }
  Address address;
  address.transport = Transport::kTcp;
  address.host = std::string(host);
  address.port = static_cast<uint16_t>(value);
  return address;
}

}  // namespace

std::string_view TransportName(Transport transport) {
  return transport == Transport::kUnix ? "unix" : "tcp";
}

std::string Address::ToString() const {
  if (transport == Transport::kUnix) return "unix:" + path;
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Address> ParseAddress(std::string_view text) {
  if (text.starts_with("unix:")) return ParseUnix(text.substr(5));
  if (text.starts_with("/")) return ParseUnix(text);
  if (text.starts_with("tcp:")) return ParseTcp(text.substr(4));
  return ParseTcp(text);
}

bool HostIsLoopback(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (host.empty() || ::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  bool loopback = found != nullptr;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr.s_addr);
      loopback &= (ip >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      loopback &=
          IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr) != 0;
    } else {
      loopback = false;
    }
  }
  ::freeaddrinfo(found);
  return loopback;
}

}  // namespace nokv::rpc
