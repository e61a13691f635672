"""``scalegate monitor``: watch a model in production: batches, drift, labels, performance."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from scalegate.cli.common import parse_when, state
from scalegate.cli.output import console, esc, print_json

if TYPE_CHECKING:
    from scalegate.services.monitoring import BatchResult

app = typer.Typer(
    help="Monitor a model in production: log batches and labels, see drift and performance.",
    no_args_is_help=True,
)

STATUS_STYLE = {
    "ok": "[green]ok[/]",
    "drift": "[yellow]drift[/]",
    "critical": "[bold red]critical[/]",
}
#: metrics shown in the batch table, in this order, when present, with their short headers
SHOWN = {
    "drift_share": "drift",
    "accuracy": "acc",
    "roc_auc": "auc",
    "f1": "f1",
    "rmse": "rmse",
    "mae": "mae",
    "estimated_accuracy": "est acc",
    "estimated_roc_auc": "est auc",
    "estimated_f1": "est f1",
}
FAIL_ON = ("critical", "drift", "never")

MonitorOption = Annotated[str, typer.Option("--monitor", "-m", help="Monitor name")]


def _drift_config(path: Path | None) -> Any:
    if path is None:
        return None
    from scalegate.cli.common import read_text
    from scalegate.engine.drift import load_config

    return load_config(read_text(path), str(path))


@app.command("create")
def create(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    reference: Annotated[
        str,
        typer.Option(
            "--reference",
            "-r",
            help="Reference data (Parquet, CSV, NDJSON file, folder or glob) or a profile JSON",
        ),
    ],
    model_name: Annotated[str, typer.Option(help="Model name, e.g. churn-gbm")],
    model_version: Annotated[str, typer.Option(help="Model version, e.g. 3 or 2026-11-01")],
    name: Annotated[str, typer.Option("--name", help="Monitor name")] = "default",
    task: Annotated[
        str | None, typer.Option(help="classification | regression (enables performance)")
    ] = None,
    artifact_uri: Annotated[str, typer.Option(help="Where the model artifact lives")] = "",
    training_fingerprint: Annotated[
        str, typer.Option(help="Fingerprint of the training data")
    ] = "",
    code_revision: Annotated[str, typer.Option(help="Code revision (git SHA)")] = "",
    id_column: Annotated[str | None, typer.Option(help="Row id column [default: id]")] = None,
    timestamp_column: Annotated[
        str | None, typer.Option(help="Event time column [default: timestamp]")
    ] = None,
    prediction_column: Annotated[
        str | None, typer.Option(help="Predicted label or value [default: prediction]")
    ] = None,
    score_column: Annotated[
        str | None,
        typer.Option(help="Probability of the positive class [default: score]"),
    ] = None,
    label_column: Annotated[
        str | None, typer.Option(help="True label/value [default: label]")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Drift settings YAML (methods, thresholds)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Set up a monitor for a model version against its reference data."""
    from scalegate.services import monitoring

    st = state(ctx)
    ref: Any = reference
    if reference.endswith(".json"):
        ref = _profile_json(Path(reference))
    monitor = monitoring.create(
        st.store,
        slug,
        ref,
        actor=st.actor,
        name=name,
        model_name=model_name,
        model_version=model_version,
        artifact_uri=artifact_uri,
        training_fingerprint=training_fingerprint,
        code_revision=code_revision,
        task=_task(task),
        columns={
            "id": id_column,
            "timestamp": timestamp_column,
            "prediction": prediction_column,
            "score": score_column,
            "label": label_column,
        },
        config=_drift_config(config),
        reference_source=reference,
    )
    if as_json:
        print_json(monitor.to_dict())
        return
    roles = ", ".join(f"{k} {v}" for k, v in monitor.columns.items() if v)
    console.print(
        f"monitor [bold]{esc(monitor.name)}[/] of {esc(slug)} watches {esc(monitor.model_name)} "
        f"v{esc(monitor.model_version)} against {esc(monitor.reference_source)}"
    )
    if roles:
        console.print(f"columns: {esc(roles)}")
    if monitor.reference_metrics:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in monitor.reference_metrics.items())
        console.print(f"reference performance: {shown}")
    if monitor.has_estimator:
        console.print("performance is estimated for batches without labels (CBPE)")


def _task(value: str | None) -> str | None:
    if value is None:
        return None
    from scalegate.domain.monitoring import Task
    from scalegate.errors import UnknownChoiceError

    if value not in {t.value for t in Task}:
        raise UnknownChoiceError.of("task", value, [t.value for t in Task])
    return value


def _profile_json(path: Path) -> dict[str, Any]:
    """A profile from a JSON file: a profile itself, or ``scalegate check --json`` output."""
    import json

    from scalegate.cli.common import read_text
    from scalegate.errors import ValidationError

    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("profile"), dict):
        data = data["profile"]
    if not isinstance(data, dict) or "columns" not in data:
        raise ValidationError(
            f"{path}: expected a profile (from 'scalegate check --json' or a saved profile)"
        )
    return data


def render_batch(result: "BatchResult") -> None:
    drift = result.drift
    console.print(
        f"batch {result.batch_id} of monitor [bold]{esc(result.monitor)}[/] at "
        f"{result.at:%Y-%m-%d %H:%M} ({result.rows:,} rows): {STATUS_STYLE[result.status.value]}"
        f" [dim]({result.evidence})[/]"
    )
    table = Table("column", "type", "method", "value", "threshold", "verdict", box=None)
    for col in drift.get("columns", []):
        value = col.get("value")
        table.add_row(
            esc(col.get("name", "")),
            esc(col.get("kind", "")),
            esc(col.get("method", "")),
            "" if value is None else f"{value:.4f}",
            "" if col.get("threshold") is None else f"{col['threshold']:g}",
            "[yellow]drift[/]" if col.get("drifted") else (esc(col.get("reason") or "ok")),
        )
    console.print(table)
    drifted = result.drifted
    console.print(f"{len(drifted)} drifted: {esc(', '.join(drifted)) or 'none'}")
    estimates = {k: v for k, v in result.metrics.items() if k.startswith("estimated_")}
    if estimates:
        console.print("estimated: " + ", ".join(f"{k[10:]} {v:.3f}" for k, v in estimates.items()))
    for alert in result.alerts:
        console.print(f"[bold red]open alert[/] {esc(alert['message'])}")


