"""Contract tooling: ODCS import, inference from a sample, the contract JSON Schema.

Each tool returns the contract as YAML text that has already been loaded back with the
contract loader, so what is written is always a valid contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scalegate.engine.odcs import Unconverted


@dataclass(frozen=True, slots=True)
class ContractText:
    """A generated contract: its YAML text, size, and what could not be converted."""

    text: str
    rules: int
    columns: int
    unconverted: tuple[Unconverted, ...] = ()


def _checked(text: str, source: str, unconverted: tuple[Unconverted, ...] = ()) -> ContractText:
    from scalegate.engine.check import load_contract

    contract = load_contract(text, source)
    return ContractText(text, len(contract.rule_ids()), len(contract.columns), unconverted)


def import_odcs(
    text: str, source: str, *, schema: str | None = None, physical_names: bool = False
) -> ContractText:
    """Convert ODCS v3 YAML text into scalegate contract YAML (see :mod:`.engine.odcs`)."""
    from scalegate.engine import contract_yaml, odcs

    result = odcs.import_text(text, source, schema=schema, physical_names=physical_names)
    name = Path(source).name
    header = [
        f"scalegate data contract converted by `scalegate contract import` from {name}",
        f"(ODCS {result.api_version}, schema object '{result.schema_name}').",
    ]
    if result.unconverted:
        header.append(f"Not converted ({len(result.unconverted)}); review these by hand:")
        header.extend(f"  {item}" for item in result.unconverted)
    else:
        header.append("Every check of the ODCS document was converted.")
    header.append("")
    out = contract_yaml.dump(result.contract, header)
    return _checked(out, f"{name} (converted)", result.unconverted)


def infer_contract(data: Any) -> ContractText:
    """A starter contract inferred from a known-good sample (see :mod:`.engine.infer`)."""
    from scalegate.engine import contract_yaml, infer

    sample, description = infer.profile_sample(data)
    inferred = infer.infer(sample, name=infer.contract_name(data), source=description)
    out = contract_yaml.dump(inferred.contract, inferred.header)
    return _checked(out, "inferred contract")


def json_schema_text() -> str:
    """The JSON Schema of contract files, as shipped in the package."""
    from scalegate.engine.contract_schema import shipped_text

    return shipped_text()
