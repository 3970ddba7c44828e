// Block key formatting and parsing.
#include "object/block.h"

#include <set>

namespace nokv::object {

namespace {
constexpr std::string_view kBlockPrefix = "blocks/";
}  // namespace

std::string BlockKey(const Digest& digest) {
  std::string hex = DigestHex(digest);
  std::string key;
  key.reserve(kBlockPrefix.size() + 3 + hex.size());
  key += kBlockPrefix;
  key += hex.substr(0, 2);
  key.push_back('/');
  key += hex;
  return key;
}

bool ParseBlockKey(std::string_view key, Digest* digest) {
  if (!key.starts_with(kBlockPrefix)) return false;
  key.remove_prefix(kBlockPrefix.size());
  if (key.size() != 3 + 64 || key[2] != '/') return false;
  std::string_view hex = key.substr(3);
  if (hex.substr(0, 2) != key.substr(0, 2)) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;  // lowercase only
  }
  return ParseDigestHex(hex, digest);
}

std::vector<std::string> BlockKeys(const BodyLayout& layout) {
  std::vector<std::string> keys;
  std::set<Digest> seen;
  for (const BlockRef& ref : layout.blocks) {
    if (seen.insert(ref.digest).second) keys.push_back(BlockKey(ref.digest));
  }
  return keys;
}

}  // namespace nokv::object