@app.command("log")
def log(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    data: Annotated[
        str, typer.Argument(help="Batch: features and predictions (file, folder, glob)")
    ],
    monitor: MonitorOption = "default",
    at: Annotated[
        str | None,
        typer.Option(help="Batch time (YYYY-MM-DD[THH:MM]) [default: newest timestamp, else now]"),
    ] = None,
    fail_on: Annotated[str, typer.Option(help="Exit 1 on: critical | drift | never")] = "critical",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Log a production batch: drift against the reference, estimated performance, alerts.

    Exit code 1 when the batch's drift status reaches --fail-on (default: critical).
    """
    from scalegate.errors import UnknownChoiceError
    from scalegate.services import monitoring

    if fail_on not in FAIL_ON:
        raise UnknownChoiceError.of("--fail-on", fail_on, FAIL_ON)
    st = state(ctx)
    when = parse_when(at, option="--at") if at else None
    result = monitoring.log_batch(st.store, slug, data, actor=st.actor, monitor=monitor, at=when)
    if as_json:
        print_json(result.to_dict())
    else:
        render_batch(result)
    level = {"never": 3, "critical": 2, "drift": 1}[fail_on]
    if result.status.level >= level:
        raise typer.Exit(1)


@app.command("labels")
def labels(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    data: Annotated[str, typer.Argument(help="Labels: an id column and a label column")],
    monitor: MonitorOption = "default",
    id_column: Annotated[
        str | None, typer.Option(help="Id column [default: the monitor's]")
    ] = None,
    label_column: Annotated[
        str | None, typer.Option(help="Label column [default: the monitor's]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Join labels that arrived later to the logged batches and compute realised performance."""
    from scalegate.services import monitoring

    st = state(ctx)
    result = monitoring.log_labels(
        st.store,
        slug,
        data,
        actor=st.actor,
        monitor=monitor,
        id_column=id_column,
        label_column=label_column,
    )
    if as_json:
        print_json(result.to_dict())
        return
    console.print(
        f"{result.matched:,} of {result.labels:,} labels joined to "
        f"{len(result.batches)} batches of monitor [bold]{esc(result.monitor)}[/]"
    )
    if result.unknown:
        shown = ", ".join(esc(repr(v)) for v in result.unknown_examples)
        console.print(
            f"[yellow]{result.unknown:,} labels have ids no batch logged[/] (e.g. {shown}); "
            "they were not stored"
        )
    table = Table("batch", "at", "labelled", "metrics", "evidence", box=None)
    for b in result.batches:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in b["metrics"].items())
        table.add_row(
            str(b["batch"]), b["at"][:16], f"{b['labelled_rows']:,}", shown, b["evidence"]
        )
    console.print(table)
    for alert in result.alerts:
        console.print(f"[bold red]open alert[/] {esc(alert['message'])}")


@app.command("list")
def list_(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List a use case's monitors."""
    from scalegate.services import monitoring

    found = monitoring.list_monitors(state(ctx).store, slug)
    if as_json:
        print_json([m.to_dict() for m in found])
        return
    table = Table("name", "model", "version", "task", "primary metric", "active", box=None)
    for m in found:
        table.add_row(
            esc(m.name),
            esc(m.model_name),
            esc(m.model_version),
            m.task.value if m.task else "",
            m.primary_metric or "",
            "yes" if m.active else "no",
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    monitor: MonitorOption = "default",
    batch: Annotated[int | None, typer.Option(help="Show this batch in full")] = None,
    limit: Annotated[int, typer.Option(help="Newest batches shown")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """A monitor and its newest batches (status, drift share, performance), or one batch."""
    from scalegate.services import monitoring

    st = state(ctx)
    if batch is not None:
        detail = monitoring.batch_detail(st.store, slug, batch)
        if as_json:
            print_json(detail)
            return
        console.print_json(data={k: v for k, v in detail.items() if k != "profile"})
        return
    m = monitoring.get(st.store, slug, monitor)
    rows = monitoring.batches(st.store, slug, monitor, limit=limit)
    if as_json:
        print_json({**m.to_dict(), "batches": rows})
        return
    console.print(
        f"monitor [bold]{esc(m.name)}[/] of {esc(slug)}: {esc(m.model_name)} "
        f"v{esc(m.model_version)}, {len(rows)} newest batches"
    )
    shown = [k for k in SHOWN if any(k in r["metrics"] for r in rows)]
    table = Table("batch", "day", "rows", "status", "labelled", box=None)
    for key in shown:
        table.add_column(SHOWN[key], justify="right")
    table.add_column("evidence")
    for r in rows:
        cells = [f"{r['metrics'][k]:.3f}" if k in r["metrics"] else "" for k in shown]
        table.add_row(
            str(r["batch"]),
            r["at"][:10],
            f"{r['rows']:,}",
            STATUS_STYLE.get(r["status"], r["status"]),
            f"{r['labelled_rows']:,}" if r["labelled_rows"] else "",
            *cells,
            r["evidence"] or "",
        )
    console.print(table)
