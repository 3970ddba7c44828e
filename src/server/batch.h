// `meta.batch`: an ordered list of metadata calls in one request, and the
// wire form of its items, shared by the server (server/methods.cc runs it)
// and the client (RemoteMetadata::CallBatch). docs/formats/rpc.md, "Batches".
//
// The calls run one after another in the order given, each on its own: a
// batch is not a transaction (each mutation commits by itself, and a call
// sees what the calls before it did). A failing call does not stop the
// later ones unless the request sets `stop_on_error`; then the rest answer
// Cancelled without running.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/codec.h"

namespace nokv::server {

// Most calls one batch may hold; a larger batch is refused whole.
inline constexpr size_t kMaxBatchCalls = 1024;

// One call of a batch: a `meta.*` method name and its argument map, as the
// single call would take it (docs/formats/rpc.md, "Methods").
struct BatchCall {
  std::string method;
  Json args = Json::object();
};

// The request payload of `meta.batch`.
Json BatchToWire(const std::vector<BatchCall>& calls, bool stop_on_error);

// One item of the answer: `{c}` for OK with no value, plus `v` the result,
// or `{c, r?, m?}` for an error (code, reason, message).
Json BatchItemToWire(const Result<Json>& result);
// Corruption when `item` is not an item of that form.
Result<Result<Json>> BatchItemFromWire(const Json& item);

// Runs the batch `args` with `run` (one method call); the answer is the
// list of items in call order. InvalidArgument for a malformed request or
// more than kMaxBatchCalls calls; a call to `meta.batch` itself or to
// `meta.watch` (a long poll) answers NotSupported in its item.
using BatchRunner = std::function<Result<Json>(std::string_view method, const Json& args)>;
Result<Json> RunBatch(const Json& args, const BatchRunner& run);

}  // namespace nokv::server
