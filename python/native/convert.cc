// Conversions between NoKV values and Python objects.
#include "convert.h"

#include <cmath>

namespace nokv::python {
namespace {

// nokv.errors, imported once (it is pure Python and imports nothing native).
py::module_& ErrorsModule() {
  static py::module_* errors = new py::module_(py::module_::import("nokv.errors"));
  return *errors;
}

[[noreturn]] void ThrowPython(const py::object& exception) {
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
  throw py::error_already_set();
}

py::object PathOrNone(std::string_view path) {
  if (path.empty()) return py::none();
  return Text(path);
}

}  // namespace

std::string PathBytes(py::handle path) {
  py::object fs_path = py::reinterpret_steal<py::object>(PyOS_FSPath(path.ptr()));
  if (!fs_path) throw py::error_already_set();
  if (PyBytes_Check(fs_path.ptr())) {
    return std::string(PyBytes_AS_STRING(fs_path.ptr()),
                       static_cast<size_t>(PyBytes_GET_SIZE(fs_path.ptr())));
  }
  Py_ssize_t size = 0;
  if (const char* utf8 = PyUnicode_AsUTF8AndSize(fs_path.ptr(), &size); utf8 != nullptr) {
    return std::string(utf8, static_cast<size_t>(size));
  }
  PyErr_Clear();  // lone surrogates: names that were not UTF-8
  py::object encoded = py::reinterpret_steal<py::object>(
      PyUnicode_AsEncodedString(fs_path.ptr(), "utf-8", "surrogateescape"));
  if (!encoded) throw py::error_already_set();
  return std::string(PyBytes_AS_STRING(encoded.ptr()),
                     static_cast<size_t>(PyBytes_GET_SIZE(encoded.ptr())));
}

py::str Text(std::string_view bytes) {
  PyObject* text =
      PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()), "surrogateescape");
  if (text == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

void Raise(const Status& status, std::string_view path) {
  py::object exception = ErrorsModule().attr("from_status")(
      std::string(CodeName(status.code())), Text(status.message()), PathOrNone(path),
      std::string(ReasonName(status.reason())));
  ThrowPython(exception);
}

void RaiseConflict(const Status& status, std::string_view path, uint64_t expected,
                   uint64_t current) {
  py::object exception = ErrorsModule().attr("ConflictError")(Text(status.message()),
                                                              PathOrNone(path), expected, current);
  ThrowPython(exception);
}

py::dict AttrDict(const meta::Attr& attr, std::string_view path) {
  py::dict d;
  d["name"] = Text(path);
  d["type"] = meta::FileTypeName(attr.type);
  d["size"] = attr.size;
  d["mode"] = attr.mode;
  d["inode"] = attr.inode;
  d["generation"] = attr.generation;
  d["mtime"] = static_cast<double>(attr.mtime_ns) / 1e9;
  d["mtime_ns"] = attr.mtime_ns;
  d["ctime_ns"] = attr.ctime_ns;
  d["nlink"] = attr.nlink;
  d["uid"] = attr.uid;
  d["gid"] = attr.gid;
  if (attr.type == meta::FileType::kDirectory) d["child_count"] = attr.child_count;
  if (attr.type == meta::FileType::kSymlink) d["target"] = Text(attr.symlink_target);
  return d;
}

py::dict SnapshotDict(const meta::Snapshot& snapshot) {
  py::dict d;
  d["name"] = Text(snapshot.name);
  d["root"] = Text(snapshot.root);
  d["seq"] = snapshot.seq;
  d["created_ns"] = snapshot.created_ns;
  d["expires_ns"] = snapshot.expires_ns;
  return d;
}

py::dict EventDict(const meta::Event& event) {
  py::dict d;
  d["cursor"] = event.cursor();
  d["seq"] = event.seq;
  d["type"] = meta::EventTypeName(event.type);
  d["path"] = Text(event.path);
  d["kind"] = meta::FileTypeName(event.file_type);
  d["time_ns"] = event.time_ns;
  d["count"] = event.count;
  d["inode"] = event.inode;
  if (!event.old_path.empty()) d["old_path"] = Text(event.old_path);
  if (!event.detail.empty()) d["detail"] = Text(event.detail);
  return d;
}

py::object JsonToPython(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(value.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(value.get<uint64_t>());
    case nlohmann::json::value_t::number_float:
      return py::float_(value.get<double>());
    case nlohmann::json::value_t::string:
      return Text(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::binary: {
      const auto& bin = value.get_binary();
      return py::bytes(reinterpret_cast<const char*>(bin.data()), bin.size());
    }
    case nlohmann::json::value_t::array: {
      py::list list(value.size());
      for (size_t i = 0; i < value.size(); ++i) list[i] = JsonToPython(value[i]);
      return list;
    }
    case nlohmann::json::value_t::object: {
      py::dict dict;
      for (const auto& [key, item] : value.items()) dict[Text(key)] = JsonToPython(item);
      return dict;
    }
  }
  return py::none();
}

nlohmann::json PythonToJson(py::handle value) {
  if (value.is_none()) return nullptr;
  if (PyBool_Check(value.ptr())) return value.cast<bool>();
  if (PyLong_Check(value.ptr())) {
    int overflow = 0;
    long long n = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
    if (overflow == 0) return static_cast<int64_t>(n);
    if (overflow > 0) return value.cast<uint64_t>();
    throw py::value_error("integer out of range for a verb argument");
  }
  if (PyFloat_Check(value.ptr())) {
    double d = value.cast<double>();
    if (!std::isfinite(d)) throw py::value_error("verb arguments must be finite numbers");
    return d;
  }
  if (PyUnicode_Check(value.ptr()) || PyBytes_Check(value.ptr())) return PathBytes(value);
  if (PyDict_Check(value.ptr())) {
    nlohmann::json object = nlohmann::json::object();
    for (auto [key, item] : py::reinterpret_borrow<py::dict>(value)) {
      if (!PyUnicode_Check(key.ptr())) throw py::type_error("verb argument keys must be str");
      object[PathBytes(key)] = PythonToJson(item);
    }
    return object;
  }
  if (PyList_Check(value.ptr()) || PyTuple_Check(value.ptr())) {
    nlohmann::json array = nlohmann::json::array();
    for (py::handle item : value) array.push_back(PythonToJson(item));
    return array;
  }
  throw py::type_error(std::string("cannot pass a ") + Py_TYPE(value.ptr())->tp_name +
                       " as a verb argument");
}

}  // namespace nokv::python
