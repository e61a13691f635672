"""``scalegate gate|promote|approve|waive|retire|inbox``: moving through the lifecycle."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scalegate.cli.common import parse_when, state
from scalegate.cli.output import VERDICT_STYLE, console, esc, print_json, stage

if TYPE_CHECKING:
    from scalegate.domain.decision import GateDecision


def render_decision(decision: "GateDecision") -> None:
    verdict = "[bold green]PASSES[/]" if decision.passed else "[bold red]FAILS[/]"
    console.print(
        f"gate [bold]{decision.gate.value}[/] for [bold]{decision.use_case}[/] "
        f"(now {stage(decision.stage.value)}): {verdict}   "
        f"[dim]policy {esc(decision.policy_name)} v{decision.policy_version}[/]"
    )
    table = Table("criterion", "verdict", "reason", "evidence", box=None, header_style="bold")
    for r in decision.results:
        table.add_row(r.id, VERDICT_STYLE[r.verdict.value], esc(r.reason), ", ".join(r.evidence))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("gate")(gate)
    app.command("promote")(promote)
    app.command("approve")(approve)
    app.command("waive")(waive)
    app.command("retire")(retire)
    app.command("inbox")(inbox)


def gate(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    to: Annotated[
        str | None, typer.Option("--to", help="Gate: pilot | production | scaled [default: next]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Evaluate a gate and show every criterion's verdict and reason. Exit 1 if it fails."""
    from scalegate.services import gates

    decision = gates.evaluate(state(ctx).store, slug, to)
    if as_json:
        print_json(decision.to_dict())
    else:
        render_decision(decision)
    if not decision.passed:
        raise typer.Exit(1)


def promote(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    to: Annotated[str, typer.Option("--to", help="Target stage: pilot | production | scaled")],
    note: Annotated[str, typer.Option(help="Note kept with the stage change")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Promote if the gate passes; otherwise open a request for approvers and exit 1."""
    from scalegate.services import gates

    st = state(ctx)
    out = gates.promote(st.store, slug, to, actor=st.actor, note=note)
    if as_json:
        print_json(
            {
                "promoted": out.promoted,
                "stage": out.use_case.stage.value,
                "request_opened": out.request_opened,
                "decision": out.decision.to_dict(),
            }
        )
    elif out.promoted:
        console.print(
            f"[bold green]promoted[/] {slug} to {stage(out.use_case.stage.value)} "
            f"(policy v{out.decision.policy_version})"
        )
    else:
        render_decision(out.decision)
        if out.request_opened:
            console.print(
                f"not promoted; request opened for approvers ({st.actor} asked for "
                f"{out.decision.gate.value})"
            )
        else:
            console.print("not promoted; the promotion request stays open")
    if not out.promoted:
        raise typer.Exit(1)


def approve(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    gate_: Annotated[str, typer.Option("--gate", help="Gate being approved")],
    domain: Annotated[str, typer.Option(help="Approval domain, e.g. risk, business, data")],
    note: Annotated[str, typer.Option(help="Comment kept with the approval")] = "",
) -> None:
    """Record your approval for a use case's next gate in one of your domains."""
    from scalegate.services import gates

    st = state(ctx)
    ap = gates.approve(st.store, slug, gate=gate_, domain=domain, actor=st.actor, note=note)
    console.print(f"recorded {ap.ref}: {ap.domain} approval of {slug} for {ap.gate.value}")


def waive(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    gate_: Annotated[str, typer.Option("--gate", help="Gate")],
    criterion: Annotated[str, typer.Option(help="Criterion id in the policy, e.g. time-box")],
    justification: Annotated[str, typer.Option(help="Why the exception is acceptable")],
    expires: Annotated[
        str, typer.Option(help="Expiry: YYYY-MM-DD or a duration like 30d (max 365 days)")
    ],
) -> None:
    """Grant a time-limited, justified exception to one criterion."""
    from scalegate.services import gates

    st = state(ctx)
    when = parse_when(expires, option="--expires")
    w = gates.waive(
        st.store,
        slug,
        gate=gate_,
        criterion=criterion,
        justification=justification,
        expires=when,
        actor=st.actor,
    )
    console.print(
        f"recorded {w.ref}: {w.criterion} waived for {w.gate.value} until "
        f"{w.expires_at.date().isoformat()}"
    )


def retire(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Use case slug")],
    lessons: Annotated[str, typer.Option(help="Lessons learned (kept forever)")],
) -> None:
    """Retire a use case from any stage, keeping its history and lessons learned."""
    from scalegate.services import registry

    st = state(ctx)
    uc = registry.retire(st.store, slug, lessons=lessons, actor=st.actor)
    console.print(f"retired {uc.slug}; lessons learned kept")


def inbox(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Open promotion requests waiting for approvals or waivers."""
    from scalegate.services import gates

    st = state(ctx)
    items = gates.inbox(st.store, actor=st.actor or "")
    if as_json:
        print_json(items)
        return
    if not items:
        console.print("no open promotion requests")
        return
    for it in items:
        mark = "" if it["can_act"] else " [dim](you cannot act on this one)[/]"
        console.print(
            f"[bold]{it['use_case']}[/] → {it['gate']} requested by {it['requested_by']}{mark}"
        )
        for cid, reason in it["blockers"]:  # type: ignore[attr-defined]
            console.print(f"   [red]✗[/] {cid}: {esc(reason)}")
