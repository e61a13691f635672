"""Run NannyML's CBPE on two Parquet files and print its estimates as JSON.

Runs inside the side venv that tests/engine/test_estimation.py creates (NannyML cannot be a
dependency of scalegate's own environment). Usage:
``python nannyml_cbpe.py REFERENCE.parquet ANALYSIS.parquet CHUNK_PERIOD``
Columns: y (label), s (score), p (prediction), t (timestamp).
"""

import json
import os
import sys
import warnings

# NannyML sends usage statistics over the network unless this is set: never from tests
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"

import pandas as pd

warnings.filterwarnings("ignore")

import nannyml as nml  # noqa: E402

METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]


def main() -> None:
    reference = pd.read_parquet(sys.argv[1])
    analysis = pd.read_parquet(sys.argv[2])
    estimator = nml.CBPE(
        y_pred_proba="s",
        y_pred="p",
        y_true="y",
        timestamp_column_name="t",
        metrics=METRICS,
        chunk_period=sys.argv[3],
        problem_type="classification_binary",
    )
    estimator.fit(reference)
    frame = estimator.estimate(analysis).filter(period="analysis").to_df()
    chunks = []
    for _, row in frame.iterrows():
        chunk = {"start": str(row[("chunk", "start_date")])}
        for metric in METRICS:
            chunk[metric] = {
                "value": float(row[(metric, "value")]),
                "sampling_error": float(row[(metric, "sampling_error")]),
                "lower": float(row[(metric, "lower_confidence_boundary")]),
                "upper": float(row[(metric, "upper_confidence_boundary")]),
            }
        chunks.append(chunk)
    print(json.dumps({"needs_calibration": bool(estimator.needs_calibration), "chunks": chunks}))


if __name__ == "__main__":
    main()
