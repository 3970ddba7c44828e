// Byte commands: put (files, trees, stdin), cat (streaming, ranges), get.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/sync.h"
#include "cli/transfer.h"
#include "meta/path.h"

namespace nokv::cli {
namespace {

namespace stdfs = std::filesystem;

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
    // A file into an existing directory keeps its name; a tree is synced
    // into DST itself.
    std::string tree_dst = dst;
    if (auto to = fs.Stat(dst); to.ok() && to->type == meta::FileType::kDirectory) {
      dst = meta::ChildPath(dst, stdfs::path(src).filename().string());
    }
    if (stdfs::is_regular_file(status)) {
      // As a one-file tree: the filesystem can read it again if a collector
      // deletes one of its blocks between upload and publish.
      ProgressLine progress(ctx, "put " + dst);
      auto attrs = fs.PutTree({fs::TreeFile{dst, src}}, *options,
                              [&](const fs::Progress& p) { progress.Update(p); });
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
    if (options->mode == meta::PublishMode::kReplaceIfGeneration) {
      return ctx.Usage("put: --if-generation takes one file, not a tree");
    }
    return PutTreeSync(ctx, fs, args, src, tree_dst, *options);
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

// get PATTERN DIR: every match, at its path below the pattern's fixed part
// (get '/runs/*/metrics.jsonl' out  ->  out/r1/metrics.jsonl, ...).
int GetGlob(Context& ctx, fs::Filesystem& fs, const Args& args, const std::string& pattern,
            const std::string& dst) {
  if (dst == "-") return ctx.Usage("get: a pattern takes a local directory, not -");
  auto matches = ExpandGlob(fs, pattern, ReadAtFlag(args));
  if (!matches.ok()) return ctx.Fail("get " + pattern, matches.status());
  std::string base = GlobBase(pattern);
  nlohmann::json fetched = nlohmann::json::array();
  for (const auto& match : *matches) {
    std::string rel = match.substr(base == "/" ? 1 : base.size() + 1);
    std::string local = (stdfs::path(dst) / rel).string();
    auto attr = fs.Stat(match, ReadAtFlag(args));
    if (!attr.ok()) return ctx.Fail("get " + match, attr.status());
    if (attr->type == meta::FileType::kDirectory) {
      if (int rc = GetTreeSync(ctx, fs, args, match, local); rc != kExitOk) return rc;
      continue;
    }
    if (attr->type != meta::FileType::kFile) continue;
    std::error_code ec;
    stdfs::create_directories(stdfs::path(local).parent_path(), ec);
    if (ec) return ctx.Fail("get " + match, Status::IOError(local + ": " + ec.message()));
    if (int rc = GetFile(ctx, fs, match, local, ReadAtFlag(args), &fetched); rc != kExitOk) {
      return rc;
    }
  }
  if (ctx.json) ctx.PrintJson({{"files", fetched}});
  return kExitOk;
}

int Get(Context& ctx, const Args& args) {
  if (args.positional().size() != 2) return ctx.Usage("get needs SRC and DST");
  std::string src = PathArg(args.positional()[0]), dst = args.positional()[1];
  return WithReadOnlyFs(ctx, "get " + src, [&](fs::Filesystem& fs) {
    if (HasGlob(src)) return GetGlob(ctx, fs, args, src, dst);
    auto followed = fs.FollowLinks(src, ReadAtFlag(args));  // get LINK gets its target
    if (!followed.ok()) return ctx.Fail("get " + src, followed.status());
    src = *followed;
    auto attr = fs.Stat(src, ReadAtFlag(args));
    if (!attr.ok()) return ctx.Fail("get " + src, attr.status());
    if (dst == "-") {  // to stdout, like cat
      if (attr->type == meta::FileType::kDirectory) {
        return ctx.Fail("get " + src,
                        Status::IsADirectory(src + " is a directory; - takes a file"));
      }
      auto reader = fs.OpenReader(src, ReadAtFlag(args));
      if (!reader.ok()) return ctx.Fail("get " + src, reader.status());
      Status s = Stream(**reader, 0, UINT64_MAX, *ctx.out, ctx.out_fd, nullptr);
      ctx.out->flush();
      return s.ok() ? int{kExitOk} : ctx.Fail("get " + src, s);
    }
    if (attr->type == meta::FileType::kDirectory) {
      return GetTreeSync(ctx, fs, args, *meta::NormalizePath(src), dst);
    }
    nlohmann::json fetched = nlohmann::json::array();
    std::error_code ec;
    if (stdfs::is_directory(dst, ec)) {  // a file into a directory keeps its name
      auto parts = meta::SplitPath(src);
      dst = (stdfs::path(dst) / (parts.ok() && !parts->empty() ? parts->back() : "root")).string();
    }
    int rc = GetFile(ctx, fs, src, dst, ReadAtFlag(args), &fetched);
    if (rc == kExitOk && ctx.json) ctx.PrintJson({{"files", fetched}});
    return rc;
  });
}

}  // namespace

int GetFile(Context& ctx, fs::Filesystem& fs, const std::string& src, const std::string& dst,
            const fs::ReadAt& at, nlohmann::json* fetched) {
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
  fetched->push_back({{"path", src}, {"local", dst}, {"size_bytes", (*reader)->size()}});
  return kExitOk;
}

Command PutCommand() {
  Command command{
      "put",
      "upload a file, a directory tree or stdin",
      {"[flags] SRC DST"},
      "SRC is a local file, a local directory, or - for stdin. A file into an existing\n"
      "directory DST keeps its name. A directory is synced into DST: unchanged files\n"
      "(same size and mtime, or same SHA-256) are skipped, and every new or changed\n"
      "file is published in one commit (docs/cli.md, Syncing trees).",
      {{"--replace", "replace DST if it exists"},
       {"--if-generation", "replace DST only at this generation", "N"},
       {"--content-type", "content type recorded with the file", "TYPE"},
       {"--producer", "producer recorded with the file", "NAME"}},
      {},
      Put};
  for (auto& flag : SyncFlags()) command.flags.push_back(std::move(flag));
  return command;
}

Command CatCommand() {
  return {"cat",
          "print a file's bytes (streaming)",
          {"[flags] PATH..."},
          "",
          {{"--range", "only these bytes (LENGTH empty: to the end)", "OFFSET:LENGTH"},
           {"--snapshot", "read at this snapshot", "NAME"}},
          {},
          Cat};
}

Command GetCommand() {
  Command command{"get",
                  "download a file or a directory tree",
                  {"[flags] SRC DST", "[flags] FILE -"},
                  "DST - writes the file to stdout. A file into an existing local directory\n"
                  "keeps its name; a directory SRC is synced into the local directory DST\n"
                  "(docs/cli.md, Syncing trees).",
                  {{"--snapshot", "read at this snapshot", "NAME"}},
                  {},
                  Get};
  for (auto& flag : SyncFlags()) command.flags.push_back(std::move(flag));
  return command;
}

}  // namespace nokv::cli
