// CurlApi: the libcurl functions S3Transport uses, loaded with dlopen on the
// first S3 store a process opens. Most nokv commands never talk to S3; linked
// normally, libcurl and the ~30 libraries it pulls in cost every process
// about 20 ms of CPU at start-up (dynamic loading and relocation, measured
// with perf stat on the benchmark VM), a large share of a small `nokv cat`.
//
// Thread-safe: LoadCurlApi may be called from any thread; the table it
// returns is immutable and lives for the whole process.
#pragma once

#include <curl/curl.h>

#include "common/result.h"

namespace nokv::object {

struct CurlApi {
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

// The libcurl this build was compiled against (its soname), loaded and
// globally initialized once; NotSupported naming the library and the
// loader's message when it cannot be loaded (install the libcurl4 package).
Result<const CurlApi*> LoadCurlApi();

}  // namespace nokv::object
