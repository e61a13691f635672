"""Strategy and value: objectives, KPI measurements, progress and realised value.

Pure functions over the charter's KPIs; nothing here reads a store.

* **Progress** is the fraction of the way from baseline to target a measured value has come:
  ``(value - baseline) / (target - baseline)``. It is 0 at the baseline, 1 at the target,
  above 1 past the target and negative when the KPI moved the wrong way (it is not
  clamped). It is ``None``, with a reason, when the KPI has no baseline or target, when the
  two are equal, or when the target lies on the wrong side of the baseline for the KPI's
  direction (an ``increase`` KPI whose target is below its baseline).
* **Realised value** exists for KPIs whose unit is money (see :func:`money_unit`): the
  improvement over the baseline in that unit, ``latest - baseline`` for ``increase`` KPIs
  and ``baseline - latest`` for ``decrease`` KPIs. Amounts are only ever added within one
  currency and period (:func:`sum_by_unit`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scalegate.domain.use_case import SLUG_PATTERN, Direction, Kpi, is_slug
from scalegate.errors import UnknownChoiceError, ValidationError

#: evidence kind of a KPI measurement (subject: the KPI's name)
KPI_MEASUREMENT = "kpi_measurement"

#: Active ISO 4217 currency codes (2024); fund, precious-metal and testing codes (XAU, XDR,
#: XTS...) are left out: they are not what a KPI is measured in.
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
    ZMW ZWG
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())
#: currency symbols read as codes; "$" is the US dollar
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR"}
#: periods a money unit may carry after a slash
PERIODS = ("day", "week", "month", "quarter", "year")

_MONEY = re.compile(r"^\s*(?P<cur>[^\s/]+)\s*(?:/\s*(?P<period>[A-Za-z]+)\s*)?$")


@dataclass(frozen=True, slots=True)
class MoneyUnit:
    """A currency (ISO 4217 code) and an optional period: ``EUR``, ``EUR/month``."""

    currency: str
    period: str | None = None

    @property
    def label(self) -> str:
        return f"{self.currency}/{self.period}" if self.period else self.currency


def money_unit(unit: str) -> MoneyUnit | None:
    """The money a KPI unit stands for, or None when the unit is not money.

    The rule: a three-letter ISO 4217 code in capitals (``EUR``, ``USD``, ``GBP``,
    ``CHF``...) or one of the symbols € $ £ ¥ ₹, optionally followed by ``/`` and a period
    (day, week, month, quarter, year; any case, plural allowed). ``€/month`` reads as
    ``EUR/month``. Anything else (``hours``, ``%``, ``eur``, ``EUR per month``) is not
    money.

    >>> money_unit("€/Months")
    MoneyUnit(currency='EUR', period='month')
    >>> money_unit("hours") is None
    True
    """
    m = _MONEY.match(unit or "")
    if m is None:
        return None
    raw = m.group("cur")
    code = CURRENCY_SYMBOLS.get(raw, raw)
    if code not in ISO_4217:
        return None
    period = m.group("period")
    if period is None:
        return MoneyUnit(code)
    p = period.lower()
    p = p[:-1] if p.endswith("s") and p[:-1] in PERIODS else p
    if p not in PERIODS:
        return None
    return MoneyUnit(code, p)


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a value has come from baseline to target; ``fraction`` None with a reason."""

    fraction: float | None
    reason: str | None = None


def progress(kpi: Kpi, value: float) -> Progress:
    """Fraction of the way from the KPI's baseline to its target that ``value`` has come.

    Direction-aware: for an ``increase`` KPI the target must lie above the baseline, for a
    ``decrease`` KPI below it; otherwise (and when baseline or target is missing, or they
    are equal) the fraction is None and ``reason`` says why. Not clamped: 1.2 means 20 %
    past the target, -0.1 means it moved away from the target.
    """
    if kpi.baseline is None and kpi.target is None:
        return Progress(None, f"KPI '{kpi.name}' has no baseline and no target")
    if kpi.baseline is None:
        return Progress(None, f"KPI '{kpi.name}' has no baseline")
    if kpi.target is None:
        return Progress(None, f"KPI '{kpi.name}' has no target")
    span = kpi.target - kpi.baseline
    if span == 0:
        return Progress(None, f"KPI '{kpi.name}' has its target equal to its baseline")
    if (span > 0) != (kpi.direction is Direction.INCREASE):
        side = "below" if span < 0 else "above"
        return Progress(
            None,
            f"KPI '{kpi.name}' should {kpi.direction.value} but its target "
            f"({_num(kpi.target)}) lies {side} its baseline ({_num(kpi.baseline)})",
        )
    return Progress((value - kpi.baseline) / span)


@dataclass(frozen=True, slots=True)
class RealisedValue:
    """Improvement over the baseline of a money KPI, in that money."""

    amount: float
    unit: MoneyUnit


def realised_value(kpi: Kpi, latest: float) -> RealisedValue | str:
    """The money a KPI's latest value realised over its baseline, or why there is none.

    ``latest - baseline`` for an ``increase`` KPI, ``baseline - latest`` for a ``decrease``
    KPI (a cost that fell by 1,000 EUR realised 1,000 EUR). Negative when it got worse.
    """
    unit = money_unit(kpi.unit)
    if unit is None:
        return f"KPI '{kpi.name}' is not measured in money (unit '{kpi.unit}')"
    if kpi.baseline is None:
        return f"KPI '{kpi.name}' has no baseline"
    gain = latest - kpi.baseline
    if kpi.direction is Direction.DECREASE:
        gain = -gain
    return RealisedValue(gain, unit)


