// A fresh embedded filesystem on an in-memory block store, for tests of the
// server side that need a real metadata backend.
#pragma once

#include <memory>
#include <string>

#include "fs/embedded.h"

namespace nokv::server {

inline Result<std::unique_ptr<fs::Filesystem>> OpenMemoryFs(const std::string& dir) {
  fs::EmbeddedOptions options;
  options.data_dir = dir;
  options.store.kind = fs::StoreConfig::Kind::kMemory;
  options.create_if_missing = true;
  return fs::OpenEmbedded(options);
}

}  // namespace nokv::server
