"""PyTorch through NoKV: torch.save/torch.load of a checkpoint through
fsspec, an atomic replace guarded by the generation, and a Dataset reading
samples by range in 4 DataLoader workers (forked), every sample verified."""

import hashlib
import io

import fsspec
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

import nokv

SAMPLE = 16 * 1024
SAMPLES = 512

# The tests ask for 4 workers on purpose (the shape), more than the
# 2 cores torch suggests here.
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")


def sample_bytes(i):
    # Deterministic and distinct per sample: 16 KiB from a counter hash.
    seed = hashlib.sha256(i.to_bytes(8, "little")).digest()
    return (seed * (SAMPLE // len(seed)))[:SAMPLE]


def test_torch_save_and_load_through_fsspec(data_dir):
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    state = {"model": model.state_dict(), "step": 1234, "lr": 3e-4}
    with fsspec.open("nokv://runs/1/ckpt.pt", "wb", data_dir=str(data_dir)) as f:
        torch.save(state, f)
    with fsspec.open("nokv://runs/1/ckpt.pt", "rb", data_dir=str(data_dir)) as f:
        loaded = torch.load(f)
    assert loaded["step"] == 1234 and loaded["lr"] == 3e-4
    for key, tensor in state["model"].items():
        assert torch.equal(loaded["model"][key], tensor)


def test_atomic_replace_with_generation_check(client):
    weights = torch.arange(100000, dtype=torch.float32)
    with client.open("/ckpt/latest.pt", "wb") as f:
        torch.save({"w": weights, "epoch": 1}, f)
    g1 = f.published["generation"]
    # A writer that read epoch 1 replaces it only if nobody else did.
    with client.open("/ckpt/latest.pt", "wb", expected_generation=g1) as f:
        torch.save({"w": weights * 2, "epoch": 2}, f)
    g2 = f.published["generation"]
    # A second writer that also started from epoch 1 loses, and publishes nothing.
    with pytest.raises(nokv.ConflictError) as e:
        with client.open("/ckpt/latest.pt", "wb", expected_generation=g1) as f:
            torch.save({"w": weights * 3, "epoch": 3}, f)
    assert e.value.current_generation == g2
    with client.open("/ckpt/latest.pt") as f:
        latest = torch.load(f)
    assert latest["epoch"] == 2 and torch.equal(latest["w"], weights * 2)
    # A crash during torch.save publishes nothing either.
    with pytest.raises(RuntimeError):
        with client.open("/ckpt/latest.pt", "wb") as f:
            f.write(b"partial")
            raise RuntimeError("killed mid-save")
    assert client.stat("/ckpt/latest.pt")["generation"] == g2


class ShardDataset(Dataset):
    """Samples at fixed offsets of one shard file, read by range."""

    def __init__(self, client, path, count):
        self.client = client
        self.path = path
        self.count = count
        self.file = None  # opened lazily in each worker

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        if self.file is None:
            self.file = self.client.open(self.path, buffering=0)
        data = self.file.read_at(i * SAMPLE, SAMPLE)
        return i, torch.frombuffer(bytearray(data), dtype=torch.uint8)


def test_dataloader_with_four_workers_reads_every_sample(client):
    shard = io.BytesIO()
    for i in range(SAMPLES):
        shard.write(sample_bytes(i))
    client.write_bytes("/data/shard-0000.bin", shard.getvalue())
    loader = DataLoader(
        ShardDataset(client, "/data/shard-0000.bin", SAMPLES),
        batch_size=16,
        shuffle=True,
        num_workers=4,
        multiprocessing_context="fork",
        generator=torch.Generator().manual_seed(7),
    )
    seen = set()
    for indices, batch in loader:
        for i, row in zip(indices.tolist(), batch):
            assert bytes(row.numpy()) == sample_bytes(i), f"sample {i} differs"
            seen.add(i)
    assert seen == set(range(SAMPLES))
    assert client.role == "serving"  # the workers went through its socket


def test_dataloader_over_a_server(server_factory, data_dir):
    server = server_factory(data_dir, "--listen", "127.0.0.1:0")
    with nokv.Client(server=server.tcp_address()) as c:
        c.write_bytes("/data/s.bin", b"".join(sample_bytes(i) for i in range(64)))
        loader = DataLoader(
            ShardDataset(c, "/data/s.bin", 64), batch_size=8, num_workers=4,
            multiprocessing_context="fork",
        )
        count = 0
        for indices, batch in loader:
            for i, row in zip(indices.tolist(), batch):
                assert i < 64 and bytes(row.numpy()) == sample_bytes(i)
                count += 1
        assert count == 64
