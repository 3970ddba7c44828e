// The hot metadata methods on their MessagePack payloads directly
// (methods.h, HandlePayload): arguments read with rpc::MsgReader, results
// written with server/fast_codec.h, no nlohmann::json tree either way.
//
// A direct form only takes the argument shapes it knows: when a payload has
// a value of another type, a missing argument or anything else it does not
// read, it answers nullopt before calling the backend, and HandlePayload
// runs the JSON path on the same bytes, which answers exactly as before
// (errors included). So the direct forms change costs, never answers.
#include <algorithm>

#include "rpc/payload.h"
#include "rpc/wire.h"
#include "server/batch.h"
#include "server/fast_codec.h"
#include "server/methods.h"

namespace nokv::server {
namespace {

using rpc::MsgReader;
using rpc::MsgWriter;

// The encoded empty map: the result of calls that return only a status.
constexpr std::string_view kEmptyMap{"\x80", 1};
// The encoded nil: a result the batch item leaves out.
constexpr std::string_view kNil{"\xc0", 1};

}  // namespace

// The arguments the direct forms read; each `has_` says it was present.
struct FastArgs {
  std::string_view path, name, after;
  uint64_t inode = 0, parent = 0, dir = 0, id = 0, limit = 1000;
  bool has_path = false, has_name = false, has_inode = false, has_parent = false;
  bool has_dir = false, has_id = false, attrs = false;
  fs::ReadAt at;
  meta::NodeOptions node;
};

namespace {

// False for anything but a map of known arguments of the expected types
// (unknown keys are skipped, as ArgReader ignores them).
bool ReadArgs(std::string_view payload, FastArgs* a) {
  MsgReader r(payload);
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "path") return a->has_path = r.Str(&a->path);
    if (k == "name") return a->has_name = r.Str(&a->name);
    if (k == "after") return r.Str(&a->after);
    if (k == "inode") return a->has_inode = r.Uint(&a->inode);
    if (k == "parent") return a->has_parent = r.Uint(&a->parent);
    if (k == "dir") return a->has_dir = r.Uint(&a->dir);
    if (k == "id") return a->has_id = r.Uint(&a->id);
    if (k == "limit") return r.Uint(&a->limit);
    if (k == "attrs") return r.Bool(&a->attrs);
    if (k == "at") return ReadReadAt(r, &a->at);
    if (k == "node") return ReadNodeOptions(r, &a->node);
    return r.Skip();
  });
  return ok && r.done();
}

template <typename T>
FastResult Answer(Result<T> result, void (*write)(MsgWriter&, const T&)) {
  if (!result.ok()) return Result<std::string>(result.status());
  std::string out;
  out.reserve(128);
  MsgWriter w(&out);
  write(w, *result);
  return Result<std::string>(std::move(out));
}

void WriteBatchItem(MsgWriter& w, const Result<std::string>& result) {
  if (result.ok()) {
    bool value = *result != kNil;
    w.Map(value ? 2 : 1);
    w.Str("c"), w.Uint(0);
    if (value) w.Str("v"), w.Raw(*result);
    return;
  }
  rpc::WireStatus wire = rpc::StatusToWire(result.status());
  w.Map(1 + (wire.reason != 0) + !wire.message.empty());
  w.Str("c"), w.Uint(wire.code);
  if (wire.reason != 0) w.Str("r"), w.Uint(wire.reason);
  if (!wire.message.empty()) w.Str("m"), w.Str(wire.message);
}

}  // namespace

