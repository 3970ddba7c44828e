// Address: where an RPC server listens or a client connects.
//
// One textual form, parsed by ParseAddress and printed by ToString:
//   unix:/path/to/sock    a Unix-domain socket (any path after "unix:")
//   /abs/path.sock        the same, for an absolute path
//   host:port             TCP; host is a name, an IPv4 address or [IPv6]
//   tcp:host:port         the same, explicitly
// Port 0 means "any free port" when listening. Value type; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace nokv::rpc {

enum class Transport : uint8_t { kUnix, kTcp };

// "unix" or "tcp".
std::string_view TransportName(Transport transport);

struct Address {
  Transport transport = Transport::kTcp;
  std::string host;  // kTcp: without brackets
  uint16_t port = 0;
  std::string path;  // kUnix

  // "unix:/path" or "host:port" ("[::1]:port" for IPv6 literals).
  std::string ToString() const;
};

// Parses the forms above. InvalidArgument for an empty host or path, a port
// that is not a number in 0..65535, or a socket path longer than the 107
// bytes sockaddr_un holds.
Result<Address> ParseAddress(std::string_view text);

// True when `host` names only loopback addresses (127.0.0.0/8, ::1): every
// address it resolves to is one. A name that does not resolve is not
// loopback. For listeners that bind by name (the HTTP control plane); the
// RPC server checks the address it actually bound.
bool HostIsLoopback(const std::string& host);

}  // namespace nokv::rpc
