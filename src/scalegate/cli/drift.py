"""``scalegate drift``: compare a batch with a reference, without any use case."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scalegate.cli.common import read_text
from scalegate.cli.output import console, esc, print_json

if TYPE_CHECKING:
    from scalegate.engine.drift import DriftReport

VERDICT_STYLE = {"ok": "[green]ok[/]", "drift": "[bold red]drift[/]", "skipped": "[dim]skipped[/]"}
STATUS_STYLE = {
    "ok": "[bold green]OK[/]",
    "drift": "[bold yellow]DRIFT[/]",
    "critical": "[bold red]CRITICAL[/]",
}


def register(app: typer.Typer) -> None:
    app.command("drift")(drift)


def render(report: DriftReport, reference: str, current: str) -> None:
    console.print(
        f"drift of {esc(current)} ({report.current_rows:,} rows) against {esc(reference)} "
        f"({report.reference_rows:,} rows): {STATUS_STYLE[report.status]}",
        soft_wrap=True,
    )
    table = Table(box=None)
    table.add_column("column", no_wrap=True)
    table.add_column("type")
    table.add_column("method", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("threshold", justify="right")
    table.add_column("verdict", no_wrap=True)
    table.add_column("note", ratio=1)
    for c in report.columns:
        verdict = "skipped" if c.value is None else "drift" if c.drifted else "ok"
        name = esc(c.name) + (" [dim](prediction)[/]" if c.role == "prediction" else "")
        table.add_row(
            name,
            c.kind,
            c.method or "",
            "" if c.value is None else f"{c.value:.4g}",
            "" if c.threshold is None else f"{c.threshold:g}",
            VERDICT_STYLE[verdict],
            esc(c.reason or ""),
        )
    console.print(table)
    m = report.multivariate
    if m.value is not None and m.lower is not None and m.upper is not None:
        verdict = VERDICT_STYLE["drift" if m.drifted else "ok"]
        console.print(
            f"multivariate (PCA reconstruction error, {m.components} components): "
            f"{m.value:.4g}, reference band {m.lower:.4g} to {m.upper:.4g}: {verdict}"
        )
    else:
        console.print(f"multivariate: skipped ({esc(m.reason or '')})", soft_wrap=True)
    judged = sum(c.value is not None for c in report.columns)
    console.print(f"{len(report.drifted)} of {judged} compared columns drifted")
    for reason in report.critical_reasons:
        console.print(f"[bold red]critical:[/] {esc(reason)}", soft_wrap=True)


def drift(
    reference: Annotated[
        str,
        typer.Argument(
            help="Reference data (any path 'scalegate check' reads), or a JSON profile: "
            "a profile's to_dict(), 'scalegate check --json' output, or a saved drift reference"
        ),
    ],
    current: Annotated[str, typer.Argument(help="Current data: Parquet, CSV or NDJSON")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML report to this file"),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Drift config YAML (methods, thresholds, columns)"),
    ] = None,
    prediction: Annotated[
        str | None,
        typer.Option("--prediction", help="The model output column (overrides the config)"),
    ] = None,
) -> None:
    """Compare CURRENT with REFERENCE column by column and as a whole.

    Exit 0 if nothing drifted, 1 if anything drifted (status drift or critical), 2 on bad
    input (a missing file, different columns, a bad config).
    """
    from scalegate.engine.drift import compare, load_config, summarize
    from scalegate.services.drift import reference as load_reference

    cfg = None
    if config_file is not None:
        cfg = load_config(read_text(config_file, what="drift config"), str(config_file))
    if html is not None:
        from scalegate.reports import html as html_report

        html_report.ensure_writable(html)
    ref = load_reference(reference, cfg, prediction)
    report = compare(ref, summarize(current, ref))
    if html is not None:
        from scalegate.reports import html as html_report
        from scalegate.reports.drift import render_drift

        page = render_drift(report, reference=reference, current=current)
        html_report.write(html, page)
    if as_json:
        print_json(report.to_dict())
    else:
        render(report, reference, current)
        if html is not None:
            console.print(f"report written to {esc(html)}", soft_wrap=True)
    if report.status != "ok":
        raise typer.Exit(1)
