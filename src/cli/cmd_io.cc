// Byte commands: put (files, trees, stdin), cat (streaming, ranges), get.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "meta/path.h"

namespace nokv::cli {
namespace {

namespace stdfs = std::filesystem;

// A one-line progress report on stderr for long transfers on a terminal.
class ProgressLine {
 public:
  ProgressLine(Context& ctx, std::string label)
      : ctx_(ctx),
        label_(std::move(label)),
        start_(std::chrono::steady_clock::now()),
        enabled_(!ctx.quiet && ::isatty(STDERR_FILENO)) {}
  ~ProgressLine() {
    if (shown_) *ctx_.err << "\n";
  }
  void Update(uint64_t done, uint64_t total) {
    if (!enabled_) return;
    auto elapsed = std::chrono::steady_clock::now() - start_;
    if (elapsed < std::chrono::seconds(2)) return;
    double secs = std::chrono::duration<double>(elapsed).count();
    *ctx_.err << "\r" << label_ << ": " << HumanSize(done);
    if (total > 0) *ctx_.err << " / " << HumanSize(total) << " (" << done * 100 / total << "%)";
    *ctx_.err << "  " << HumanSize(static_cast<uint64_t>(static_cast<double>(done) / secs))
              << "/s   " << std::flush;
    shown_ = true;
  }

