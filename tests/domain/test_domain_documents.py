"""YAML documents: parse with line numbers, validate, and name the line of every error."""

from __future__ import annotations

import datetime as dt
import textwrap

import pydantic
import pytest

from scalegate.domain import documents
from scalegate.domain.use_case import Charter
from scalegate.errors import DocumentError, ValidationError


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def raises_document_error(text: str, source: str = "uc.yaml") -> DocumentError:
    with pytest.raises(DocumentError) as info:
        documents.load(Charter, text, source)
    return info.value


# ------------------------------------------------------------------ parse_yaml

NESTED = dedent(
    """
    name: x
    kpis:
      - name: a
        baseline: 1
      - name: b
    tags: [p, q]
    """
)


def test_parse_yaml_returns_data_and_line_column_per_path() -> None:
    data, lines = documents.parse_yaml(NESTED, "x.yaml")
    assert data == {
        "name": "x",
        "kpis": [{"name": "a", "baseline": 1}, {"name": "b"}],
        "tags": ["p", "q"],
    }
    assert lines[()] == (1, 1)
    assert lines[("name",)] == (1, 7)
    assert lines[("kpis", 0)] == (3, 5)
    assert lines[("kpis", 0, "name")] == (3, 11)
    assert lines[("kpis", 0, "baseline")] == (4, 15)
    assert lines[("kpis", 1, "name")] == (5, 11)
    assert lines[("tags", 0)] == (6, 8)
    assert lines[("tags", 1)] == (6, 11)


def test_parse_yaml_typed_scalars() -> None:
    text = "i: 3\nf: 1.5\nb: true\nn: null\nd: 2024-01-02\ns: '3'\ne: ''\n"
    data, _ = documents.parse_yaml(text, "x.yaml")
    assert data == {
        "i": 3,
        "f": 1.5,
        "b": True,
        "n": None,
        "d": dt.date(2024, 1, 2),
        "s": "3",
        "e": "",
    }


def test_parse_yaml_aliases_are_resolved() -> None:
    data, _ = documents.parse_yaml("a: &x [1, 2]\nb: *x\n", "x.yaml")
    assert data == {"a": [1, 2], "b": [1, 2]}


def test_parse_yaml_top_level_may_be_any_value() -> None:
    assert documents.parse_yaml("- 1\n- 2\n", "x.yaml")[0] == [1, 2]
    assert documents.parse_yaml("hello\n", "x.yaml")[0] == "hello"


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("a: 1\nb: [1, 2\n", 3, 1, "expected ',' or ']'"),
        ("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed here"),
        ("a: 1\n\tb: 2\n", 2, 1, "found character '\\t' that cannot start any token"),
        ("a: *nope\n", 1, 4, "found undefined alias 'nope'"),
        ("a: 'open\n", 2, 1, "found unexpected end of stream"),
    ],
)
def test_malformed_yaml_names_file_line_and_column(
    text: str, line: int, column: int, words: str
) -> None:
    with pytest.raises(DocumentError) as info:
        documents.parse_yaml(text, "broken.yaml")
    err = info.value
    assert str(err).startswith(f"broken.yaml, line {line}, column {column}: ")
    assert words in str(err)
    assert "\n" not in str(err)
    assert err.fields == {"source": "broken.yaml", "line": line, "column": column}
    assert isinstance(err, ValidationError)
    assert err.to_dict()["error"] == "invalid_document"


def test_more_than_one_document_is_an_error() -> None:
    with pytest.raises(DocumentError) as info:
        documents.parse_yaml("a: 1\n---\nb: 2\n", "two.yaml")
    assert str(info.value).startswith("two.yaml, line 2, column 1: ")
    assert "expected a single document" in str(info.value)


