// SHA-256 via OpenSSL EVP (SHA-NI or AVX2 code paths come with OpenSSL).
#include "common/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

#include "common/coding.h"

namespace nokv {

struct Sha256::Context {
  EVP_MD_CTX* md = nullptr;
  ~Context() { EVP_MD_CTX_free(md); }
};

namespace {
void Reset(EVP_MD_CTX* md) {
  // Failure here means OpenSSL itself is broken: a programmer-level invariant.
  if (EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) std::abort();
}
}  // namespace

Sha256::Sha256() : ctx_(std::make_unique<Context>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (ctx_->md == nullptr) std::abort();
  Reset(ctx_->md);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(std::string_view data) { EVP_DigestUpdate(ctx_->md, data.data(), data.size()); }

Digest Sha256::Finish() {
  Digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out.data(), &len);
  Reset(ctx_->md);
  return out;
}

Digest Sha256::Of(std::string_view data) {
  Sha256 hasher;
  hasher.Update(data);
  return hasher.Finish();
}

std::string DigestHex(const Digest& digest) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

bool ParseDigestHex(std::string_view hex, Digest* out) {
  std::string raw;
  if (hex.size() != 64 || !HexDecode(hex, &raw)) return false;
  std::memcpy(out->data(), raw.data(), 32);
  return true;
}

}  // namespace nokv