def sum_by_unit(values: Iterable[RealisedValue]) -> dict[str, float]:
    """Total realised value per currency and period (``EUR``, ``EUR/month``, ``USD``...),
    never adding amounts of different currencies or periods. Sorted by label."""
    out: dict[str, float] = {}
    for v in values:
        out[v.unit.label] = out.get(v.unit.label, 0.0) + v.amount
    return dict(sorted(out.items()))


@dataclass(frozen=True, slots=True)
class KpiMeasurement:
    """One recorded value of a KPI (an evidence record of kind ``kpi_measurement``)."""

    kpi: str
    value: float
    at: datetime
    ref: str
    unit: str = ""


def check_value(value: object) -> float:
    """``value`` as a finite float, or ValueError saying what is wrong with it."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            if "_" in value:  # float() reads "1_000"; a CSV cell with it is a typo
                raise ValueError
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a number") from None
    else:
        raise ValueError(f"'{value}' is not a number")
    if not math.isfinite(number):
        raise ValueError(f"'{value}' is not a finite number")
    return number


def find_kpi(kpis: Sequence[Kpi], name: str) -> Kpi:
    """The charter KPI called ``name``, or an error listing the KPI names there are."""
    for k in kpis:
        if k.name == name:
            return k
    if not kpis:
        raise ValidationError(
            f"unknown KPI '{name}': the charter defines no KPIs; add them first "
            "('scalegate usecase edit --file')",
            field="kpi",
            value=name,
        )
    raise UnknownChoiceError(
        f"unknown KPI '{name}'; the charter's KPIs are " + ", ".join(f"'{k.name}'" for k in kpis),
        field="kpi",
        value=name,
        allowed=[k.name for k in kpis],
    )


def same_unit(given: str, kpi_unit: str) -> bool:
    """Whether a unit given with a measurement is the KPI's: equal text, or the same money
    (``€/month`` is ``EUR/month``)."""
    if given.strip() == kpi_unit.strip():
        return True
    a, b = money_unit(given), money_unit(kpi_unit)
    return a is not None and a == b


def measurement_name(subject: str | None, payload: Mapping[str, Any]) -> str | None:
    """The KPI a measurement is about: the evidence subject, or ``kpi`` in the payload when
    there is no subject; a ValidationError when the two name different KPIs."""
    named = payload.get("kpi")
    if named is not None and not isinstance(named, str):
        raise ValidationError("a KPI measurement's 'kpi' must be the KPI's name", field="kpi")
    if subject and named and named != subject:
        raise ValidationError(
            f"the measurement's subject '{subject}' and its payload's kpi '{named}' differ",
            field="kpi",
        )
    return subject or named


def measurement_payload(
    kpis: Sequence[Kpi], name: str | None, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """Check a KPI measurement against the charter's KPIs and complete its payload.

    ``payload`` holds ``value`` (a finite number, or text that reads as one) and optionally
    ``unit``, which must be the KPI's unit. The result holds the KPI's name (``kpi``, as the
    web page reads it), the value as a float, the KPI's unit, and its baseline, target and
    direction at the time (other keys are kept).
    Raises :class:`ValidationError` naming the field that is wrong.
    """
    if not name:
        raise ValidationError(
            "a KPI measurement needs the KPI's name (the evidence subject, or 'kpi' in the "
            "payload)",
            field="kpi",
        )
    kpi = find_kpi(kpis, name)
    if "value" not in payload or payload["value"] is None:
        raise ValidationError(f"KPI '{name}': a measurement needs a value", field="value")
    try:
        value = check_value(payload["value"])
    except ValueError as exc:
        raise ValidationError(
            f"KPI '{name}': value {exc}", field="value", value=str(payload["value"])
        ) from None
    unit = payload.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise ValidationError(f"KPI '{name}': unit must be text", field="unit")
    if unit and not same_unit(unit, kpi.unit):
        shown = f"'{kpi.unit}'" if kpi.unit else "no unit"
        raise ValidationError(
            f"KPI '{name}' is measured in {shown}, not '{unit}'; give the value in {shown}",
            field="unit",
            value=unit,
        )
    return {
        **payload,
        "kpi": kpi.name,
        "value": value,
        "unit": kpi.unit,
        "baseline": kpi.baseline,
        "target": kpi.target,
        "direction": kpi.direction.value,
    }


def _num(x: float) -> str:
    return f"{x:,.10g}" if abs(x) < 1e15 else f"{x:.6g}"


def format_number(x: float) -> str:
    """A number as people write it in reasons: ``96``, ``0.25``, ``1,200``."""
    return _num(x)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ObjectiveFields(_Model):
    """What a user writes about a strategic objective.

    ``sponsor`` is free text on purpose: sponsors are often executives without a login.
    """

    slug: str
    name: Annotated[str, Field(min_length=1, max_length=200)]
    sponsor: Annotated[str, Field(max_length=200)] = ""
    outcome: Annotated[str, Field(max_length=4000)] = ""

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not is_slug(v):
            raise ValueError(
                "a slug is 2-64 lowercase letters, digits and hyphens, starting and ending "
                "with a letter or digit, e.g. 'faster-claims'"
            )
        return v


class Objective(ObjectiveFields):
    """A registered strategic objective."""

    id: int
    created_at: datetime
    created_by: str


__all__ = [
    "ISO_4217",
    "KPI_MEASUREMENT",
    "SLUG_PATTERN",
    "KpiMeasurement",
    "MoneyUnit",
    "Objective",
    "ObjectiveFields",
    "Progress",
    "RealisedValue",
    "check_value",
    "find_kpi",
    "format_number",
    "measurement_name",
    "measurement_payload",
    "money_unit",
    "progress",
    "realised_value",
    "same_unit",
    "sum_by_unit",
]
