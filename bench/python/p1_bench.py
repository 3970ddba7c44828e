"""P1: Python I/O through the nokv binding against local files read and
written with Python's own I/O, in one run (docs/benchmarks.md, "Python
binding (P1)").

Workloads, each on NoKV (an embedded data directory served by this process;
DataLoader workers are forked and go through its socket) and on local
files in a directory on the same disk:

  samples-shard   random 16 KiB samples by range from one shard file,
                  torch DataLoader, 4 workers (fork), batch 64
  samples-files   random 16 KiB samples, one file per sample, same loader
  ckpt-write      a checkpoint written sequentially in 8 MiB writes and
                  made durable (NoKV: published on close; local: fsync)
  ckpt-read       the checkpoint read sequentially in 8 MiB reads (warm)
  call overhead   per-call cost of the binding: a native attribute read, a
                  1-byte read_at of an open file, stat; local: os.pread,
                  os.stat

Run (after building the binding, docs/python.md):
  PYTHONPATH=build/python /usr/bin/python3 bench/python/p1_bench.py \
      --dir /var/tmp/p1 --out p1.jsonl
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import time

from torch.utils.data import DataLoader, Dataset, Sampler

import nokv

SAMPLE = 16 * 1024
CHUNK = 8 << 20


# --- sample datasets ----------------------------------------------------------
class NokvShard(Dataset):
    def __init__(self, client, path, count):
        self.client, self.path, self.count, self.f = client, path, count, None

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        if self.f is None:
            self.f = self.client.open(self.path, buffering=0)
        return self.f.read_at(i * SAMPLE, SAMPLE)


class LocalShard(Dataset):
    def __init__(self, path, count):
        self.path, self.count, self.f = path, count, None

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        if self.f is None:
            self.f = open(self.path, "rb", buffering=0)
        self.f.seek(i * SAMPLE)
        return self.f.read(SAMPLE)


class NokvFiles(Dataset):
    def __init__(self, client, root, count):
        self.client, self.root, self.count = client, root, count

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        return self.client.read_bytes(f"{self.root}/{i:06d}.bin")


class LocalFiles(Dataset):
    def __init__(self, root, count):
        self.root, self.count = root, count

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        with open(os.path.join(self.root, f"{i:06d}.bin"), "rb") as f:
            return f.read()


class RandomIndices(Sampler):
    """`n` indices drawn from range(count); a new draw each epoch."""

    def __init__(self, count, n, seed):
        self.count, self.n, self.seed = count, n, seed

    def __len__(self):
        return self.n

    def __iter__(self):
        rng = random.Random(self.seed)
        self.seed += 1
        return iter([rng.randrange(self.count) for _ in range(self.n)])


def collate(batch):
    return len(batch), sum(len(b) for b in batch)


def make_loader(dataset, n, workers):
    # Persistent workers: the epochs timed below measure reads, not forks.
    return DataLoader(
        dataset,
        batch_size=64,
        sampler=RandomIndices(len(dataset), n, seed=1),
        num_workers=workers,
        multiprocessing_context="fork",
        persistent_workers=True,
        collate_fn=collate,
        prefetch_factor=4,
    )


def run_epoch(loader, n):
    """Seconds to read one epoch of `n` samples (every sample checked for size)."""
    t0 = time.perf_counter()
    samples = total = 0
    for count, size in loader:
        samples += count
        total += size
    elapsed = time.perf_counter() - t0
    assert samples == n and total == n * SAMPLE, (samples, total)
    return elapsed


# --- helpers ------------------------------------------------------------------
def drop_dir(path):
    if os.path.exists(path):
        shutil.rmtree(path)


def write_local_durable(path, payload):
    with open(path, "wb") as f:
        for off in range(0, len(payload), CHUNK):
            f.write(payload[off : off + CHUNK])
        f.flush()
        os.fsync(f.fileno())
    dfd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def write_nokv(client, path, payload):
    with client.open(path, "wb") as f:
        for off in range(0, len(payload), CHUNK):
            f.write(payload[off : off + CHUNK])


def read_seq(f):
    n = 0
    h = 0
    while True:
        chunk = f.read(CHUNK)
        if not chunk:
            return n, h
        n += len(chunk)
        h ^= chunk[-1]


def per_call_ns(fn, n):
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t0) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", required=True, help="scratch directory (deleted and re-created)")
    ap.add_argument("--shard-mib", type=int, default=256)
    ap.add_argument("--sample-files", type=int, default=4096)
    ap.add_argument("--samples", type=int, default=2048, help="samples read per epoch")
    ap.add_argument("--ckpt-mib", type=int, default=1024)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", help="JSON lines of every figure")
    args = ap.parse_args()

    drop_dir(args.dir)
    local = os.path.join(args.dir, "local")
    os.makedirs(local)
    client = nokv.Client(os.path.join(args.dir, "nokv"), create=True)
    rows = []

    def record(workload, target, value, unit, extra=None):
        row = {"workload": workload, "target": target, "value": value, "unit": unit}
        row.update(extra or {})
        rows.append(row)
        print(json.dumps(row), flush=True)

    # Data: one shard and many small files, identical bytes on both sides.
    count = args.shard_mib * (1 << 20) // SAMPLE
    shard = os.urandom(count * SAMPLE)
    client.write_bytes("/shard.bin", shard)
    with open(os.path.join(local, "shard.bin"), "wb") as f:
        f.write(shard)
    os.makedirs(os.path.join(local, "files"))
    tree = os.path.join(args.dir, "files-src")
    os.makedirs(tree)
    for i in range(args.sample_files):
        data = shard[i * SAMPLE : (i + 1) * SAMPLE]
        with open(os.path.join(local, "files", f"{i:06d}.bin"), "wb") as f:
            f.write(data)
        with open(os.path.join(tree, f"{i:06d}.bin"), "wb") as f:
            f.write(data)
    client.put(tree, "/files")
    shutil.rmtree(tree)

    # One epoch warms each loader (workers forked, files opened, page cache);
    # the next `repeats` epochs are timed, alternating the two sides.
    datasets = (
        ("samples-shard", NokvShard(client, "/shard.bin", count),
         LocalShard(os.path.join(local, "shard.bin"), count)),
        ("samples-files", NokvFiles(client, "/files", args.sample_files),
         LocalFiles(os.path.join(local, "files"), args.sample_files)),
    )
    for name, nokv_ds, local_ds in datasets:
        loaders = {"nokv": make_loader(nokv_ds, args.samples, args.workers),
                   "local": make_loader(local_ds, args.samples, args.workers)}
        rates = {"nokv": [], "local": []}
        for target, loader in loaders.items():
            run_epoch(loader, args.samples)
        for _ in range(args.repeats):
            for target, loader in loaders.items():
                rates[target].append(args.samples / run_epoch(loader, args.samples))
        for target, values in rates.items():
            record(name, target, statistics.median(values), "samples/s",
                   {"min": min(values), "max": max(values), "workers": args.workers,
                    "samples": args.samples})
        del loaders

    # Checkpoint write and read, the two sides alternating.
    ckpt = os.urandom(args.ckpt_mib << 20)
    gb = len(ckpt) / 1e9
    local_ckpt = os.path.join(local, "ckpt.pt")

    def write_once(target):
        t0 = time.perf_counter()
        if target == "nokv":
            write_nokv(client, "/ckpt.pt", ckpt)
        else:
            write_local_durable(local_ckpt, ckpt)
        return gb / (time.perf_counter() - t0)

    def read_once(target):
        t0 = time.perf_counter()
        with (client.open("/ckpt.pt") if target == "nokv" else open(local_ckpt, "rb")) as f:
            n, _ = read_seq(f)
        assert n == len(ckpt)
        return gb / (time.perf_counter() - t0)

    for workload, once in (("ckpt-write", write_once), ("ckpt-read", read_once)):
        rates = {"nokv": [], "local": []}
        for target in rates:
            once(target)  # warm-up (and, for the read, the file to read)
        for _ in range(args.repeats):
            for target in rates:
                rates[target].append(once(target))
        for target, values in rates.items():
            record(workload, target, statistics.median(values), "GB/s",
                   {"min": min(values), "max": max(values), "bytes": len(ckpt)})
    with client.open("/ckpt.pt") as f:
        assert hashlib.sha256(f.read()).digest() == hashlib.sha256(ckpt).digest()

    # Per-call overhead.
    client.write_bytes("/tiny", b"t" * 4096)
    with open(os.path.join(local, "tiny"), "wb") as f:
        f.write(b"t" * 4096)
    reader = client.open("/tiny", buffering=0)
    fd = os.open(os.path.join(local, "tiny"), os.O_RDONLY)
    n = 20000
    record("call: native attribute (reader.size)", "nokv", per_call_ns(lambda: reader.size, n * 10), "ns/call")
    record("call: 1-byte read_at of an open file", "nokv", per_call_ns(lambda: reader.read_at(7, 1), n), "ns/call")
    record("call: 1-byte read_at of an open file", "local", per_call_ns(lambda: os.pread(fd, 1, 7), n), "ns/call")
    record("call: stat", "nokv", per_call_ns(lambda: client.stat("/tiny"), n), "ns/call")
    tiny = os.path.join(local, "tiny")
    record("call: stat", "local", per_call_ns(lambda: os.stat(tiny), n), "ns/call")
    reader.close()
    os.close(fd)

    if args.out:
        with open(args.out, "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    client.close()
    drop_dir(args.dir)
    print_table(rows)


def print_table(rows):
    by = {}
    for r in rows:
        by.setdefault(r["workload"], {})[r["target"]] = r
    print("\n| workload | nokv | local (Python I/O) | nokv / local |")
    print("|---|---|---|---|")
    for workload, t in by.items():
        n, l = t.get("nokv"), t.get("local")
        fmt = lambda r: "-" if r is None else f"{r['value']:.3g} {r['unit']}"
        if n and l and n["unit"].endswith("/s"):
            ratio = f"{n['value'] / l['value']:.2f}x"
        elif n and l:
            ratio = f"{l['value'] / n['value']:.2f}x (speed)"
        else:
            ratio = "-"
        print(f"| {workload} | {fmt(n)} | {fmt(l)} | {ratio} |")


if __name__ == "__main__":
    sys.exit(main())
