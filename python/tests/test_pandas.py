"""pandas reads and writes nokv:// URLs through fsspec."""

import pandas as pd

import nokv


def test_to_csv_then_read_csv(data_dir, monkeypatch):
    monkeypatch.delenv("NOKV_SERVER", raising=False)
    monkeypatch.setenv("NOKV_DATA_DIR", str(data_dir))
    frame = pd.DataFrame({"step": range(1000), "loss": [1.0 / (i + 1) for i in range(1000)]})
    frame.to_csv("nokv://runs/1/metrics.csv", index=False)
    back = pd.read_csv("nokv://runs/1/metrics.csv")
    pd.testing.assert_frame_equal(back, frame)
    with nokv.Client(data_dir) as c:
        text = c.read_bytes("/runs/1/metrics.csv").decode()
    assert text.splitlines()[0] == "step,loss"
    assert len(text.splitlines()) == 1001


def test_storage_options_and_chunked_reads(data_dir):
    options = {"data_dir": str(data_dir)}
    frame = pd.DataFrame({"k": ["a", "b", "c"] * 2000, "v": range(6000)})
    frame.to_csv("nokv://t/frame.csv.gz", index=False, storage_options=options)
    back = pd.read_csv("nokv://t/frame.csv.gz", storage_options=options)
    pd.testing.assert_frame_equal(back, frame)
    chunks = list(pd.read_csv("nokv://t/frame.csv.gz", storage_options=options, chunksize=1000))
    assert sum(len(c) for c in chunks) == 6000


def test_json_lines_round_trip(data_dir):
    options = {"data_dir": str(data_dir)}
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    frame.to_json("nokv://j/rows.jsonl", orient="records", lines=True, storage_options=options)
    back = pd.read_json("nokv://j/rows.jsonl", lines=True, storage_options=options)
    pd.testing.assert_frame_equal(back, frame)
