// C3: random reads, in process and one process per read (random_reads.h).
#include "random_reads.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "bench/common/harness.h"
#include "fs/embedded.h"
#include "process.h"

namespace nokv::bench {
namespace {

constexpr int kInProcessReads = 2000;
constexpr int kProcessReads = 30;

// `count` aligned offsets of `size`-byte reads inside a file of `bytes`.
std::vector<uint64_t> Offsets(uint64_t bytes, uint64_t size, int count) {
  std::mt19937_64 rng(size);
  std::uniform_int_distribution<uint64_t> pick(0, bytes / size - 1);
  std::vector<uint64_t> out;
  for (int i = 0; i < count; ++i) out.push_back(pick(rng) * size);
  return out;
}

// In process: through the Filesystem API (layer L2); else a process per read.
enum class Where { kInProcess, kProcessPerRead };

Row MakeRow(const std::string& system, const std::string& config, Where where, uint64_t size,
            const std::vector<double>& latencies_ns, double seconds, double load1) {
  Row r;
  r.id = "C3";
  r.system = system;
  r.config = config;
  r.layer = where == Where::kInProcess ? "L2" : "CLI";
  r.durability = "-";
  r.cache = "warm";
  r.workload = "random " + FormatCount(static_cast<double>(size) / 1024) + " KiB reads";
  r.unit = "reads/s";
  r.value = Summarize({static_cast<double>(latencies_ns.size()) / seconds});
  r.latency_unit = "us/read";
  r.latency = Scaled(Summarize(latencies_ns), 1e-3);
  r.repeats = 1;
  r.load1 = load1;
  return r;
}

// Times `read` at every offset; returns per-read nanoseconds and the total.
Status TimeReads(const std::vector<uint64_t>& offsets, const std::function<Status(uint64_t)>& read,
                 std::vector<double>* ns, double* seconds) {
  Clock::time_point all = Clock::now();
  for (uint64_t offset : offsets) {
    Clock::time_point start = Clock::now();
    NOKV_RETURN_IF_ERROR(read(offset));
    ns->push_back(static_cast<double>(NanosSince(start)));
  }
  *seconds = SecondsSince(all);
  return Status::Ok();
}

Status InProcess(const RandomReadConfig& c, uint64_t size, std::vector<Row>* rows) {
  std::vector<uint64_t> offsets = Offsets(c.bytes, size, kInProcessReads);
  int fd = open(c.copy.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open " + c.copy);
  std::string buffer(size, '\0');
  std::vector<double> ns;
  double seconds = 0;
  Status s = TimeReads(
      offsets,
      [&](uint64_t offset) {
        ssize_t n = pread(fd, buffer.data(), size, static_cast<off_t>(offset));
        return n == static_cast<ssize_t>(size) ? Status::Ok() : Status::IOError("short pread");
      },
      &ns, &seconds);
  close(fd);
  NOKV_RETURN_IF_ERROR(s);
  rows->push_back(MakeRow("pread", "pread(2) of the copy, in process", Where::kInProcess, size, ns,
                          seconds, c.load1));

  fs::EmbeddedOptions options;
  options.data_dir = c.data_dir;
  options.read_only = true;
  NOKV_ASSIGN_OR_RETURN(auto fs, fs::OpenEmbedded(options));
  NOKV_ASSIGN_OR_RETURN(auto reader, fs->OpenReader(c.stored));
  std::string out;
  ns.clear();
  NOKV_RETURN_IF_ERROR(TimeReads(
      offsets,
      [&](uint64_t offset) {
        NOKV_RETURN_IF_ERROR(reader->Read(offset, size, &out));
        return out.size() == size ? Status::Ok() : Status::IOError("short read");
      },
      &ns, &seconds));
  rows->push_back(MakeRow("nokv", "Filesystem Reader::Read, in process", Where::kInProcess, size,
                          ns, seconds, c.load1));
  return Status::Ok();
}

Status PerProcess(const RandomReadConfig& c, uint64_t size, std::vector<Row>* rows) {
  std::vector<uint64_t> offsets = Offsets(c.bytes, size, kProcessReads);
  std::string count = std::to_string(size);
  auto timed = [&](const std::function<std::vector<std::string>(uint64_t)>& argv,
                   const std::string& system, const std::string& config) -> Status {
    std::vector<double> ns;
    double seconds = 0;
    NOKV_RETURN_IF_ERROR(TimeReads(
        offsets, [&](uint64_t offset) { return RunChild(argv(offset), "/dev/null").status(); }, &ns,
        &seconds));
    rows->push_back(MakeRow(system, config, Where::kProcessPerRead, size, ns, seconds, c.load1));
    return Status::Ok();
  };
  NOKV_RETURN_IF_ERROR(timed(
      [&](uint64_t offset) {
        return std::vector<std::string>{"dd",
                                        "if=" + c.copy,
                                        "of=/dev/null",
                                        "bs=" + count,
                                        "skip=" + std::to_string(offset / size),
                                        "count=1",
                                        "status=none"};
      },
      "dd", "dd of one range, a process per read"));
  auto cat = [&](const std::string& nokv, const std::string& dir) {
    return [&, nokv, dir](uint64_t offset) {
      return std::vector<std::string>{
          nokv,    "--data-dir", dir, "-q", "cat", "--range", std::to_string(offset) + ":" + count,
          c.stored};
    };
  };
  NOKV_RETURN_IF_ERROR(
      timed(cat(c.nokv, c.data_dir), "nokv", "nokv cat --range, a process per read"));
  if (!c.baseline.empty()) {
    NOKV_RETURN_IF_ERROR(timed(cat(c.baseline, c.baseline_data_dir), "nokv-before",
                               "nokv cat --range, a process per read"));
  }
  return Status::Ok();
}

}  // namespace

Status RunRandomReads(const RandomReadConfig& config, std::vector<Row>* rows) {
  NOKV_RETURN_IF_ERROR(ReadWhole(config.copy).status());  // warm
  for (uint64_t size : {uint64_t{4} << 10, uint64_t{128} << 10}) {
    NOKV_RETURN_IF_ERROR(InProcess(config, size, rows));
    NOKV_RETURN_IF_ERROR(PerProcess(config, size, rows));
  }
  return Status::Ok();
}

}  // namespace nokv::bench
