"""Would representations learned from unlabelled text help abstract-condition? A scikit-learn proxy.

Issue #7 suggests embeddings pre-trained on the unlabelled notes in the shared data. Of that text only
druglib (UCI Drug Review, CC BY 4.0) may feed a shipped model (mtsamples and symptom2disease are marked
"tests only" in the data README), so this measures whether latent semantic analysis (a 200-dimensional
truncated SVD of TF-IDF, the linear cousin of word embeddings) fitted on druglib adds anything to the
strongest linear model found for the abstracts: word uni+bigram + character 2-5-gram TF-IDF, logistic
regression with balanced class weights. 5-fold stratified cross-validation on the recipe's training
split only (split.json); the validation split is not read. Run with Debian's python3-sklearn:

    /usr/bin/python3 tests/bench/baselines/abstracts_lsa_proxy.py \
        --data ../shared/data/text/medical-abstracts/abstracts.csv \
        --druglib ../shared/data/text/druglib \
        --split resources/models/abstract-condition/split.json

Prints one JSON object: out-of-fold macro-F1 without LSA features, with LSA fitted on each fold's
training abstracts, with LSA fitted on those plus druglib, and the same with the LSA block weighted 2x.
"""

import argparse
import csv
import json
import os
import warnings

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

REVIEW_COLUMNS = ["benefitsReview", "sideEffectsReview", "commentsReview"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--druglib", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--dim", type=int, default=200)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    csv.field_size_limit(1 << 24)
    with open(args.data, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["medical_abstract"] for r in rows]
    y = np.array([r["condition_label"].strip() for r in rows])
    with open(args.split, encoding="utf-8") as f:
        tr = np.array(json.load(f)["train"])
    reviews = []
    for name in ["drugLibTrain_raw.tsv", "drugLibTest_raw.tsv"]:
        with open(os.path.join(args.druglib, name), newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                reviews.append(" ".join(r.get(c) or "" for c in REVIEW_COLUMNS))
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(tr, y[tr]))

    def out_of_fold_f1(lsa, unlabelled=(), weight=1.0):
        predicted = np.empty(len(tr), dtype=y.dtype)
        for a, b in folds:
            fit = [texts[i] for i in tr[a]]
            held = [texts[i] for i in tr[b]]
            words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
            chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
            A = [words.fit_transform(fit), chars.fit_transform(fit)]
            B = [words.transform(held), chars.transform(held)]
            if lsa:
                vec = TfidfVectorizer(min_df=2, sublinear_tf=True)
                svd = TruncatedSVD(args.dim, random_state=0).fit(vec.fit_transform(fit + list(unlabelled)))
                A.append(csr_matrix(weight * normalize(svd.transform(vec.transform(fit)))))
                B.append(csr_matrix(weight * normalize(svd.transform(vec.transform(held)))))
            model = LogisticRegression(C=1, max_iter=3000, class_weight="balanced")
            model.fit(hstack(A).tocsr(), y[tr[a]])
            predicted[b] = model.predict(hstack(B).tocsr())
        return round(float(f1_score(y[tr], predicted, average="macro")), 4)

    print(
        json.dumps(
            {
                "folds": 5,
                "trainAbstracts": int(len(tr)),
                "druglibReviews": len(reviews),
                "lsaDimensions": args.dim,
                "macroF1": {
                    "noLsa": out_of_fold_f1(False),
                    "lsaTrainingAbstracts": out_of_fold_f1(True),
                    "lsaTrainingAbstractsPlusDruglib": out_of_fold_f1(True, reviews),
                    "lsaPlusDruglibWeighted2x": out_of_fold_f1(True, reviews, 2.0),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
