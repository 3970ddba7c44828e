// LoadCurlApi: dlopen of libcurl and its symbols, once per process.
#include "object/curl_api.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace nokv::object {
namespace {

// Resolves `name` into *fn; false when the symbol is missing.
template <typename Fn>
bool Resolve(void* library, const char* name, Fn* fn) {
  *fn = reinterpret_cast<Fn>(::dlsym(library, name));
  return *fn != nullptr;
}

Result<const CurlApi*> Load() {
  void* library = ::dlopen(NOKV_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    return Status::NotSupported(std::string("S3 needs ") + NOKV_CURL_SONAME +
                                " (Debian package libcurl4): " + ::dlerror());
  }
  static CurlApi api;  // filled once, under the call_once below
  CURLcode (*global_init)(long) = nullptr;
  bool ok = Resolve(library, "curl_global_init", &global_init) &&
            Resolve(library, "curl_easy_init", &api.easy_init) &&
            Resolve(library, "curl_easy_cleanup", &api.easy_cleanup) &&
            Resolve(library, "curl_easy_reset", &api.easy_reset) &&
            Resolve(library, "curl_easy_setopt", &api.easy_setopt) &&
            Resolve(library, "curl_easy_perform", &api.easy_perform) &&
            Resolve(library, "curl_easy_getinfo", &api.easy_getinfo) &&
            Resolve(library, "curl_easy_strerror", &api.easy_strerror) &&
            Resolve(library, "curl_slist_append", &api.slist_append) &&
            Resolve(library, "curl_slist_free_all", &api.slist_free_all);
  if (!ok) {
    return Status::NotSupported(std::string(NOKV_CURL_SONAME) +
                                " lacks a function S3 needs: " + ::dlerror());
  }
  if (CURLcode code = global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    return Status::IOError("curl_global_init failed: " + std::string(api.easy_strerror(code)));
  }
  return &api;  // the library stays loaded for the process's lifetime
}

}  // namespace

Result<const CurlApi*> LoadCurlApi() {
  static std::once_flag once;
  static Result<const CurlApi*> loaded = Status::Aborted("not loaded");
  std::call_once(once, [] { loaded = Load(); });
  return loaded;
}

}  // namespace nokv::object
