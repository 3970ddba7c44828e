// Token loading and comparison.
#include "rpc/auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "common/sha256.h"
#include "rpc/wire.h"

namespace nokv::rpc {
namespace {

Result<std::string> CheckToken(std::string token, const std::string& source) {
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' ||
                            token.back() == '\t')) {
    token.pop_back();
  }
  if (token.empty())
    return Status::InvalidArgument("rpc: the auth token in " + source + " is empty");
  if (token.size() > kMaxTokenBytes) {
    return Status::InvalidArgument("rpc: the auth token in " + source + " is longer than " +
                                   std::to_string(kMaxTokenBytes) + " bytes");
  }
  return token;
}

}  // namespace

bool TokensEqual(std::string_view a, std::string_view b) {
  Digest da = Sha256::Of(a);
  Digest db = Sha256::Of(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

Result<std::string> LoadTokenFromFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "rpc: token file " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "rpc: token file " + path);
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::PermissionDenied("rpc: token file " + path + " has mode " + mode +
                                    ": it must not be accessible to group or others (chmod 600)");
  }
  std::string token;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0 && token.size() <= kMaxTokenBytes + 64) {
    token.append(buf, static_cast<size_t>(n));
  }
  int err = errno;
  ::close(fd);
  if (n < 0) return Status::FromErrno(err, "rpc: token file " + path);
  return CheckToken(std::move(token), "file " + path);
}

Result<std::string> LoadTokenFromEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') {
    return Status::NotFound("rpc: environment variable " + name + " is not set");
  }
  return CheckToken(value, "environment variable " + name);
}

}  // namespace nokv::rpc
