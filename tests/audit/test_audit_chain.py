"""The pure hash chain: canonical encoding, hashing and verification (no database)."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scalegate.audit import GENESIS_HASH, ChainReport, canonical_json, event_hash, verify_chain
from scalegate.audit.verify import Row

# ---------------------------------------------------------------------------- helpers

FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "prev_hash",
    "hash",
)
SEQ, AT, ACTOR, ACTION, STYPE, SID, BEFORE, AFTER, PREV, HASH = range(10)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)

events = st.tuples(
    st.text(max_size=30),  # at
    st.text(max_size=20),  # actor
    st.text(min_size=1, max_size=20),  # action
    st.sampled_from(["use_case", "user", "policy"]),  # subject_type
    st.text(max_size=20),  # subject_id
    json_values,  # before
    json_values,  # after
)

hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def build_chain(evs: list[tuple[Any, ...]]) -> list[Row]:
    """The rows append_event would store for these events."""
    rows: list[Row] = []
    prev = GENESIS_HASH
    for i, (at, actor, action, stype, sid, before, after) in enumerate(evs, start=1):
        b, a = canonical_json(before), canonical_json(after)
        digest = event_hash(i, at, actor, action, stype, sid, b, a, prev)
        rows.append((i, at, actor, action, stype, sid, b, a, prev, digest))
        prev = digest
    return rows


def head_of(rows: list[Row]) -> tuple[int, str]:
    return (rows[-1][SEQ], rows[-1][HASH]) if rows else (0, GENESIS_HASH)


def rehash(row: Row) -> Row:
    """The row with its own hash recomputed from its (possibly forged) content."""
    return (*row[:HASH], event_hash(*row[:HASH]))  # type: ignore[return-value]


def replace(row: Row, index: int, value: Any) -> Row:
    cells = list(row)
    cells[index] = value
    return tuple(cells)  # type: ignore[return-value]


#: event_hash of the fixed event in test_event_hash_is_sha256_of_the_documented_encoding
PINNED_DIGEST = "b1154950d15b69885ac79b1147089fcef7298c80e93873eeda916c395cc15c20"


chains = st.lists(events, min_size=1, max_size=8).map(build_chain)


# ---------------------------------------------------------------------------- intact chains


@given(chains)
def test_intact_chain_verifies(rows: list[Row]) -> None:
    report = verify_chain(rows, head=head_of(rows))
    assert report == ChainReport(True, len(rows), None, None, rows[-1][HASH])
    assert report.message().startswith(f"audit chain intact: {len(rows)} events")
    # without the recorded head an intact chain is intact too
    assert verify_chain(iter(rows)).ok


def test_empty_chain() -> None:
    assert verify_chain([]) == ChainReport(True, 0, None, None, GENESIS_HASH)
    assert verify_chain([], head=(0, GENESIS_HASH)).ok
    report = verify_chain([], head=(3, "f" * 64))
    assert not report.ok
    assert report.first_bad_seq == 1


def test_chain_links_each_hash_to_the_previous_one() -> None:
    rows = build_chain([("t", "ada", "x.y", "user", "ada", None, {"a": 1})] * 3)
    assert rows[0][PREV] == GENESIS_HASH
    assert [r[PREV] for r in rows[1:]] == [r[HASH] for r in rows[:-1]]
    # identical content at different positions still hashes differently
    assert len({r[HASH] for r in rows}) == 3


# ---------------------------------------------------------------------------- tampering

_STRING_FIELDS = [AT, ACTOR, ACTION, STYPE, SID, BEFORE, AFTER]


@st.composite
def altered(draw: st.DrawFn) -> tuple[list[Row], list[Row], int]:
    """An intact chain, the same chain with one field of one row changed, and that seq."""
    rows = draw(chains)
    k = draw(st.integers(0, len(rows) - 1))
    field = draw(st.sampled_from([SEQ, *_STRING_FIELDS, PREV, HASH]))
    old = rows[k][field]
    if field == SEQ:
        new: Any = draw(st.integers(-5, 50).filter(lambda v: v != old))
    elif field in (PREV, HASH):
        new = draw(hex64.filter(lambda v: v != old))
    elif field in (BEFORE, AFTER):
        # any other text, valid JSON or not
        new = draw(
            st.one_of(json_values.map(canonical_json), st.text(max_size=20)).filter(
                lambda v: v != old
            )
        )
    else:
        new = draw(st.text(max_size=20).filter(lambda v: v != old))
    tampered = list(rows)
    tampered[k] = replace(rows[k], field, new)
    return rows, tampered, k + 1


@settings(max_examples=200)
@given(altered(), st.booleans())
def test_any_single_alteration_is_detected(
    case: tuple[list[Row], list[Row], int], with_head: bool
) -> None:
    rows, tampered, seq = case
    report = verify_chain(tampered, head=head_of(rows) if with_head else None)
    assert not report.ok
    assert report.first_bad_seq == seq
    assert report.problem
    assert report.message() == f"audit chain broken at sequence {seq}: {report.problem}"
    assert report.events == seq - 1  # the events before the bad one were fine


@settings(max_examples=100)
@given(altered())
def test_an_altered_row_with_its_own_hash_recomputed_is_detected(
    case: tuple[list[Row], list[Row], int],
) -> None:
    """A forger who also fixes the row's own hash still breaks the next link or the head."""
    rows, tampered, seq = case
    k = seq - 1
    assume(tampered[k][HASH] == rows[k][HASH])  # hash fields are covered by the test above
    tampered[k] = rehash(tampered[k])
    report = verify_chain(tampered, head=head_of(rows))
    assert not report.ok
    if tampered[k][SEQ] != seq or tampered[k][PREV] != rows[k][PREV]:
        assert report.first_bad_seq == seq
    else:
        # the row is self-consistent; the next row's link (or the head) no longer matches
        assert report.first_bad_seq == min(seq + 1, len(rows))


