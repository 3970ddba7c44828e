// Translation between NoKV values and Python objects, done once for the
// whole binding: Status to Python exceptions (through nokv.errors, where the
// mapping lives), attributes and events to dicts, JSON to and from Python
// values, and paths to bytes.
//
// Text: NoKV names and JSON strings are bytes that are usually UTF-8. They
// become str decoded with "surrogateescape" (as os.listdir does), and str
// arguments are encoded the same way, so no name is lost either way.
//
// Every function here needs the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"
#include "meta/types.h"

namespace nokv::python {

namespace py = pybind11;

// A path argument (str, bytes or os.PathLike) as bytes.
std::string PathBytes(py::handle path);
// Bytes as str, invalid UTF-8 kept as surrogate escapes.
py::str Text(std::string_view bytes);

// Raises the Python exception for `status` (nokv.errors.from_status), with
// `path` as its filename when not empty.
[[noreturn]] void Raise(const Status& status, std::string_view path = {});
// A failed generation check on `path`: nokv.ConflictError with the
// generation expected and the one found (0: the file does not exist).
[[noreturn]] void RaiseConflict(const Status& status, std::string_view path, uint64_t expected,
                                uint64_t current);

inline void Check(const Status& status, std::string_view path = {}) {
  if (!status.ok()) Raise(status, path);
}
template <typename T>
T Check(Result<T> result, std::string_view path = {}) {
  if (!result.ok()) Raise(result.status(), path);
  return std::move(*result);
}

// {"name", "type", "size", "mode", "inode", "generation", "mtime" (seconds),
// "mtime_ns", "ctime_ns", "nlink", "uid", "gid"} plus "child_count" for
// directories and "target" for symlinks; `name` is the full path.
py::dict AttrDict(const meta::Attr& attr, std::string_view path);
py::dict SnapshotDict(const meta::Snapshot& snapshot);
py::dict EventDict(const meta::Event& event);

py::object JsonToPython(const nlohmann::json& value);
// Dicts (str keys), lists, tuples, str, bytes (as text), int, float, bool
// and None; anything else is a TypeError.
nlohmann::json PythonToJson(py::handle value);

}  // namespace nokv::python
