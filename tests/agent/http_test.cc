// The Streamable HTTP transport's pieces that need no socket.
#include "agent/http.h"

#include <gtest/gtest.h>

#include "fake_backend.h"

namespace nokv::agent {
namespace {

TEST(HttpTest, LoopbackHostsAreRecognised) {
  for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "10.0.0.1", "example.com", "localhost.example.com", "::"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(HttpTest, ANonLoopbackListenerNeedsAToken) {
  FakeBackend backend;
  Server server(&backend, ServerOptions{});
  HttpOptions options;
  options.host = "0.0.0.0";
  HttpTransport open(&server, options);
  auto port = open.Bind();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().code(), Code::kPermissionDenied);
}

}  // namespace
}  // namespace nokv::agent