void MetadataMethods::RegisterFast() {
  fs::Metadata* m = backend_;
  // The methods whose arguments are a flat map of FastArgs: each reads its
  // arguments, then (only if they are all there) runs.
  auto add = [this](const char* name, std::function<FastResult(const FastArgs&)> fn) {
    fast_.emplace(name, [fn = std::move(fn)](std::string_view payload) -> FastResult {
      FastArgs args;
      if (!ReadArgs(payload, &args)) return std::nullopt;
      return fn(args);
    });
  };
  add("meta.stat", [m](const FastArgs& a) -> FastResult {
    if (!a.has_path) return std::nullopt;
    return Answer(m->Stat(a.path, a.at), WriteAttr);
  });
  add("meta.getattr", [m](const FastArgs& a) -> FastResult {
    if (!a.has_inode) return std::nullopt;
    return Answer(m->GetAttr(a.inode, a.at), WriteAttr);
  });
  add("meta.lookup", [m](const FastArgs& a) -> FastResult {
    if (!a.has_parent || !a.has_name) return std::nullopt;
    return Answer(m->Lookup(a.parent, a.name, a.at), WriteDirEntry);
  });
  add("meta.readdir", [m](const FastArgs& a) -> FastResult {
    if (!a.has_dir) return std::nullopt;
    return Answer(m->ReadDir(a.dir, a.after, std::min(a.limit, kMaxPageEntries), a.attrs, a.at),
                  WriteDirPage);
  });
  add("meta.createat", [m](const FastArgs& a) -> FastResult {
    if (!a.has_parent || !a.has_name) return std::nullopt;
    return Answer(m->CreateAt(a.parent, a.name, a.node), WriteAttr);
  });
  add("meta.mkdirat", [m](const FastArgs& a) -> FastResult {
    if (!a.has_parent || !a.has_name) return std::nullopt;
    return Answer(m->MkdirAt(a.parent, a.name, a.node), WriteAttr);
  });
  add("meta.pin", [this, m](const FastArgs& a) -> FastResult {
    Result<fs::Pin> pin = m->PinRead(a.at);
    if (pin.ok()) Hold(LeaseKind::kPin, pin->id);
    return Answer(std::move(pin), WritePin);
  });
  add("meta.open", [this, m](const FastArgs& a) -> FastResult {
    if (a.has_path == a.has_inode) return std::nullopt;
    Result<fs::OpenedFile> file =
        a.has_path ? m->OpenFile(a.path, a.at) : m->OpenFileAt(a.inode, a.at);
    if (file.ok()) Hold(LeaseKind::kPin, file->pin.id);
    return Answer(std::move(file), WriteOpenedFile);
  });
  add("meta.unpin", [this, m](const FastArgs& a) -> FastResult {
    if (!a.has_id) return std::nullopt;
    if (Drop(LeaseKind::kPin, a.id)) m->Unpin(a.id);
    return Result<std::string>(std::string(kEmptyMap));
  });
  fast_.emplace("meta.batch", [this](std::string_view p) { return FastBatch(p); });
  fast_.emplace("meta.publish", [this](std::string_view p) { return FastPublish(p); });
}

FastResult MetadataMethods::FastPublish(std::string_view payload) {
  if (!rpc::ValidatePayload(payload).ok()) return std::nullopt;  // as FastBatch
  std::vector<meta::PublishRequest> files;
  bool have_files = false;
  MsgReader r(payload);
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k != "files") return r.Skip();
    uint32_t n = 0;
    if (!r.Array(&n)) return false;
    files.assign(n, meta::PublishRequest{});
    for (meta::PublishRequest& file : files) {
      if (!ReadPublishRequest(r, &file)) return false;
    }
    return have_files = true;
  });
  // An empty list is refused by the JSON path, with its message.
  if (!ok || !r.done() || !have_files || files.empty()) return std::nullopt;
  Result<std::vector<meta::Attr>> published = backend_->Publish(files);
  if (!published.ok()) return Result<std::string>(published.status());
  std::string out;
  out.reserve(published->size() * 96 + 8);
  MsgWriter w(&out);
  w.Array(static_cast<uint32_t>(published->size()));
  for (const meta::Attr& attr : *published) WriteAttr(w, attr);
  return Result<std::string>(std::move(out));
}

FastResult MetadataMethods::FastBatch(std::string_view payload) {
  // The JSON path refuses what the transport limits refuse, as a whole.
  if (!rpc::ValidatePayload(payload).ok()) return std::nullopt;
  struct Call {
    std::string_view method;
    std::string_view args = kEmptyMap;
  };
  std::vector<Call> calls;
  bool stop_on_error = false, have_calls = false;
  MsgReader r(payload);
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "stop_on_error") return r.Bool(&stop_on_error);
    if (k != "calls") return r.Skip();
    uint32_t n = 0;
    if (!r.Array(&n) || n > kMaxBatchCalls) return false;
    calls.assign(n, Call{});
    for (Call& call : calls) {
      bool named = false;
      if (!ReadFields(r,
                      [&](std::string_view key) {
                        if (key == "method") return named = r.Str(&call.method);
                        if (key == "args") return r.Skip(&call.args);
                        return r.Skip();
                      }) ||
          !named) {
        return false;
      }
    }
    return have_calls = true;
  });
  if (!ok || !r.done() || !have_calls) return std::nullopt;

  std::string out;
  MsgWriter w(&out);
  w.Array(static_cast<uint32_t>(calls.size()));
  bool stopped = false;
  for (const Call& call : calls) {
    Result<std::string> result = std::string();
    if (stopped) {
      result = Status(Code::kCancelled, "not run: an earlier call of the batch failed");
    } else if (call.method == "meta.batch" || call.method == "meta.watch") {
      result = Status::NotSupported("'" + std::string(call.method) +
                                    "' cannot be called inside a batch");
    } else {
      result = HandlePayload(call.method, call.args);
    }
    stopped = stopped || (stop_on_error && !result.ok());
    WriteBatchItem(w, result);
  }
  return Result<std::string>(std::move(out));
}

}  // namespace nokv::server
