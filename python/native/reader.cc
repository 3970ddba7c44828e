// FileReader: ranged reads of one pinned generation, across forks.
#include "reader.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace nokv::python {

Result<std::unique_ptr<FileReader>> FileReader::Open(std::shared_ptr<ClientCore> core,
                                                     std::string path, fs::ReadAt at) {
  std::unique_ptr<FileReader> reader(
      new FileReader(std::move(core), std::move(path), std::move(at)));
  std::lock_guard lock(reader->mu_);
  NOKV_ASSIGN_OR_RETURN(fs::Filesystem * fs, reader->core_->Fs());
  reader->fork_generation_ = ForkGeneration();
  NOKV_ASSIGN_OR_RETURN(reader->reader_, fs->OpenReader(reader->path_, reader->at_));
  reader->attr_ = reader->reader_->attr();
  return reader;
}

FileReader::~FileReader() {
  std::lock_guard lock(mu_);
  if (fork_generation_ != ForkGeneration()) (void)reader_.release();  // the parent's
}

void FileReader::Close() {
  std::lock_guard lock(mu_);
  if (fork_generation_ != ForkGeneration()) {
    (void)reader_.release();
  } else {
    reader_.reset();
  }
  closed_ = true;
}

Result<fs::Reader*> FileReader::ReaderLocked() {
  if (closed_) return Status::FailedPrecondition("read of a closed file");
  uint64_t now = ForkGeneration();
  if (now == fork_generation_) return reader_.get();
  (void)reader_.release();  // the parent's: its pin and threads are not ours
  fork_generation_ = now;
  NOKV_ASSIGN_OR_RETURN(fs::Filesystem * fs, core_->Fs());
  fs::ReadAt at = at_;
  at.pin = 0;
  NOKV_ASSIGN_OR_RETURN(reader_, fs->OpenReader(path_, at));
  if (reader_->attr().inode != attr_.inode || reader_->attr().generation != attr_.generation) {
    reader_.reset();
    closed_ = true;
    return Status::FailedPrecondition(
        path_ + " changed (generation " + std::to_string(attr_.generation) +
        " is no longer current) between opening it and reading it in a forked process; open it "
        "again");
  }
  return reader_.get();
}

Status FileReader::Read(uint64_t offset, uint64_t length, std::string* out) {
  std::lock_guard lock(mu_);
  NOKV_ASSIGN_OR_RETURN(fs::Reader * reader, ReaderLocked());
  return reader->Read(offset, length, out);
}

Status FileReader::ReadInto(uint64_t offset, std::span<char> buffer, size_t* n) {
  std::lock_guard lock(mu_);
  NOKV_ASSIGN_OR_RETURN(fs::Reader * reader, ReaderLocked());
  NOKV_RETURN_IF_ERROR(reader->Read(offset, buffer.size(), &scratch_));
  *n = scratch_.size();
  std::memcpy(buffer.data(), scratch_.data(), scratch_.size());
  return Status::Ok();
}

Status FileReader::ReadRanges(std::span<const std::pair<uint64_t, uint64_t>> ranges,
                              std::vector<std::string>* out) {
  std::lock_guard lock(mu_);
  NOKV_ASSIGN_OR_RETURN(fs::Reader * reader, ReaderLocked());
  out->assign(ranges.size(), std::string());
  std::vector<size_t> order(ranges.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return ranges[a].first < ranges[b].first; });
  std::string span;
  for (size_t i = 0; i < order.size();) {
    // One span: ranges (in start order) that begin near the span's end.
    uint64_t begin = ranges[order[i]].first;
    uint64_t end = std::max(begin, ranges[order[i]].second);
    size_t j = i + 1;
    while (j < order.size() && ranges[order[j]].first <= end + kCoalesceGap) {
      end = std::max(end, ranges[order[j]].second);
      ++j;
    }
    NOKV_RETURN_IF_ERROR(reader->Read(begin, end - begin, &span));
    for (; i < j; ++i) {
      auto [start, stop] = ranges[order[i]];
      if (stop <= start || start - begin >= span.size()) continue;
      uint64_t from = start - begin;
      (*out)[order[i]] = span.substr(from, std::min<uint64_t>(stop - start, span.size() - from));
    }
  }
  return Status::Ok();
}

}  // namespace nokv::python