def test_duplicate_key_is_named_with_its_line() -> None:
    with pytest.raises(DocumentError) as info:
        documents.parse_yaml("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert str(info.value) == "dup.yaml, line 3: key 'a' appears twice"
    assert info.value.fields == {"source": "dup.yaml", "line": 3}


def test_duplicate_key_in_a_nested_mapping() -> None:
    text = dedent(
        """
        kpis:
          - name: a
            unit: "%"
            name: b
        """
    )
    with pytest.raises(DocumentError) as info:
        documents.parse_yaml(text, "dup.yaml")
    assert str(info.value) == "dup.yaml, line 4: key 'name' appears twice"


def test_same_key_in_different_mappings_is_fine() -> None:
    data, _ = documents.parse_yaml("a: {x: 1}\nb: {x: 2}\n", "x.yaml")
    assert data == {"a": {"x": 1}, "b": {"x": 2}}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_document(text: str) -> None:
    with pytest.raises(DocumentError) as info:
        documents.parse_yaml(text, "empty.yaml")
    assert str(info.value) == "empty.yaml: the document is empty"
    assert info.value.fields == {"source": "empty.yaml"}


# Values PyYAML resolves to a type and then cannot build used to escape as a bare
# ValueError (a crash) or as a multi-line message without a line number.
@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("name: x\ndate: 2024-13-45\n", 2, 7, "cannot read value '2024-13-45'"),
        ("name: x\ndate: 2024-02-30\n", 2, 7, "day is out of range for month"),
        ("n: !!int abc\n", 1, 4, "cannot read value 'abc'"),
        ("n: !!float abc\n", 1, 4, "cannot read value 'abc'"),
        ("a: !!python/object:os.system x\n", 1, 4, "could not determine a constructor"),
        ("a: !!binary notbase64!\n", 1, 4, "failed to decode base64"),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", 3, 3, "could not determine a constructor"),
    ],
)
def test_values_that_cannot_be_built_name_line_and_column(
    text: str, line: int, column: int, words: str
) -> None:
    with pytest.raises(DocumentError) as info:
        documents.parse_yaml(text, "odd.yaml")
    msg = str(info.value)
    assert msg.startswith(f"odd.yaml, line {line}, column {column}: ")
    assert words in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    ("text", "line"),
    [("x: 1\n? [1, 2]\n: v\n", 2), ("x: 1\ny: 2\n? {a: 1}\n: v\n", 3), ("~: v\n", 1)],
)
def test_non_plain_mapping_keys_name_the_file_and_line(text: str, line: int) -> None:
    with pytest.raises(DocumentError) as info:
        documents.parse_yaml(text, "keys.yaml")
    assert str(info.value).startswith(f"keys.yaml, line {line}, column ")
    assert str(info.value).endswith(": mapping keys must be plain values")
    assert info.value.fields["source"] == "keys.yaml"


# ------------------------------------------------------------------ line_of / dotted


def test_line_of_uses_the_longest_known_prefix() -> None:
    _, lines = documents.parse_yaml(NESTED, "x.yaml")
    assert documents.line_of(lines, ("kpis", 0, "baseline")) == 4
    # not in the document: falls back to the nearest parent
    assert documents.line_of(lines, ("kpis", 1, "baseline")) == 5
    assert documents.line_of(lines, ("nope", 3)) == 1
    assert documents.line_of({}, ("a",)) is None


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        ((), ""),
        (("slug",), "slug"),
        (("kpis", 1, "baseline"), "kpis[1].baseline"),
        (("gates", "pilot", 0, "params", "domains", 2), "gates.pilot[0].params.domains[2]"),
        ((0, "a"), "[0].a"),
    ],
)
def test_dotted(loc: documents.Path, text: str) -> None:
    assert documents.dotted(loc) == text


# ------------------------------------------------------------------ validate / load

CHARTER = dedent(
    """
    slug: credit-limit
    name: Credit limit advisor
    kpis:
      - name: loss rate
        baseline: 2.5
      - name: approval time
        baseline: soon
        target: 24
    """
)


def test_load_a_valid_document() -> None:
    c = documents.load(Charter, "slug: ab\nname: AB\ndepartments: risk, ops\n", "uc.yaml")
    assert c == Charter(slug="ab", name="AB", departments=("risk", "ops"))


def test_error_names_line_and_dotted_field() -> None:
    err = raises_document_error(CHARTER)
    assert str(err).startswith("uc.yaml, line 7: field 'kpis[1].baseline': ")
    assert "valid number" in str(err)
    assert "(got 'soon')" in str(err)
    assert err.fields == {"source": "uc.yaml", "line": 7, "field": "kpis[1].baseline"}


def test_unknown_field_is_named_with_its_line() -> None:
    err = raises_document_error("slug: ab\nname: AB\n\nbusines_owner: bob\n")
    assert str(err) == "uc.yaml, line 4: field 'busines_owner': unknown field 'busines_owner'"


def test_unknown_nested_field() -> None:
    err = raises_document_error("slug: ab\nname: AB\nkpis:\n  - name: a\n    goal: 3\n")
    assert str(err) == "uc.yaml, line 5: field 'kpis[0].goal': unknown field 'goal'"


def test_missing_field() -> None:
    err = raises_document_error("slug: ab\npurpose: p\n")
    assert str(err) == "uc.yaml, line 1: field 'name': this field is required"
    assert err.fields["field"] == "name"


def test_missing_nested_field_points_at_its_parent() -> None:
    err = raises_document_error("slug: ab\nname: AB\nkpis:\n  - unit: '%'\n")
    assert str(err) == "uc.yaml, line 4: field 'kpis[0].name': this field is required"


