"""libjoy (Python) against the joy command on the same capture.

The capture is written by cmd/joy-mkdemo (4 flows: TCP, UDP, TLS port,
DNS), whose records do not depend on when expired flows are drained, so
the library driven from Python must print exactly what `joy` prints.
Environment: LIBJOY_PATH (the library), JOY_CLI (the joy command); both
default to the repository's build/.
"""
import json
import os
import shutil
import subprocess

import pytest

import libjoy

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("JOY_CLI", os.path.join(REPO, "build", "joy"))


@pytest.fixture(scope="session")
def capture(tmp_path_factory):
    if shutil.which("go") is None:
        pytest.skip("go is needed to write the demo capture (cmd/joy-mkdemo)")
    path = str(tmp_path_factory.mktemp("cap") / "demo.pcap")
    subprocess.run(["go", "run", "./cmd/joy-mkdemo", path], cwd=REPO, check=True, capture_output=True, timeout=600)
    return path


def cli(args, path):
    if not os.access(CLI, os.X_OK):
        pytest.skip(f"no joy command at {CLI} (make cli)")
    out = subprocess.run([CLI] + args + [path], check=True, capture_output=True, timeout=120).stdout
    lines = [json.loads(l) for l in out.decode().splitlines() if l]
    return lines[0], lines[1:]


@pytest.mark.parametrize("args,opts", [
    (["bidir=1"], dict(bidir=True)),
    (["bidir=1", "dist=1", "entropy=1"], dict(bidir=True, dist=True, entropy=True)),
    (["bidir=1", "tls=1", "dns=1", "http=1", "idp=1300"], dict(bidir=True, tls=True, dns=True, http=True, idp=1300)),
    ([], {}),
])
def test_records_equal_cli(capture, args, opts):
    want_cfg, want = cli(args, capture)
    got = list(libjoy.flows(capture, **opts))
    assert len(want) >= 4
    assert got == want
    # The configuration record of the same options is the command's, but
    # for where the records go (a temporary file here, stdout there).
    cfg = libjoy.config(**opts)
    assert cfg.pop("output") == "flows.json" and cfg.pop("outputdir").startswith("/")
    want_cfg.pop("output"), want_cfg.pop("outputdir")
    assert cfg == want_cfg


def test_flows_is_lazy_iterator(capture):
    it = libjoy.flows(capture, bidir=True)
    assert iter(it) is it
    first = next(it)
    assert {"sa", "da", "pr", "sp", "dp", "packets"} <= set(first)


def test_dataframe_columns(capture):
    np = pytest.importorskip("numpy")
    pytest.importorskip("pandas")
    _, want = cli(["bidir=1", "dist=1"], capture)
    df = libjoy.to_dataframe(capture, bidir=True, dist=True)
    assert len(df) == len(want) == 4
    for col in ["sa", "da", "pr", "sp", "dp", "bytes_out", "num_pkts_out", "time_start", "splt_b", "splt_dir",
                "splt_ipt", "byte_dist"]:
        assert col in df.columns, col
    for (_, row), rec in zip(df.iterrows(), want):
        assert (row["sa"], row["da"], row["sp"], row["dp"]) == (rec["sa"], rec["da"], rec["sp"], rec["dp"])
        assert isinstance(row["splt_b"], np.ndarray) and row["splt_b"].dtype == np.int64
        assert row["splt_b"].tolist() == [p["b"] for p in rec["packets"]]
        assert row["splt_dir"].tolist() == [1 if p["dir"] == ">" else -1 for p in rec["packets"]]
        assert row["splt_ipt"].tolist() == [p["ipt"] for p in rec["packets"]]
        assert row["byte_dist"].shape == (256,)
        assert row["byte_dist"].tolist() == rec["byte_dist"]
        # Every payload byte of both directions is counted once.
        assert int(row["byte_dist"].sum()) == rec["bytes_out"] + rec.get("bytes_in", 0)


def test_bad_input(tmp_path):
    with pytest.raises(libjoy.JoyError, match="nonexistent"):
        list(libjoy.flows(str(tmp_path / "nonexistent.pcap")))
    with pytest.raises(libjoy.JoyError, match="unknown option"):
        list(libjoy.flows(str(tmp_path / "x.pcap"), bidirr=True))
    with pytest.raises(libjoy.JoyError, match="type=3"):
        libjoy.config(type=3)
    not_pcap = tmp_path / "text.pcap"
    not_pcap.write_text("not a capture\n")
    with pytest.raises(libjoy.JoyError):
        list(libjoy.flows(str(not_pcap)))
