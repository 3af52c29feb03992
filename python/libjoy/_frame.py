"""Flow records as a pandas DataFrame."""
from ._lib import flows

_DIR = {">": 1, "<": -1}


def to_dataframe(source, **kwargs):
    """One row per flow: scalar members as columns, nested members as
    Python objects, and numpy arrays splt_b, splt_dir (+1 out, -1 in),
    splt_ipt (ms) from "packets" and byte_dist (256 counts, dist=True)."""
    import numpy as np
    import pandas as pd

    rows = []
    for rec in flows(source, **kwargs):
        row = dict(rec)
        pk = rec.get("packets", [])
        row["splt_b"] = np.array([p["b"] for p in pk], dtype=np.int64)
        row["splt_dir"] = np.array([_DIR[p["dir"]] for p in pk], dtype=np.int8)
        row["splt_ipt"] = np.array([p["ipt"] for p in pk], dtype=np.int64)
        if "byte_dist" in rec:
            row["byte_dist"] = np.array(rec["byte_dist"], dtype=np.int64)
        rows.append(row)
    return pd.DataFrame(rows)
