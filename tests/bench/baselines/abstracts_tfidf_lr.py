"""TF-IDF + logistic-regression baseline for the abstract-condition starter model.

Trains and scores on exactly the split the Osler recipe used (the bundle's split.json: 0-based
data-row indices of abstracts.csv), so the two macro-F1 figures are comparable. Run with Debian's
python3-sklearn:

    /usr/bin/python3 tests/bench/baselines/abstracts_tfidf_lr.py \
        --data ../shared/data/text/medical-abstracts/abstracts.csv \
        --split resources/models/abstract-condition/split.json

Prints one JSON object. The headline `baseline` is fixed in advance, not tuned on validation:
word uni+bigram TF-IDF (sublinear tf, min_df 2), logistic regression with balanced class weights
and C chosen by 5-fold stratified cross-validation on the training split only (macro-F1). The
`variants` are common untuned settings, reported for context.
"""

import argparse
import csv
import json
import sys
import time
import warnings

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold


def read(path, text_col, label_col):
    csv.field_size_limit(1 << 24)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r[text_col] for r in rows], np.array([r[label_col].strip() for r in rows])


def score(y_true, y_pred):
    return {
        "macroF1": round(float(f1_score(y_true, y_pred, average="macro")), 4),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--text-col", default="medical_abstract")
    ap.add_argument("--label-col", default="condition_label")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    texts, labels = read(args.data, args.text_col, args.label_col)
    with open(args.split, encoding="utf-8") as f:
        split = json.load(f)
    tr, va = np.array(split["train"]), np.array(split["validation"])
    if len(set(tr) & set(va)) != 0:
        sys.exit("train and validation overlap")
    started = time.time()
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    a = vec.fit_transform([texts[i] for i in tr])
    b = vec.transform([texts[i] for i in va])
    grid = GridSearchCV(
        LogisticRegression(max_iter=5000, class_weight="balanced"),
        {"C": [0.25, 0.5, 1, 2, 4, 8, 16]},
        scoring="f1_macro",
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    ).fit(a, labels[tr])
    baseline = {"C": grid.best_params_["C"], **score(labels[va], grid.predict(b))}
    seconds = round(time.time() - started, 1)
    variants = {}
    for name, cw in (("C1_balanced", "balanced"), ("C1_unweighted", None)):
        m = LogisticRegression(C=1.0, max_iter=5000, class_weight=cw).fit(a, labels[tr])
        variants[name] = score(labels[va], m.predict(b))
    print(
        json.dumps(
            {
                "model": "tfidf-word-1-2gram+logistic-regression",
                "train": int(len(tr)),
                "validation": int(len(va)),
                "baseline": baseline,
                "variants": variants,
                "seconds": seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
