// `meta.batch` on both sides: the request and item wire forms, and the
// server's ordered run of the calls.
#include "server/batch.h"

#include "rpc/wire.h"

namespace nokv::server {

Json BatchToWire(const std::vector<BatchCall>& calls, bool stop_on_error) {
  Json list = Json::array();
  for (const BatchCall& call : calls) {
    list.push_back(Json{{"method", call.method}, {"args", call.args}});
  }
  Json out{{"calls", std::move(list)}};
  if (stop_on_error) out["stop_on_error"] = true;
  return out;
}

Json BatchItemToWire(const Result<Json>& result) {
  if (result.ok()) {
    Json item{{"c", 0}};
    if (!result->is_null()) item["v"] = *result;
    return item;
  }
  rpc::WireStatus wire = rpc::StatusToWire(result.status());
  Json item{{"c", wire.code}};
  if (wire.reason != 0) item["r"] = wire.reason;
  if (!wire.message.empty()) item["m"] = std::move(wire.message);
  return item;
}

Result<Result<Json>> BatchItemFromWire(const Json& item) {
  auto bad = [] { return Status::Corruption("meta.batch answered a malformed item"); };
  if (!item.is_object()) return bad();
  auto code = item.find("c");
  if (code == item.end() || !code->is_number_unsigned() || code->get<uint64_t>() > 255) {
    return bad();
  }
  rpc::WireStatus wire;
  wire.code = code->get<uint8_t>();
  if (wire.code == 0) {
    auto value = item.find("v");
    return Result<Json>(value == item.end() ? Json() : *value);
  }
  if (auto reason = item.find("r"); reason != item.end()) {
    if (!reason->is_number_unsigned() || reason->get<uint64_t>() > 255) return bad();
    wire.reason = reason->get<uint8_t>();
  }
  if (auto message = item.find("m"); message != item.end()) {
    if (!message->is_string()) return bad();
    wire.message = message->get<std::string>();
  }
  return Result<Json>(rpc::StatusFromWire(wire));
}

namespace {

// One call of the batch: its method and arguments checked, then run.
Result<Json> RunCall(const Json& call, const BatchRunner& run) {
  if (!call.is_object()) return Status::InvalidArgument("a batch call is a map {method, args}");
  auto method = call.find("method");
  if (method == call.end() || !method->is_string()) {
    return Status::InvalidArgument("a batch call needs a string 'method'");
  }
  const std::string& name = method->get_ref<const std::string&>();
  if (name == "meta.batch" || name == "meta.watch") {
    return Status::NotSupported("'" + name + "' cannot be called inside a batch");
  }
  auto args = call.find("args");
  static const Json kNoArgs = Json::object();
  return run(name, args == call.end() ? kNoArgs : *args);
}

}  // namespace

Result<Json> RunBatch(const Json& args, const BatchRunner& run) {
  if (!args.is_object()) return Status::InvalidArgument("meta.batch takes a map");
  auto calls = args.find("calls");
  if (calls == args.end() || !calls->is_array()) {
    return Status::InvalidArgument("meta.batch takes a list 'calls'");
  }
  if (calls->size() > kMaxBatchCalls) {
    return Status::InvalidArgument("meta.batch takes at most " + std::to_string(kMaxBatchCalls) +
                                   " calls, not " + std::to_string(calls->size()));
  }
  bool stop_on_error = false;
  if (auto stop = args.find("stop_on_error"); stop != args.end()) {
    if (!stop->is_boolean()) return Status::InvalidArgument("'stop_on_error' must be a boolean");
    stop_on_error = stop->get<bool>();
  }
  Json items = Json::array();
  bool stopped = false;
  for (const Json& call : *calls) {
    if (stopped) {
      items.push_back(BatchItemToWire(
          Status(Code::kCancelled, "not run: an earlier call of the batch failed")));
      continue;
    }
    Result<Json> result = RunCall(call, run);
    stopped = stop_on_error && !result.ok();
    items.push_back(BatchItemToWire(result));
  }
  return items;
}

}  // namespace nokv::server
