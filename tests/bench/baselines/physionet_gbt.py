"""Gradient-boosted trees baseline for icu-mortality on the recipe's own split.

Per-variable summaries (min, max, mean, last, count) over the first 48 h of each PhysioNet 2012
set-A stay plus age, gender, height, ICU type and weight, scored with scikit-learn's
HistGradientBoostingClassifier on exactly the validation RecordIDs the shipped model was validated
on (split.json written by the recipe). Prints `name: value` lines.

    /usr/bin/python3 tests/bench/baselines/physionet_gbt.py [DATA_DIR] [SPLIT_JSON]
"""

import json
import os
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OSLER_DATA", os.path.join(ROOT, "..", "shared", "data"))
SPLIT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "resources", "models", "icu-mortality", "split.json")
DESCRIPTORS = ["Age", "Gender", "Height", "ICUType", "Weight"]
ZERO_ALLOWED = {"Urine", "MechVent"}


def read_stay(path):
    """Descriptors and {variable: [values in time order]} of one record (first 48 h)."""
    desc = {}
    series = {}
    with open(path) as f:
        next(f)
        in_desc = True
        for line in f:
            parts = line.strip().split(",")
            if len(parts) != 3 or parts[2] == "":
                continue
            t, name, value = parts
            h, m = t.split(":")
            minutes = int(h) * 60 + int(m)
            v = float(value)
            if in_desc and minutes == 0 and name in DESCRIPTORS + ["RecordID"] and name not in desc:
                desc[name] = v
                continue
            in_desc = False
            # Same cleaning as the tfjs recipe: non-positive values are recording errors.
            if minutes >= 48 * 60 or (v < 0 if name in ZERO_ALLOWED else v <= 0):
                continue
            series.setdefault(name, []).append(v)
    return desc, series


def main():
    split = json.load(open(SPLIT))
    outcome = {}
    with open(os.path.join(DATA, "vitals", "physionet2012", "Outcomes-a.txt")) as f:
        next(f)
        for line in f:
            p = line.strip().split(",")
            outcome[p[0]] = int(p[-1])
    set_dir = os.path.join(DATA, "vitals", "physionet2012", "set-a")
    stays = {}
    for name in sorted(os.listdir(set_dir)):
        if name.endswith(".txt"):
            stays[name[:-4]] = read_stay(os.path.join(set_dir, name))
    variables = sorted({v for _, s in stays.values() for v in s})

    def features(rid):
        desc, s = stays[rid]
        row = []
        for v in variables:
            x = s.get(v)
            if x:
                row += [min(x), max(x), float(np.mean(x)), x[-1], len(x)]
            else:
                row += [np.nan, np.nan, np.nan, np.nan, 0]
        for d in DESCRIPTORS:
            x = desc.get(d, -1)
            row.append(np.nan if x < 0 else x)
        return row

    xt = np.array([features(r) for r in split["train"]], dtype=float)
    yt = np.array([outcome[r] for r in split["train"]])
    xv = np.array([features(r) for r in split["validation"]], dtype=float)
    yv = np.array([outcome[r] for r in split["validation"]])
    model = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=300, max_leaf_nodes=15, l2_regularization=1.0, early_stopping=False, random_state=0
    )
    model.fit(xt, yt)
    p = model.predict_proba(xv)[:, 1]
    auc = roc_auc_score(yv, p)
    rng = np.random.default_rng(int(split.get("seed", 0)))
    boots = []
    for _ in range(1000):
        idx = rng.integers(0, len(yv), len(yv))
        if yv[idx].min() != yv[idx].max():
            boots.append(roc_auc_score(yv[idx], p[idx]))
    lo, hi = np.percentile(boots, [2.5, 97.5])
    print(f"physionet.gbt.train_n: {len(yt)}")
    print(f"physionet.gbt.validation_n: {len(yv)}")
    print(f"physionet.gbt.features: {xt.shape[1]}")
    print(f"physionet.gbt.auc: {auc:.4f}")
    print(f"physionet.gbt.auc_ci95: {lo:.4f} {hi:.4f}")


if __name__ == "__main__":
    main()