@settings(max_examples=100)
@given(st.data())
def test_removing_any_row_is_detected(data: st.DataObject) -> None:
    rows = data.draw(st.lists(events, min_size=1, max_size=8).map(build_chain))
    k = data.draw(st.integers(0, len(rows) - 1))
    tampered = rows[:k] + rows[k + 1 :]
    report = verify_chain(tampered, head=head_of(rows))
    assert not report.ok
    assert report.first_bad_seq == k + 1
    if k < len(rows) - 1:
        # a gap in the middle is found even without the recorded head
        assert verify_chain(tampered).first_bad_seq == k + 1
    else:
        # trailing removal is only visible against the recorded head
        assert verify_chain(tampered).ok
        assert "recorded" in (report.problem or "")


@settings(max_examples=100)
@given(st.data())
def test_inserting_a_forged_row_anywhere_is_detected(data: st.DataObject) -> None:
    rows = data.draw(st.lists(events, min_size=1, max_size=8).map(build_chain))
    k = data.draw(st.integers(0, len(rows)))  # insert before rows[k]; k == len -> append
    at, actor, action, stype, sid, before, after = data.draw(events)
    prev = rows[k - 1][HASH] if k else GENESIS_HASH
    renumber = data.draw(st.booleans())
    seq = k + 1
    forged = rehash(
        (
            seq,
            at,
            actor,
            action,
            stype,
            sid,
            canonical_json(before),
            canonical_json(after),
            prev,
            "",
        )
    )
    tail = list(rows[k:])
    if renumber:
        # shift the seq of everything after the forged row (hashes are left alone)
        tail = [replace(r, SEQ, r[SEQ] + 1) for r in tail]
    tampered = [*rows[:k], forged, *tail]
    report = verify_chain(tampered, head=head_of(rows))
    assert not report.ok
    # the forged row links correctly to its predecessor; what follows it does not fit
    assert report.first_bad_seq == (k + 2 if k < len(rows) else k + 1)


@settings(max_examples=100)
@given(st.data())
def test_swapping_two_rows_is_detected(data: st.DataObject) -> None:
    rows = data.draw(st.lists(events, min_size=2, max_size=8).map(build_chain))
    i = data.draw(st.integers(0, len(rows) - 2))
    j = data.draw(st.integers(i + 1, len(rows) - 1))
    keep_seq = data.draw(st.booleans())
    tampered = list(rows)
    if keep_seq:
        # swap the content, leaving the sequence numbers in place (what an UPDATE does)
        tampered[i] = (rows[i][SEQ], *rows[j][1:])  # type: ignore[assignment]
        tampered[j] = (rows[j][SEQ], *rows[i][1:])  # type: ignore[assignment]
    else:
        tampered[i], tampered[j] = rows[j], rows[i]
    report = verify_chain(tampered, head=head_of(rows))
    assert not report.ok
    assert report.first_bad_seq == i + 1


def test_before_and_after_cannot_trade_text() -> None:
    """The raw before/after text sits side by side in the hashed encoding; moving text from
    one to the other must not keep the hash valid."""
    rows = build_chain([("t", "ada", "x", "user", "u", None, {"a": 1, "b": 2})])
    seq, at, actor, action, stype, sid, before, after, prev, digest = rows[0]
    assert (before, after) == ("null", '{"a":1,"b":2}')
    forged: Row = (seq, at, actor, action, stype, sid, 'null,{"a":1', '"b":2}', prev, digest)
    report = verify_chain([forged], head=(1, digest))
    assert not report.ok
    assert report.first_bad_seq == 1


