"""``scalegate fairness``: per-group rates and disparities of a use case's classifier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scalegate.cli.common import state
from scalegate.cli.output import console, esc, print_json

if TYPE_CHECKING:
    from scalegate.engine.fairness import FairnessReport, FairnessTable

#: per-group columns shown: metric -> header
SHOWN = {
    "selection_rate": "selection rate",
    "true_positive_rate": "TPR",
    "false_positive_rate": "FPR",
    "precision": "precision",
    "accuracy": "accuracy",
}


def register(app: typer.Typer) -> None:
    app.command("fairness")(fairness)


def _value(value: float | None) -> str:
    return "[dim]—[/]" if value is None else f"{value:.4f}"


def _disparities(table: FairnessTable, title: str) -> None:
    console.print(f"[bold]{esc(title)}[/]")
    grid = Table(box=None, show_header=False, padding=(0, 2))
    grid.add_column("disparity", no_wrap=True)
    grid.add_column("value", justify="right")
    grid.add_column("note", ratio=1)
    for name, value in table.disparities.items():
        grid.add_row(name.replace("_", " "), _value(value), esc(table.reasons.get(name, "")))
    console.print(grid)
    for metric, groups in table.excluded.items():
        console.print(
            f"[dim]{esc(metric.replace('_', ' '))} undefined for {esc(', '.join(groups))}: "
            "left out of its disparities[/]",
            soft_wrap=True,
        )


def render(report: FairnessReport) -> None:
    columns = report.columns
    predicted = (
        f"score '{columns['score']}' >= {report.threshold:g}"
        if columns.get("score")
        else f"prediction '{columns['prediction']}'"
    )
    console.print(
        f"fairness of {esc(predicted)} against label '{esc(columns['label'])}' "
        f"(positive {esc(repr(report.positive))}) on {esc(report.source)}: "
        f"{report.used:,} rows, {len(report.groups)} groups of "
        f"{esc(', '.join(report.sensitive))}",
        soft_wrap=True,
    )
    if report.skipped:
        parts = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in report.skipped.items())
        console.print(f"[yellow]skipped rows:[/] {parts}")
    table = Table(box=None)
    table.add_column("group", no_wrap=True)
    table.add_column("rows", justify="right")
    for header in SHOWN.values():
        table.add_column(header, justify="right")
    notes: list[str] = []
    for g in (*report.groups, report.overall):
        cells = [_value(g.metrics[m]) for m in SHOWN]
        label = g.label if g.group else "[bold]all rows[/]"
        table.add_row(esc(label) if g.group else label, f"{g.count:,}", *cells)
        notes.extend(
            f"{g.label}: {m.replace('_', ' ')} undefined, {why}" for m, why in g.reasons.items()
        )
    console.print(table)
    for note in notes:
        console.print(f"[dim]{esc(note)}[/]", soft_wrap=True)
    title = "disparities between " + ("intersections" if len(report.sensitive) > 1 else "groups")
    _disparities(report.table, title)
    for name, marginal in report.by_attribute.items():
        _disparities(marginal, f"disparities between groups of {name}")


def _sensitive(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        from scalegate.errors import ValidationError

        raise ValidationError(
            f"--sensitive '{text}': give column names separated by commas, e.g. gender,age_band",
            field="sensitive",
        )
    return names


def fairness(
    ctx: typer.Context,
    use_case: Annotated[str, typer.Argument(help="The use case (slug) whose model is judged")],
    data: Annotated[
        str, typer.Argument(help="Parquet, CSV or NDJSON file, folder or glob with the columns")
    ],
    sensitive: Annotated[
        str,
        typer.Option(
            "--sensitive",
            help="Sensitive column(s), comma-separated; several give intersectional groups",
        ),
    ],
    label: Annotated[str, typer.Option("--label", help="The true class column")],
    prediction: Annotated[
        str | None, typer.Option("--prediction", help="The predicted class column")
    ] = None,
    score: Annotated[
        str | None,
        typer.Option("--score", help="A score column instead of --prediction (with --threshold)"),
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="With --score: positive when score >= this")
    ] = 0.5,
    positive: Annotated[
        str | None,
        typer.Option("--positive", help="The positive class [default: 1 or true]"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    record: Annotated[
        bool, typer.Option("--record", help="Store the report as fairness_report evidence")
    ] = False,
) -> None:
    """Per-group selection rate, TPR, FPR, precision and accuracy, and the disparities
    between groups (Fairlearn's definitions). Exit 2 on bad input."""
    from scalegate.services import fairness as service
    from scalegate.services import registry

    st = state(ctx)
    names = _sensitive(sensitive)
    if record:
        service.can_record(st.store, use_case, actor=st.actor)
    else:
        registry.get(st.store, use_case)
    report = service.compute(
        data,
        sensitive=names,
        label=label,
        prediction=prediction,
        score=score,
        threshold=threshold,
        positive=positive,
    )
    evidence = service.record(st.store, use_case, report, actor=st.actor) if record else None
    if as_json:
        out = report.to_dict()
        if evidence is not None:
            out["evidence"] = evidence.ref
        print_json(out)
        return
    render(report)
    if evidence is not None:
        console.print(f"stored as {evidence.ref} on {esc(use_case)}")