def test_bad_enum_value_names_the_allowed_values_and_the_input() -> None:
    err = raises_document_error(
        "slug: ab\nname: AB\nintegration_targets:\n  - system: SAP\n    mode: fax\n"
    )
    msg = str(err)
    assert msg.startswith("uc.yaml, line 5: field 'integration_targets[0].mode': ")
    assert "'api', 'batch', 'embedded_ui' or 'report'" in msg
    assert msg.endswith("(got 'fax')")


def test_custom_validator_message_has_no_pydantic_prefix() -> None:
    err = raises_document_error("slug: ab\nname: AB\nkpis:\n  - name: a\n  - name: a\n")
    assert str(err) == "uc.yaml, line 4: field 'kpis': KPI 'a' is listed twice"


def test_further_problems_are_counted() -> None:
    one_more = raises_document_error("slug: AB\nname: ''\n")
    assert str(one_more).endswith("(and 1 more problem)")
    assert str(one_more).startswith("uc.yaml, line 1: field 'slug': ")
    two_more = raises_document_error("slug: AB\nname: ''\nrisk_tier: extreme\n")
    assert str(two_more).endswith("(and 2 more problems)")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("- slug: ab\n- name: x\n", "list"),
        ("just text\n", "str"),
        ("42\n", "int"),
        ("~\n", "NoneType"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    err = raises_document_error(text)
    assert str(err) == f"uc.yaml, line 1: expected a mapping of fields, got {kind}"


def test_validate_without_lines_still_names_the_field() -> None:
    with pytest.raises(DocumentError) as info:
        documents.validate(Charter, {"slug": "ab", "name": "x", "tags": [[1]]}, source="api")
    assert str(info.value).startswith("api: field 'tags[0]': ")
    assert "line" not in info.value.fields


def test_validate_non_mapping_without_lines() -> None:
    with pytest.raises(DocumentError) as info:
        documents.validate(Charter, ["x"], source="body")
    assert str(info.value) == "body: expected a mapping of fields, got list"


def test_validate_with_a_prefix_names_the_full_path() -> None:
    text = "use_cases:\n  - slug: ab\n    name: AB\n  - slug: cd\n    name: CD\n    colour: red\n"
    data, lines = documents.parse_yaml(text, "bulk.yaml")
    ok = documents.validate(
        Charter, data["use_cases"][0], source="bulk.yaml", lines=lines, prefix=("use_cases", 0)
    )
    assert ok.slug == "ab"
    with pytest.raises(DocumentError) as info:
        documents.validate(
            Charter, data["use_cases"][1], source="bulk.yaml", lines=lines, prefix=("use_cases", 1)
        )
    assert (
        str(info.value) == "bulk.yaml, line 6: field 'use_cases[1].colour': unknown field 'colour'"
    )


def test_validate_prefix_on_a_non_mapping() -> None:
    data, lines = documents.parse_yaml("items:\n  - a\n  - b\n", "x.yaml")
    with pytest.raises(DocumentError) as info:
        documents.validate(
            Charter, data["items"][1], source="x.yaml", lines=lines, prefix=("items", 1)
        )
    assert str(info.value) == "x.yaml, line 3: expected a mapping of fields, got str"


# ------------------------------------------------------------ describe_error / DocumentError.at


def test_describe_error_shapes() -> None:
    class M(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        n: int
        items: list[int] = []

    def first(data: object) -> str:
        with pytest.raises(pydantic.ValidationError) as info:
            M.model_validate(data)
        return documents.describe_error(info.value.errors()[0])

    assert first({}) == "this field is required"
    assert first({"n": 1, "x": 2}) == "unknown field 'x'"
    assert first({"n": "abc"}).endswith("(got 'abc')")
    # containers are not echoed back
    assert "(got" not in first({"n": 1, "items": {"a": 1}})


def test_document_error_at_formats_the_location() -> None:
    err = DocumentError.at("p.yaml", "bad value", line=3, column=5, field="a.b")
    assert str(err) == "p.yaml, line 3, column 5: field 'a.b': bad value"
    assert err.to_dict() == {
        "error": "invalid_document",
        "message": "p.yaml, line 3, column 5: field 'a.b': bad value",
        "source": "p.yaml",
        "line": 3,
        "column": 5,
        "field": "a.b",
    }
    assert str(DocumentError.at("p.yaml", "bad", column=5)) == "p.yaml: bad"
    assert str(DocumentError.at("p.yaml", "bad", line=2)) == "p.yaml, line 2: bad"
    assert str(DocumentError.at("p.yaml", "bad", field="x")) == "p.yaml: field 'x': bad"