# events whose after text is a list of two or more values: it always holds a comma
events_with_commas = st.tuples(events, st.lists(json_values, min_size=2, max_size=4)).map(
    lambda pair: (*pair[0][:6], pair[1])
)


@given(st.lists(events_with_commas, min_size=1, max_size=6).map(build_chain), st.data())
def test_moving_text_between_before_and_after_is_detected(
    rows: list[Row], data: st.DataObject
) -> None:
    """Re-split ``before,after`` at any other comma: each field is hashed as its own JSON
    string, so the forgery changes the hash and verify names the row."""
    k = data.draw(st.integers(0, len(rows) - 1))
    joined = f"{rows[k][BEFORE]},{rows[k][AFTER]}"
    commas = [i for i, ch in enumerate(joined) if ch == "," and i != len(rows[k][BEFORE])]
    assume(commas)
    cut = data.draw(st.sampled_from(commas))
    forged = replace(replace(rows[k], BEFORE, joined[:cut]), AFTER, joined[cut + 1 :])
    assert rehash(forged)[HASH] != rows[k][HASH]  # the encoding keeps fields apart
    tampered = [*rows[:k], forged, *rows[k + 1 :]]
    report = verify_chain(tampered, head=head_of(rows))
    assert not report.ok
    assert report.first_bad_seq == k + 1
    assert report.problem == "content does not match its hash"


def test_head_mismatch_with_same_length_is_detected() -> None:
    rows = build_chain([("t", "ada", "x", "user", "u", None, None)] * 2)
    report = verify_chain(rows, head=(2, "e" * 64))
    assert not report.ok
    assert report.first_bad_seq == 2
    report = verify_chain(rows, head=(1, rows[0][HASH]))  # recorded head is shorter
    assert not report.ok


# ---------------------------------------------------------------------------- hashing


def test_event_hash_is_sha256_of_the_documented_encoding() -> None:
    """Pinned format: changing it would make every stored chain fail to verify."""
    args = (7, "2026-01-02T03:04:05.000006+00:00", "zoë", "usecase.created", "use_case", "x")
    before, after, prev = "null", '{"a":[1,"é"],"b":null}', "ab" * 32
    expected_text = json.dumps(
        [*args, before, after, prev],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = event_hash(*args, before, after, prev)
    assert digest == hashlib.sha256(expected_text.encode("utf-8")).hexdigest()
    assert digest == PINNED_DIGEST


@given(
    st.integers(1, 10**9),
    st.text(),
    st.text(),
    st.text(),
    st.text(),
    st.text(),
    json_values,
    json_values,
    hex64,
)
def test_event_hash_matches_an_independent_encoding(
    seq: int,
    at: str,
    actor: str,
    action: str,
    stype: str,
    sid: str,
    before: Any,
    after: Any,
    prev: str,
) -> None:
    b, a = canonical_json(before), canonical_json(after)
    text = json.dumps(
        [seq, at, actor, action, stype, sid, b, a, prev],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    assert event_hash(seq, at, actor, action, stype, sid, b, a, prev) == (
        hashlib.sha256(text.encode("utf-8")).hexdigest()
    )


# ---------------------------------------------------------------------------- canonical_json


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    value = {"b": [1, 2, {"z": 1, "a": 2}], "a": None, "c": "x y"}
    assert canonical_json(value) == '{"a":null,"b":[1,2,{"a":2,"z":1}],"c":"x y"}'


def test_canonical_json_keeps_unicode() -> None:
    text = canonical_json({"name": "Zoë 🚀 日本"})
    assert text == '{"name":"Zoë 🚀 日本"}'
    assert "\\u" not in text


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_canonical_json_refuses_nan_and_infinity(bad: float) -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": bad})


def test_canonical_json_encodes_common_python_types() -> None:
    class Colour(Enum):
        RED = "red"

    value = {
        "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "day": date(2026, 1, 2),
        "colour": Colour.RED,
        "amount": Decimal("1.10"),
        "tags": {"b", "a"},
        "pair": (1, 2),
    }
    assert json.loads(canonical_json(value)) == {
        "when": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "colour": "red",
        "amount": "1.10",
        "tags": ["a", "b"],
        "pair": [1, 2],
    }
    with pytest.raises(TypeError, match="object"):
        canonical_json({"x": object()})


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_canonical_json_is_independent_of_key_order_and_round_trips(value: dict) -> None:
    text = canonical_json(value)
    reordered = dict(reversed(list(value.items())))
    assert canonical_json(reordered) == text
    assert canonical_json(json.loads(text)) == text
    assert json.loads(text) == value
    # the most compact form json can produce: no whitespace outside strings
    assert text == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
