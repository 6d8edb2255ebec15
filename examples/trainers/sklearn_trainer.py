"""Train a scikit-learn classifier on a dataset shipped inside scikit-learn and report the artifact.

    MODELYARD_OUTPUT_URI=file:///tmp/out MODELYARD_TERMINATION_LOG=/tmp/report.json \
        HP_MODEL=logistic HP_C=1.0 python sklearn_trainer.py [--bad]

Hyperparameters (``HP_<NAME>`` or the JSON file in ``MODELYARD_HYPERPARAMETERS_FILE``): ``dataset`` (iris,
digits), ``model`` (logistic, forest), ``c``, ``max_iter``, ``n_estimators``, ``max_depth``, ``test_size``,
``seed``. ``--bad`` (or ``bad=true``) makes the "bad model" of the demo: it predicts as well as the good one,
but carries ``modelyard_faults`` that the model server honours: ``bad_error_rate`` (default 0.5) of infer
requests answered 500, ``bad_latency`` (default 100ms) added to each.
"""

from __future__ import annotations

import argparse
import os
import sys

import joblib
from contract import build_report, hyperparameters, output_path, write_report
from sklearn import datasets
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

LOADERS = {"iris": datasets.load_iris, "digits": datasets.load_digits}


def build_model(hp: dict[str, str]) -> LogisticRegression | RandomForestClassifier:
    seed = int(hp.get("seed", "0"))
    if hp.get("model", "logistic") == "forest":
        depth = hp.get("max_depth")
        return RandomForestClassifier(n_estimators=int(hp.get("n_estimators", "50")),
                                      max_depth=int(depth) if depth else None, random_state=seed)
    return LogisticRegression(C=float(hp.get("c", "1.0")), max_iter=int(hp.get("max_iter", "1000")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bad", action="store_true", help="carry faults for the canary demo")
    args = parser.parse_args(argv)
    hp = hyperparameters()
    x, y = LOADERS[hp.get("dataset", "iris")](return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=float(hp.get("test_size", "0.25")), random_state=int(hp.get("seed", "0")), stratify=y)
    model = build_model(hp).fit(x_train, y_train)
    predicted = model.predict(x_test)
    metrics = {"accuracy": accuracy_score(y_test, predicted),
               "f1_macro": f1_score(y_test, predicted, average="macro"),
               "train_samples": float(len(x_train)), "test_samples": float(len(x_test))}
    if args.bad or hp.get("bad", "").lower() in ("1", "true", "yes"):
        model.modelyard_faults = {"errorRate": float(hp.get("bad_error_rate", "0.5")),  # type: ignore[union-attr]
                                  "latency": hp.get("bad_latency", "100ms")}
    path, uri = output_path(os.environ["MODELYARD_OUTPUT_URI"], "model.joblib")
    joblib.dump(model, path)
    write_report(build_report(path, uri, "sklearn", metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
