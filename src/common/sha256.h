// SHA-256 over OpenSSL's EVP interface: the content digest of blocks and bodies.
//
// A Sha256 object is a streaming hasher owned by one thread at a time.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace nokv {

using Digest = std::array<unsigned char, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::string_view data);
  // Returns the digest and resets the hasher for reuse.
  Digest Finish();

  // One-shot digest of `data`.
  static Digest Of(std::string_view data);

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

// 64 lowercase hex characters.
std::string DigestHex(const Digest& digest);
// Parses 64 hex characters; false otherwise.
bool ParseDigestHex(std::string_view hex, Digest* out);

}  // namespace nokv
