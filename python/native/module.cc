// nokv._native: the Python extension over fs::Filesystem.
//
// Only translation: Python arguments to Filesystem calls and back (values in
// convert.h). Every call that may block (metadata, block I/O, local files)
// runs with the GIL released, so Python threads and DataLoader workers read
// in parallel. The friendlier API (file objects, trees, fsspec) is the pure
// Python package around this module (python/nokv).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <utility>

#include "client.h"
#include "common/logging.h"
#include "convert.h"
#include "reader.h"
#include "transfer.h"

namespace nokv::python {
namespace {

// Runs `fn` with the GIL released.
template <typename Fn>
auto Unlocked(Fn&& fn) {
  py::gil_scoped_release release;
  return fn();
}

fs::Filesystem* FsOf(ClientCore& core) {
  return Check(Unlocked([&] { return core.Fs(); }));
}

fs::ReadAt At(const std::string& snapshot) { return fs::ReadAt{snapshot, 0}; }

meta::PublishMode ParsePublishMode(const std::string& mode) {
  if (mode == "create") return meta::PublishMode::kCreate;
  if (mode == "replace") return meta::PublishMode::kReplace;
  if (mode == "if_generation") return meta::PublishMode::kReplaceIfGeneration;
  throw py::value_error("mode must be 'create', 'replace' or 'if_generation', not '" + mode + "'");
}

meta::RenameMode ParseRenameMode(const std::string& mode) {
  if (mode == "replace") return meta::RenameMode::kReplace;
  if (mode == "no_replace") return meta::RenameMode::kNoReplace;
  if (mode == "exchange") return meta::RenameMode::kExchange;
  throw py::value_error("mode must be 'replace', 'no_replace' or 'exchange', not '" + mode + "'");
}

fs::WriteOptions MakeWriteOptions(const std::string& mode, uint64_t expected_generation,
                                  const std::string& content_type, const std::string& producer,
                                  bool parents) {
  fs::WriteOptions options;
  options.mode = ParsePublishMode(mode);
  options.expected_generation = expected_generation;
  options.content_type = content_type;
  options.producer = producer;
  options.parents = parents;
  return options;
}

// Raises the error of a failed write; a failed generation check becomes
// nokv.ConflictError with the generation found now.
template <typename T>
T CheckWrite(Result<T> result, fs::Filesystem* fs, std::string_view path,
             const fs::WriteOptions& options) {
  if (result.ok()) return std::move(*result);
  const Status& status = result.status();
  if (options.mode == meta::PublishMode::kReplaceIfGeneration &&
      status.Is(Code::kFailedPrecondition)) {
    auto now = Unlocked([&] { return fs->Stat(path); });
    RaiseConflict(status, path, options.expected_generation, now.ok() ? now->generation : 0);
  }
  Raise(status, path);
}

py::list AttrList(const std::vector<meta::Attr>& attrs, const std::vector<std::string>& paths) {
  py::list list(attrs.size());
  for (size_t i = 0; i < attrs.size(); ++i) list[i] = AttrDict(attrs[i], paths[i]);
  return list;
}

using PyClient = py::class_<ClientCore, std::shared_ptr<ClientCore>>;

void BindOpen(PyClient& client) {
  client.def(py::init([](std::string data_dir, std::string server, std::string token, bool serve,
                         bool read_only, bool create, double wait) {
               ClientOptions options;
               options.data_dir = std::move(data_dir);
               options.server = std::move(server);
               options.token = std::move(token);
               options.serve = serve;
               options.read_only = read_only;
               options.create = create;
               options.wait = std::chrono::milliseconds(static_cast<int64_t>(wait * 1000));
               std::string where = options.server.empty() ? options.data_dir : options.server;
               return Check(Unlocked([&] { return ClientCore::Open(std::move(options)); }), where);
             }),
             py::arg("data_dir") = "", py::arg("server") = "", py::arg("token") = "",
             py::arg("serve") = true, py::arg("read_only") = false, py::arg("create") = false,
             py::arg("wait") = 10.0);
  client.def_property_readonly("role", [](ClientCore& c) { return c.Role(); });
  client.def_property_readonly("reopens", &ClientCore::reopens);
}

void BindNamespace(PyClient& client) {
  client.def(
      "stat",
      [](ClientCore& c, py::handle path, const std::string& snapshot) {
        std::string p = PathBytes(path);
        fs::Filesystem* fs = FsOf(c);
        return AttrDict(Check(Unlocked([&] { return fs->Stat(p, At(snapshot)); }), p), p);
      },
      py::arg("path"), py::arg("snapshot") = "");
  client.def(
      "info",
      [](ClientCore& c, py::handle path, const std::string& snapshot) {
        std::string p = PathBytes(path);
        fs::Filesystem* fs = FsOf(c);
        DigestedAttr d = Check(Unlocked([&] { return StatWithDigest(fs, p, At(snapshot)); }), p);
        py::dict info = AttrDict(d.attr, p);
        info["digest"] = d.digest.empty() ? py::object(py::none()) : py::str(d.digest);
        return info;
      },
      py::arg("path"), py::arg("snapshot") = "");
  client.def(
      "list",
      [](ClientCore& c, py::handle path, py::handle start_after, size_t limit,
         const std::string& snapshot) {
        std::string p = PathBytes(path);
        std::string after = PathBytes(start_after);
        fs::Filesystem* fs = FsOf(c);
        auto page = Check(Unlocked([&] { return fs->List(p, after, limit, At(snapshot)); }), p);
        std::string prefix = p.ends_with('/') ? p : p + "/";
        py::list entries(page.entries.size());
        for (size_t i = 0; i < page.entries.size(); ++i) {
          entries[i] = AttrDict(page.attrs[i], prefix + page.entries[i].name);
        }
        return py::make_tuple(entries, page.more);
      },
      py::arg("path"), py::arg("start_after") = "", py::arg("limit") = 1000,
      py::arg("snapshot") = "");
  client.def(
      "mkdir",
      [](ClientCore& c, py::handle path, bool parents) {
        std::string p = PathBytes(path);
        fs::Filesystem* fs = FsOf(c);
        return AttrDict(Check(Unlocked([&] { return fs->Mkdir(p, parents); }), p), p);
      },
      py::arg("path"), py::arg("parents") = false);
  client.def(
      "remove",
      [](ClientCore& c, py::handle path, bool recursive) {
        std::string p = PathBytes(path);
        fs::Filesystem* fs = FsOf(c);
        Check(Unlocked([&] { return fs->Remove(p, recursive); }), p);
      },
      py::arg("path"), py::arg("recursive") = false);
  client.def(
      "rename",
      [](ClientCore& c, py::handle from, py::handle to, const std::string& mode) {
        std::string f = PathBytes(from), t = PathBytes(to);
        meta::RenameMode rename_mode = ParseRenameMode(mode);
        fs::Filesystem* fs = FsOf(c);
        Check(Unlocked([&] { return fs->Rename(f, t, rename_mode); }), f);
      },
      py::arg("from_path"), py::arg("to_path"), py::arg("mode") = "replace");
}

void BindBodies(PyClient& client) {
  client.def(
      "put_files",
      [](ClientCore& c, const std::vector<std::pair<py::object, py::object>>& pairs,
         const std::string& mode, uint64_t expected_generation, const std::string& content_type,
         const std::string& producer, bool parents) {
        std::vector<fs::TreeFile> files;
        std::vector<std::string> paths;
        for (const auto& [local, remote] : pairs) {
          files.push_back({PathBytes(remote), PathBytes(local)});
          paths.push_back(files.back().path);
        }
        fs::WriteOptions options =
            MakeWriteOptions(mode, expected_generation, content_type, producer, parents);
        fs::Filesystem* fs = FsOf(c);
        auto attrs = CheckWrite(Unlocked([&] { return fs->PutTree(files, options); }), fs,
                                paths.size() == 1 ? paths[0] : std::string(), options);
        return AttrList(attrs, paths);
      },
      py::arg("files"), py::arg("mode") = "create", py::arg("expected_generation") = 0,
      py::arg("content_type") = "", py::arg("producer") = "", py::arg("parents") = true);
  client.def(
      "write_bytes",
      [](ClientCore& c, py::handle path, py::buffer data, const std::string& mode,
         uint64_t expected_generation, const std::string& content_type, const std::string& producer,
         bool parents) {
        std::string p = PathBytes(path);
        py::buffer_info view = data.request();
        std::string_view bytes(static_cast<const char*>(view.ptr),
                               static_cast<size_t>(view.size * view.itemsize));
        fs::WriteOptions options =
            MakeWriteOptions(mode, expected_generation, content_type, producer, parents);
        fs::Filesystem* fs = FsOf(c);
        auto attr = CheckWrite(Unlocked([&] { return PublishBytes(fs, p, bytes, options); }), fs, p,
                               options);
        return AttrDict(attr, p);
      },
      py::arg("path"), py::arg("data"), py::arg("mode") = "replace",
      py::arg("expected_generation") = 0, py::arg("content_type") = "", py::arg("producer") = "",
      py::arg("parents") = true);
  client.def(
      "download",
      [](ClientCore& c, py::handle path, py::handle local_path, const std::string& snapshot) {
        std::string p = PathBytes(path), local = PathBytes(local_path);
        fs::Filesystem* fs = FsOf(c);
        auto attr = Check(Unlocked([&] { return DownloadFile(fs, p, At(snapshot), local); }), p);
        return AttrDict(attr, p);
      },
      py::arg("path"), py::arg("local_path"), py::arg("snapshot") = "");
  client.def(
      "open_reader",
      [](std::shared_ptr<ClientCore> c, py::handle path, const std::string& snapshot) {
        std::string p = PathBytes(path);
        return Check(Unlocked([&] { return FileReader::Open(c, p, At(snapshot)); }), p);
      },
      py::arg("path"), py::arg("snapshot") = "");
}

void BindSnapshotsAndWatch(PyClient& client) {
  client.def(
      "create_snapshot",
      [](ClientCore& c, const std::string& name, py::handle root, int64_t expires_ns) {
        std::string r = PathBytes(root);
        fs::Filesystem* fs = FsOf(c);
        return SnapshotDict(
            Check(Unlocked([&] { return fs->CreateSnapshot(name, r, expires_ns); }), name));
      },
      py::arg("name"), py::arg("root") = "/", py::arg("expires_ns") = 0);
  client.def("list_snapshots", [](ClientCore& c) {
    fs::Filesystem* fs = FsOf(c);
    auto snapshots = Check(Unlocked([&] { return fs->ListSnapshots(); }));
    py::list list;
    for (const auto& s : snapshots) list.append(SnapshotDict(s));
    return list;
  });
  client.def(
      "retire_snapshot",
      [](ClientCore& c, const std::string& name) {
        fs::Filesystem* fs = FsOf(c);
        Check(Unlocked([&] { return fs->RetireSnapshot(name); }), name);
      },
      py::arg("name"));
  client.def(
      "watch",
      [](ClientCore& c, py::handle path, const std::string& cursor, size_t limit, double wait) {
        std::string p = PathBytes(path);
        auto wait_ms = std::chrono::milliseconds(static_cast<int64_t>(wait * 1000));
        fs::Filesystem* fs = FsOf(c);
        auto page = Check(Unlocked([&] { return fs->Watch(p, cursor, limit, wait_ms); }), p);
        py::list events;
        for (const auto& e : page.events) events.append(EventDict(e));
        return py::make_tuple(events, page.next_cursor);
      },
      py::arg("path") = "/", py::arg("cursor") = "", py::arg("limit") = 1000,
      py::arg("wait") = 0.0);
  client.def("latest_cursor", [](ClientCore& c) {
    fs::Filesystem* fs = FsOf(c);
    return Check(Unlocked([&] { return fs->metadata()->LatestCursor(); }));
  });
}

void BindVerbs(PyClient& client) {
  client.def(
      "call_verb",
      [](ClientCore& c, const std::string& verb, py::handle args, py::handle root,
         const std::string& snapshot) {
        nlohmann::json json_args = PythonToJson(args);
        query::ServiceOptions scope;
        scope.root = PathBytes(root);
        scope.snapshot = snapshot;
        fs::Filesystem* fs = FsOf(c);
        nlohmann::json result = Unlocked([&] { return fs->CallVerb(verb, json_args, scope); });
        return JsonToPython(result);
      },
      py::arg("verb"), py::arg("args"), py::arg("root") = "/", py::arg("snapshot") = "");
}

void BindReader(py::module_& m) {
  py::class_<FileReader> reader(m, "Reader");
  reader.def_property_readonly("size", [](FileReader& r) { return r.attr().size; });
  reader.def_property_readonly("generation", [](FileReader& r) { return r.attr().generation; });
  reader.def_property_readonly("attr", [](FileReader& r) { return AttrDict(r.attr(), r.path()); });
  reader.def(
      "read",
      [](FileReader& r, uint64_t offset, uint64_t length) {
        std::string out;
        Check(Unlocked([&] { return r.Read(offset, length, &out); }), r.path());
        return py::bytes(out);
      },
      py::arg("offset"), py::arg("length"));
  reader.def(
      "readinto",
      [](FileReader& r, uint64_t offset, py::buffer buffer) {
        py::buffer_info view = buffer.request(/*writable=*/true);
        std::span<char> target(static_cast<char*>(view.ptr),
                               static_cast<size_t>(view.size * view.itemsize));
        size_t n = 0;
        Check(Unlocked([&] { return r.ReadInto(offset, target, &n); }), r.path());
        return n;
      },
      py::arg("offset"), py::arg("buffer"));
  reader.def(
      "read_ranges",
      [](FileReader& r, const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
        std::vector<std::string> out;
        Check(Unlocked([&] { return r.ReadRanges(ranges, &out); }), r.path());
        py::list list(out.size());
        for (size_t i = 0; i < out.size(); ++i) list[i] = py::bytes(out[i]);
        return list;
      },
      py::arg("ranges"));
  reader.def("close", [](FileReader& r) { Unlocked([&] { r.Close(); }); });
}

}  // namespace
}  // namespace nokv::python

PYBIND11_MODULE(_native, m) {
  using namespace nokv::python;
  m.doc() = "NoKV's Filesystem for Python (use the nokv package, not this module)";
  // As the CLI: warnings and errors only, unless NOKV_LOG_LEVEL says otherwise.
  if (std::getenv("NOKV_LOG_LEVEL") == nullptr) nokv::SetLogLevel(nokv::LogLevel::kWarn);
  PyClient client(m, "Client");
  BindOpen(client);
  BindNamespace(client);
  BindBodies(client);
  BindSnapshotsAndWatch(client);
  BindVerbs(client);
  BindReader(m);
  m.def("fork_generation", &ForkGeneration);
}
