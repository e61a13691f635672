"""``scalegate usecase``: the registry of AI use cases and their charters."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from scalegate.cli.common import read_text, state
from scalegate.cli.output import console, esc, print_json, stage
from scalegate.errors import ValidationError

app = typer.Typer(help="Register, list, show and edit AI use cases.", no_args_is_help=True)

KPI_HELP = "KPI as NAME:UNIT:DIRECTION:BASELINE:TARGET, e.g. 'handling time:min:decrease:12:8'"
INTEGRATION_HELP = "Integration as SYSTEM:MODE (mode: api, batch, embedded_ui, report)"


def parse_kpi(spec: str) -> dict[str, Any]:
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) != 5:
        raise ValidationError(
            f"--kpi '{spec}': expected NAME:UNIT:DIRECTION:BASELINE:TARGET "
            f"(5 parts, got {len(parts)}); leave a part empty if unknown",
            field="kpis",
        )
    name, unit, direction, baseline, target = parts
    out: dict[str, Any] = {"name": name, "unit": unit, "direction": direction or "increase"}
    for key, raw in (("baseline", baseline), ("target", target)):
        if raw:
            try:
                out[key] = float(raw)
            except ValueError:
                raise ValidationError(
                    f"--kpi '{spec}': {key} '{raw}' is not a number", field=f"kpis.{key}"
                ) from None
    return out


def parse_integration(spec: str) -> dict[str, str]:
    system, sep, mode = spec.rpartition(":")
    if not sep or not system.strip():
        raise ValidationError(
            f"--integration '{spec}': expected SYSTEM:MODE, e.g. 'Salesforce:api'",
            field="integration_targets",
        )
    return {"system": system.strip(), "mode": mode.strip()}


def _list(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


@app.command("add")
def add(
    ctx: typer.Context,
    slug: Annotated[
        str | None, typer.Argument(help="Short id, e.g. 'claims-triage' (omit with --file)")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Charter as YAML (see README)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    purpose: Annotated[str | None, typer.Option(help="What it is for")] = None,
    objective: Annotated[str | None, typer.Option(help="Strategic objective it serves")] = None,
    business_owner: Annotated[str | None, typer.Option(help="Accountable business owner")] = None,
    technical_owner: Annotated[str | None, typer.Option(help="Accountable technical owner")] = None,
    department: Annotated[list[str] | None, typer.Option(help="Department (repeatable)")] = None,
    kpi: Annotated[list[str] | None, typer.Option(help=KPI_HELP)] = None,
    integration: Annotated[list[str] | None, typer.Option(help=INTEGRATION_HELP)] = None,
    risk_tier: Annotated[
        str | None, typer.Option(help="minimal | limited | high | prohibited")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag (repeatable)")] = None,
) -> None:
    """Register a use case from flags or from a YAML charter file."""
    from scalegate.services import registry

    st = state(ctx)
    if file is not None:
        if slug is not None:
            raise ValidationError("give either a SLUG with flags or --file, not both")
        doc = registry.parse_document(read_text(file), str(file))
        uc = registry.add(st.store, doc, actor=st.actor)
    else:
        if slug is None:
            raise ValidationError("give a SLUG (and --name) or --file uc.yaml")
        charter = registry.charter_from_fields(
            slug=slug,
            name=name or slug.replace("-", " ").capitalize(),
            purpose=purpose,
            strategic_objective=objective,
            business_owner=business_owner,
            technical_owner=technical_owner,
            departments=_list(department),
            kpis=[parse_kpi(k) for k in kpi] if kpi else None,
            integration_targets=[parse_integration(i) for i in integration]
            if integration
            else None,
            risk_tier=risk_tier,
            tags=_list(tag),
        )
        uc = registry.add(st.store, charter, actor=st.actor)
    console.print(f"registered [bold]{uc.slug}[/] in stage {stage(uc.stage.value)}")
    console.print(f"next: scalegate gate {uc.slug}")


@app.command("edit")
def edit(
    ctx: typer.Context,
    slug: str,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="YAML with the charter fields to change"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    purpose: Annotated[str | None, typer.Option(help="What it is for")] = None,
    objective: Annotated[str | None, typer.Option(help="Strategic objective it serves")] = None,
    business_owner: Annotated[str | None, typer.Option(help="Business owner ('' to clear)")] = None,
    technical_owner: Annotated[
        str | None, typer.Option(help="Technical owner ('' to clear)")
    ] = None,
    department: Annotated[
        list[str] | None, typer.Option(help="Replace departments (repeatable)")
    ] = None,
    kpi: Annotated[list[str] | None, typer.Option(help="Replace KPIs: " + KPI_HELP)] = None,
    integration: Annotated[
        list[str] | None, typer.Option(help="Replace integrations: " + INTEGRATION_HELP)
    ] = None,
    risk_tier: Annotated[
        str | None, typer.Option(help="minimal | limited | high | prohibited")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Replace tags (repeatable)")] = None,
) -> None:
    """Change charter fields; the audit trail records before and after."""
    from scalegate.domain import documents
    from scalegate.services import registry

    st = state(ctx)
    changes: dict[str, Any] = {}
    if file is not None:
        data, _lines = documents.parse_yaml(read_text(file), str(file))
        if not isinstance(data, dict):
            raise ValidationError(f"{file}: expected a mapping of charter fields")
        if "slug" in data and data.pop("slug") != slug:
            raise ValidationError(f"{file}: field 'slug' differs from '{slug}'; slugs are fixed")
        changes.update(data)
    flags = {
        "name": name,
        "purpose": purpose,
        "strategic_objective": objective,
        "business_owner": business_owner,
        "technical_owner": technical_owner,
        "departments": _list(department),
        "kpis": [parse_kpi(k) for k in kpi] if kpi else None,
        "integration_targets": [parse_integration(i) for i in integration] if integration else None,
        "risk_tier": risk_tier,
        "tags": _list(tag),
    }
    changes.update({k: v for k, v in flags.items() if v is not None})
    uc = registry.edit(st.store, slug, changes, actor=st.actor)
    console.print(f"updated [bold]{uc.slug}[/]")


@app.command("list")
def list_(
    ctx: typer.Context,
    stage_: Annotated[str | None, typer.Option("--stage", help="Only this stage")] = None,
    department: Annotated[str | None, typer.Option(help="Only this department")] = None,
    owner: Annotated[str | None, typer.Option(help="Only use cases this user owns")] = None,
    risk_tier: Annotated[str | None, typer.Option(help="Only this risk tier")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List registered use cases."""
    from scalegate.services import registry

    cases = registry.list_all(
        state(ctx).store, stage=stage_, department=department, owner=owner, risk_tier=risk_tier
    )
    if as_json:
        print_json([c.model_dump(mode="json") for c in cases])
        return
    if not cases:
        console.print("no use cases yet: scalegate usecase add --help")
        return
    table = Table("slug", "name", "stage", "risk", "departments", "owner", box=None)
    for c in cases:
        table.add_row(
            c.slug,
            esc(c.name),
            stage(c.stage.value),
            c.risk_tier.value,
            esc(", ".join(c.departments)),
            c.business_owner or "[red]-[/]",
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    slug: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show a use case: charter, stage history, approvals, waivers, recent evidence."""
    from scalegate.services import registry

    d = registry.detail(state(ctx).store, slug)
    uc = d["use_case"]
    if as_json:
        print_json(
            {
                **uc.model_dump(mode="json"),
                "history": d["history"],
                "approvals": d["approvals"],
                "waivers": d["waivers"],
                "open_request": d["request"],
                "evidence": d["evidence"],
            }
        )
        return
    console.print(
        f"[bold]{esc(uc.name)}[/] ({uc.slug}) — {stage(uc.stage.value)}, risk {uc.risk_tier}"
    )
    rows = [
        ("purpose", esc(uc.purpose)),
        ("strategic objective", esc(uc.strategic_objective)),
        ("business owner", uc.business_owner or "[red]not assigned[/]"),
        ("technical owner", uc.technical_owner or "[red]not assigned[/]"),
        ("departments", esc(", ".join(uc.departments))),
        ("tags", esc(", ".join(uc.tags))),
        ("in stage since", uc.stage_entered_at.date().isoformat()),
    ]
    if uc.lessons_learned:
        rows.append(("lessons learned", esc(uc.lessons_learned)))
    table = Table(box=None, show_header=False)
    for k, v in rows:
        table.add_row(f"[dim]{k}[/]", v or "[dim]-[/]")
    console.print(table)
    if uc.kpis:
        kt = Table("KPI", "unit", "direction", "baseline", "target", box=None, title="KPIs")
        for k in uc.kpis:
            kt.add_row(
                esc(k.name),
                esc(k.unit),
                k.direction.value,
                "-" if k.baseline is None else f"{k.baseline:g}",
                "-" if k.target is None else f"{k.target:g}",
            )
        console.print(kt)
    if uc.integration_targets:
        console.print(
            "integrations: "
            + ", ".join(f"{esc(t.system)} ({t.mode.value})" for t in uc.integration_targets)
        )
    for ap in d["approvals"]:
        console.print(f"approval {ap.ref}: {ap.domain} for {ap.gate.value} by {ap.approver}")
    for w in d["waivers"]:
        console.print(
            f"waiver {w.ref}: {w.criterion} ({w.gate.value}) by {w.approver} until "
            f"{w.expires_at.date().isoformat()}"
        )
    if d["request"]:
        r = d["request"]
        console.print(f"open request to {r.gate.value} by {r.requested_by}")
    if d["evidence"]:
        et = Table("evidence", "kind", "status", "when", "summary", box=None, title="Evidence")
        for ev in d["evidence"]:
            et.add_row(
                ev.ref, ev.kind, ev.status.value, ev.created_at.date().isoformat(), esc(ev.summary)
            )
        console.print(et)
    history = " → ".join(f"{h['to_stage']} ({h['at'].date().isoformat()})" for h in d["history"])
    console.print(f"history: {history}")