 private:
  Context& ctx_;
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  bool enabled_;
  bool shown_ = false;
};

Result<fs::WriteOptions> WriteOptionsFrom(const Args& args) {
  fs::WriteOptions options;
  if (args.Has("--replace")) options.mode = meta::PublishMode::kReplace;
  if (auto gen = args.Get("--if-generation")) {
    options.mode = meta::PublishMode::kReplaceIfGeneration;
    NOKV_ASSIGN_OR_RETURN(options.expected_generation, ParseCount(*gen, "--if-generation"));
  }
  options.content_type = args.Get("--content-type").value_or("");
  options.producer = args.Get("--producer").value_or("");
  return options;
}

// Streams stdin (or a file descriptor) into one published file.
int PutStream(Context& ctx, fs::Filesystem& fs, int fd, const std::string& dst,
              const fs::WriteOptions& options) {
  auto writer = fs.OpenWriter(dst, options);
  if (!writer.ok()) return ctx.Fail("put " + dst, writer.status());
  ProgressLine progress(ctx, "put " + dst);
  for (;;) {  // read straight into the writer's block buffers
    auto space = (*writer)->Space();
    if (!space.ok()) return ctx.Fail("put " + dst, space.status());
    ssize_t n = ::read(fd, space->data(), space->size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ctx.Fail("put " + dst, Status::FromErrno(errno, "read"));
    if (n == 0) break;
    Status s = (*writer)->Advance(static_cast<size_t>(n));
    if (!s.ok()) return ctx.Fail("put " + dst, s);
    progress.Update((*writer)->bytes_written(), 0);
  }
  auto attr = (*writer)->Commit();
  if (!attr.ok()) return ctx.Fail("put " + dst, attr.status());
  if (ctx.json) ctx.PrintJson(AttrJson(*attr, dst));
  return kExitOk;
}

// Every regular file under `dir` (sorted), as tree files under `dst`.
Result<std::vector<fs::TreeFile>> CollectTree(const stdfs::path& dir, const std::string& dst) {
  std::vector<fs::TreeFile> files;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(dir, ec); !ec && it != stdfs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string rel = stdfs::relative(it->path(), dir).generic_string();
    files.push_back({meta::ChildPath(dst, rel), it->path().string()});
  }
  if (ec) return Status::IOError(dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

int Put(Context& ctx, const Args& args) {
  if (args.positional().size() != 2) return ctx.Usage("put needs SRC and DST");
  auto options = WriteOptionsFrom(args);
  if (!options.ok()) return ctx.Usage(options.status().message());
  std::string src = args.positional()[0], dst = PathArg(args.positional()[1]);
  return WithFs(ctx, "put " + dst, [&](fs::Filesystem& fs) {
    if (src == "-") return PutStream(ctx, fs, STDIN_FILENO, dst, *options);
    std::error_code ec;
    auto status = stdfs::status(src, ec);
    if (ec) return ctx.Fail("put " + src, Status::NotFound(src + ": " + ec.message()));
    // Into an existing directory: keep the source's name.
    if (auto to = fs.Stat(dst); to.ok() && to->type == meta::FileType::kDirectory) {
      dst = meta::ChildPath(dst, stdfs::path(src).filename().string());
    }
    if (stdfs::is_regular_file(status)) {
      // As a one-file tree: the filesystem can read it again if a collector
      // deletes one of its blocks between upload and publish.
      ProgressLine progress(ctx, "put " + dst);
      auto attrs = fs.PutTree({fs::TreeFile{dst, src}}, *options, [&](const fs::Progress& p) {
        progress.Update(p.bytes_done, p.bytes_total);
      });
      if (!attrs.ok()) return ctx.Fail("put " + dst, attrs.status());
      if (ctx.json) ctx.PrintJson(AttrJson(attrs->front(), dst));
      return int{kExitOk};
    }
    if (!stdfs::is_directory(status)) {  // a pipe or device: stream it
      int fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return ctx.Fail("put " + src, Status::FromErrno(errno, src));
      int rc = PutStream(ctx, fs, fd, dst, *options);
      ::close(fd);
      return rc;
    }
    auto files = CollectTree(src, dst);
    if (!files.ok()) return ctx.Fail("put " + src, files.status());
    ProgressLine progress(ctx, "put " + dst);
    auto attrs = fs.PutTree(*files, *options, [&](const fs::Progress& p) {
      progress.Update(p.bytes_done, p.bytes_total);
    });
    if (!attrs.ok()) return ctx.Fail("put " + dst, attrs.status());
    if (ctx.json) {
      nlohmann::json list = nlohmann::json::array();
      for (size_t i = 0; i < attrs->size(); ++i)
        list.push_back(AttrJson((*attrs)[i], (*files)[i].path));
      ctx.PrintJson({{"files", list}});
    } else if (!ctx.quiet) {
      *ctx.err << "put " << attrs->size() << " files under " << dst << " in one commit\n";
    }
    return int{kExitOk};
  });
}

// Parses --range OFFSET:LENGTH (LENGTH may be empty: to the end).
Status ParseRange(const std::string& text, uint64_t* offset, uint64_t* length) {
  size_t colon = text.find(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--range wants OFFSET:LENGTH");
  std::string_view all(text);
  NOKV_ASSIGN_OR_RETURN(*offset, ParseCount(all.substr(0, colon), "--range offset"));
  if (colon + 1 == text.size()) {
    *length = UINT64_MAX;
    return Status::Ok();
  }
  NOKV_ASSIGN_OR_RETURN(*length, ParseCount(all.substr(colon + 1), "--range length"));
  return Status::Ok();
}

// Writes all of `bytes` to `fd`.
Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "write to output");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Copies [offset, offset+length) of `reader` to the output: from the
// reader's verified block buffers straight to `fd` when there is one (after
// flushing `out`), else through `out`.
Status Stream(fs::Reader& reader, uint64_t offset, uint64_t length, std::ostream& out, int fd,
              ProgressLine* progress) {
  uint64_t end = length == UINT64_MAX ? reader.size() : std::min(reader.size(), offset + length);
  if (offset >= end) return Status::Ok();
  if (fd >= 0) out.flush();
  uint64_t done = 0;
  return reader.ReadTo(offset, end - offset, [&](std::string_view bytes) {
    if (fd >= 0) {
      NOKV_RETURN_IF_ERROR(WriteAll(fd, bytes));
    } else {
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) return Status::IOError("write to output failed");
    }
    done += bytes.size();
    if (progress) progress->Update(done, end - offset);
    return Status::Ok();
  });
}

int Cat(Context& ctx, const Args& args) {
  if (args.positional().empty()) return ctx.Usage("cat needs a path");
  uint64_t offset = 0, length = UINT64_MAX;
  if (auto range = args.Get("--range")) {
    if (Status s = ParseRange(*range, &offset, &length); !s.ok()) return ctx.Usage(s.message());
  }
  return WithReadOnlyFs(ctx, "cat", [&](fs::Filesystem& fs) {
    for (const auto& path : args.PathPositionals()) {
      auto reader = fs.OpenReader(path, ReadAtFlag(args));
      if (!reader.ok()) return ctx.Fail("cat " + path, reader.status());
      Status s = Stream(**reader, offset, length, *ctx.out, ctx.out_fd, nullptr);
      if (!s.ok()) return ctx.Fail("cat " + path, s);
    }
    ctx.out->flush();
    return int{kExitOk};
  });
}

int GetFile(Context& ctx, fs::Filesystem& fs, const std::string& src, const std::string& dst,
            const fs::ReadAt& at) {
  auto reader = fs.OpenReader(src, at);
  if (!reader.ok()) return ctx.Fail("get " + src, reader.status());
  std::string tmp = dst + ".nokv-partial";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ctx.Fail("get " + src, Status::FromErrno(errno, tmp));
  ProgressLine progress(ctx, "get " + src);
  Status s = Stream(**reader, 0, UINT64_MAX, *ctx.out, fd, &progress);
  if (::close(fd) != 0 && s.ok()) s = Status::FromErrno(errno, "write " + tmp);
  std::error_code ec;
  if (s.ok()) stdfs::rename(tmp, dst, ec);
  if (!s.ok() || ec) {
    stdfs::remove(tmp, ec);
    return ctx.Fail("get " + src, s.ok() ? Status::IOError(dst + ": rename failed") : s);
  }
  return kExitOk;
}

int Get(Context& ctx, const Args& args) {
  if (args.positional().size() != 2) return ctx.Usage("get needs SRC and DST");
  std::string src = PathArg(args.positional()[0]), dst = args.positional()[1];
  return WithReadOnlyFs(ctx, "get " + src, [&](fs::Filesystem& fs) {
    auto attr = fs.Stat(src, ReadAtFlag(args));
    if (!attr.ok()) return ctx.Fail("get " + src, attr.status());
    std::error_code ec;
    auto parts = meta::SplitPath(src);
    std::string base = parts.ok() && !parts->empty() ? parts->back() : "root";
    if (stdfs::is_directory(dst, ec)) dst = (stdfs::path(dst) / base).string();
    if (attr->type != meta::FileType::kDirectory)
      return GetFile(ctx, fs, src, dst, ReadAtFlag(args));
    std::vector<std::pair<std::string, std::string>> stack = {{*meta::NormalizePath(src), dst}};
    while (!stack.empty()) {
      auto [remote, local] = stack.back();
      stack.pop_back();
      stdfs::create_directories(local, ec);
      if (ec) return ctx.Fail("get " + remote, Status::IOError(local + ": " + ec.message()));
      std::string after;
      for (;;) {
        auto page = fs.List(remote, after, 1000, ReadAtFlag(args));
        if (!page.ok()) return ctx.Fail("get " + remote, page.status());
        for (size_t i = 0; i < page->entries.size(); ++i) {
          std::string r = meta::ChildPath(remote, page->entries[i].name);
          std::string l = (stdfs::path(local) / page->entries[i].name).string();
          if (page->attrs[i].type == meta::FileType::kDirectory) {
            stack.emplace_back(r, l);
          } else if (page->attrs[i].type == meta::FileType::kFile) {
            if (int rc = GetFile(ctx, fs, r, l, ReadAtFlag(args)); rc != kExitOk) return rc;
          }
        }
        if (!page->more || page->entries.empty()) break;
        after = page->entries.back().name;
      }
    }
    return int{kExitOk};
  });
}

}  // namespace

Command PutCommand() {
  return {"put",
          "upload a file, a directory tree or stdin",
          "usage: nokv put [--replace | --if-generation N] [--content-type T] [--producer P] SRC "
          "DST\n\n"
          "SRC is a local file, a local directory (all its files publish in one commit)\n"
          "or - for stdin. Into an existing directory DST, the source keeps its name.",
          {"--if-generation", "--content-type", "--producer"},
          {"--replace"},
          Put};
}

Command CatCommand() {
  return {"cat",
          "print a file's bytes (streaming)",
          "usage: nokv cat [--range OFFSET:LENGTH] [--snapshot NAME] PATH...",
          {"--range", "--snapshot"},
          {},
          Cat};
}

Command GetCommand() {
  return {"get",
          "download a file or a directory tree",
          "usage: nokv get [--snapshot NAME] SRC DST",
          {"--snapshot"},
          {},
          Get};
}

}  // namespace nokv::cli
