"""Expression rules: ``expression {expr: "income >= 0 and (age < 70 or retired)"}``.

The text is parsed with :mod:`ast` (never evaluated) and translated node by node into a
Narwhals expression. Only a small grammar is allowed: column names, constants (numbers,
strings, True, False, None), comparisons (``<``, ``<=``, ``==``, ``!=``, ``>=``, ``>``, and
``in``/``not in`` a literal list), arithmetic (``+ - * / %``, unary ``-``), ``and``/``or``/
``not``, and the calls ``is_null(col)`` and ``is_not_null(col)``. Anything else is an error
naming the expression and the offending token.

A row fails when the expression is false; when it is null (a null input) the row passes,
as with every row rule but ``not_null``. ``x == None`` and ``x != None`` mean ``is_null(x)``
and ``is_not_null(x)``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Collection
from typing import Annotated, Any

import narwhals as nw
from pydantic import Field, field_validator

from scalegate.engine.rules.registry import (
    ANY_SCOPE,
    Params,
    RowCheck,
    RuleContext,
    RuleError,
    register,
)
from scalegate.errors import ValidationError

ALLOWED = (
    "column names, numbers, strings, True/False/None, comparisons, in/not in [...], "
    "+ - * / %, and/or/not, is_null(col), is_not_null(col)"
)
MAX_LENGTH = 2000

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_CALLS = {"is_null", "is_not_null"}


class ExpressionError(ValidationError):
    """An expression rule's text is not in the allowed grammar."""

    code = "invalid_expression"

    @classmethod
    def forbidden(cls, text: str, token: str, why: str = "is not allowed") -> ExpressionError:
        return cls(
            f"expression {text!r}: {token} {why}; allowed are {ALLOWED}",
            value=text,
            token=token,
        )


class _Translator:
    def __init__(self, text: str, columns: Collection[str] | None) -> None:
        self.text = text
        self.columns = columns
        self.names: list[str] = []

    def token(self, node: ast.AST) -> str:
        seg = ast.get_source_segment(self.text, node)
        return repr(seg) if seg else type(node).__name__

    def fail(self, node: ast.AST, why: str = "is not allowed") -> ExpressionError:
        return ExpressionError.forbidden(self.text, self.token(node), why)

    def column(self, node: ast.Name) -> nw.Expr:
        if self.columns is not None and node.id not in self.columns:
            raise ExpressionError(
                f"expression {self.text!r}: unknown column '{node.id}'",
                value=self.text,
                token=node.id,
            )
        if node.id not in self.names:
            self.names.append(node.id)
        return nw.col(node.id)

    def literal(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and _plain(node.value):
            return node.value
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)
            and not isinstance(node.operand.value, bool)
        ):
            return -node.operand.value
        raise self.fail(node, "is not a constant (in [...] lists hold constants only)")

    def visit(self, node: ast.AST) -> Any:
        """A Narwhals expression, or a plain Python constant."""
        if isinstance(node, ast.Name):
            return self.column(node)
        if isinstance(node, ast.Constant):
            if not _plain(node.value):
                raise self.fail(node)
            return node.value
        if isinstance(node, ast.BoolOp):
            parts = [_expr(self.visit(v)) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return out
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ~_expr(self.visit(node.operand))
            if isinstance(node.op, ast.USub):
                value = self.visit(node.operand)
                if isinstance(value, nw.Expr) or (
                    isinstance(value, int | float) and not isinstance(value, bool)
                ):
                    return -value
                raise self.fail(node, "negates something that is not a number")
            raise self.fail(node)
        if isinstance(node, ast.BinOp):
            fn = _ARITH.get(type(node.op))
            if fn is None:
                raise self.fail(node, "uses an operator that is not allowed")
            left, right = self.visit(node.left), self.visit(node.right)
            if any(isinstance(v, str | bool) or v is None for v in (left, right)):
                raise self.fail(node, "does arithmetic on text, True/False or None")
            try:
                return fn(left, right)
            except ArithmeticError:
                raise self.fail(node, "cannot be computed") from None
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(node)

    def compare(self, node: ast.Compare) -> nw.Expr:
        out: nw.Expr | None = None
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right_node, ast.List | ast.Tuple | ast.Set):
                    raise self.fail(right_node, "must be a literal list after 'in'")
                values = [self.literal(v) for v in right_node.elts]
                part = _expr(self.visit(left_node)).is_in(values)
                if isinstance(op, ast.NotIn):
                    part = ~part
            else:
                fn = _COMPARE.get(type(op))
                if fn is None:  # 'is', 'is not'
                    raise self.fail(node, "uses a comparison that is not allowed")
                left, right = self.visit(left_node), self.visit(right_node)
                if right is None or left is None:
                    if not isinstance(op, ast.Eq | ast.NotEq):
                        raise self.fail(node, "compares with None; use == None or != None")
                    other = _expr(left if right is None else right)
                    part = other.is_null() if isinstance(op, ast.Eq) else ~other.is_null()
                else:
                    part = _expr(fn(left, right))
            out = part if out is None else out & part
            left_node = right_node
        assert out is not None
        return out

    def call(self, node: ast.Call) -> nw.Expr:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _CALLS:
            raise self.fail(node.func, "is not an allowed function (only is_null, is_not_null)")
        if node.keywords or len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
            raise self.fail(node, "takes exactly one column name")
        col = self.column(node.args[0])
        return col.is_null() if name == "is_null" else ~col.is_null()


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _expr(value: Any) -> nw.Expr:
    return value if isinstance(value, nw.Expr) else nw.lit(value)


def compile_expression(
    text: str, columns: Collection[str] | None = None
) -> tuple[nw.Expr, tuple[str, ...]]:
    """Translate ``text`` into a boolean Narwhals expression and the column names it uses.

    With ``columns``, a name outside them is an error; without, any name is taken as a
    column (used when a contract is loaded, before there is data).

    Example:
        >>> expr, names = compile_expression("income >= 0 and not is_null(age)")
        >>> names
        ('income', 'age')
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; at most {MAX_LENGTH} are allowed",
            value=text[:80],
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except RecursionError:
        raise ExpressionError(
            f"expression {text[:80]!r} is nested too deeply", value=text
        ) from None
    except SyntaxError as exc:
        raise ExpressionError(
            f"expression {text!r} is not valid syntax: {exc.msg} (column {exc.offset})",
            value=text,
        ) from None
    translator = _Translator(text.strip(), columns)
    value = translator.visit(tree.body)
    if not isinstance(value, nw.Expr) or not translator.names:
        raise ExpressionError(
            f"expression {text!r} uses no column; a rule must test the data", value=text
        )
    return value, tuple(translator.names)


class ExpressionParams(Params):
    expr: Annotated[str, Field(min_length=1)]

    @field_validator("expr")
    @classmethod
    def _parses(cls, v: str) -> str:
        try:
            compile_expression(v)
        except ExpressionError as exc:
            raise ValueError(exc.message) from None
        return v


@register(
    "expression",
    ExpressionParams,
    scopes=ANY_SCOPE,
    summary="a boolean expression over columns holds for each row (nulls pass)",
)
def expression(params: ExpressionParams, ctx: RuleContext) -> RowCheck:
    try:
        expr, names = compile_expression(params.expr, ctx.schema.keys())
    except ExpressionError as exc:
        raise RuleError(exc.message) from None
    shown = names if ctx.column is None or ctx.column in names else (ctx.column, *names)
    return RowCheck((~expr).fill_null(False), f"failing {params.expr!r}", shown)
