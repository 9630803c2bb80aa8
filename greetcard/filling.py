"""Template text filled with a row's values, through Jinja2's sandbox.

Field texts are Jinja2 templates (``{{ company }}``, ``{% if contact %}``).
Only the template is evaluated; row values are inserted as plain text, so a
company called ``{{ 7*7 }}`` or ``<b>&`` is printed exactly as written.  The
sandbox keeps a hostile template from reaching Python internals.
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import GreetcardError, TemplateError
from .limits import LimitError, how_to_raise, limit
from .names import CORRESPONDENCE_NAMES, correspondence_values
from .qr import readable_host
from .recipients import KNOWN_COLUMNS, Recipient
from .template import CardTemplate, TextField

#: Names a field text may use besides the list's columns.
EXTRA_NAMES = ("link", "link_text", *CORRESPONDENCE_NAMES)


class FieldTooCostly(SecurityError):
    """A field text exceeded one of the cost limits (steps, string size, output per card)."""

    def __init__(self, message: str, limit_name: str) -> None:
        super().__init__(message)
        self.limit_name = limit_name


#: Per fill: [steps left, value size limit], read from the limits once per fill, not per operation.
_BUDGET: contextvars.ContextVar[list[int]] = contextvars.ContextVar("greetcard_field_steps")


def _value_ceiling() -> int:
    budget = _BUDGET.get(None)
    return budget[1] if budget is not None else limit("field_value_chars")


_WIDE_FORMAT = re.compile(r"\d{7,}|\{[^{}]*\{|%[^a-zA-Z%]*\*")


def _step() -> None:
    """Count one loop round or call against the field's budget."""
    budget = _BUDGET.get(None)
    if budget is None:
        return
    budget[0] -= 1
    if budget[0] < 0:
        raise FieldTooCostly(
            f"more than {limit('field_steps'):,} loop rounds and calls for one card", "field_steps"
        )


def _check_size(value: Any) -> Any:
    """Refuse strings and lists larger than any card could show."""
    if isinstance(value, str | list | tuple | bytes) and len(value) > _value_ceiling():
        raise FieldTooCostly(
            f"builds a value of {len(value):,} characters (limit {_value_ceiling():,})",
            "field_value_chars",
        )
    return value


def _check_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Widths and counts given to methods and filters are at most the value limit."""
    ceiling = _value_ceiling()
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > ceiling:
            raise FieldTooCostly(
                f"uses the number {value:,} as a size (limit {ceiling:,})", "field_value_chars"
            )
        if isinstance(value, str) and len(value) > ceiling:
            _check_size(value)


def _check_format_string(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise FieldTooCostly(
            "uses a format with a huge or computed width — use plain {{ column }} values",
            "field_value_chars",
        )


def _check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        occurrences = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            occurrences = min(occurrences, count)
        _check_size_estimate(len(text) + occurrences * max(0, len(new) - len(old)))


def _check_size_estimate(size: int) -> None:
    if size > _value_ceiling():
        raise FieldTooCostly(
            f"would build a value of {size:,} characters (limit {_value_ceiling():,})",
            "field_value_chars",
        )


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter that checks its sizes first (filters bypass the sandbox's call hook)."""

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        values = [
            a for a in args if not isinstance(a, jinja2.runtime.Context | EvalContext | jinja2.Environment)
        ]
        _check_arguments(tuple(values[1:]), kwargs)
        if name == "format" and values:
            _check_format_string(values[0])
        if name == "replace" and len(values) >= 3:
            _check_replace(*values[:4])
        if name == "indent" and values and isinstance(values[0], str):
            width = values[1] if len(values) > 1 else kwargs.get("width", 4)
            if isinstance(width, int):
                _check_size_estimate(len(values[0]) + values[0].count("\n") * abs(width))
            elif isinstance(width, str):
                _check_size_estimate(len(values[0]) + values[0].count("\n") * len(width))
        return _check_size(function(*args, **kwargs))

    return guarded


class _CountingCodeGenerator(CodeGenerator):
    """Compiles loops and ``~`` so that they count against the field's budget and size limit."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not getattr(node, "greetcard_counted", False):
            node.iter = nodes.Call(nodes.EnvironmentAttribute("counted_loop"), [node.iter], [], None, None)
            node.greetcard_counted = True  # type: ignore[attr-defined]
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.capped_concat((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class _CappedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with a cost limit: a hostile field text ends in a message, not a hang.

    Every loop round and call is counted; string and list operations that could build huge
    values (``*``, ``+``, ``~``, ``**``, ``%``, ``format``, ``replace``, widths) are checked
    before they run; the filled text per card is capped by the caller.
    """

    code_generator_class = _CountingCodeGenerator
    intercepted_binops = frozenset(["*", "**", "+", "%", "//"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guarded_filter(name, function) for name, function in self.filters.items()}
        self.globals["range"] = _counted_range
        self.globals["lipsum"] = _capped_lipsum

    @staticmethod
    def counted_loop(iterable: Any) -> Iterator[Any]:
        for item in iterable:
            _step()
            yield item

    @staticmethod
    def capped_concat(parts: tuple[Any, ...]) -> str:
        texts = [str(part) for part in parts]
        _check_size_estimate(sum(len(text) for text in texts))
        return "".join(texts)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        _step()
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(count, int):
                    _check_size_estimate(len(sequence) * max(count, 0))
            if isinstance(left, int) and isinstance(right, int):
                _check_bits(abs(left).bit_length() + abs(right).bit_length())
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            _check_bits(right * max(abs(left).bit_length() - 1, 0))
        elif (
            operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
        ):
            _check_size_estimate(len(left) + len(right))
        elif operator == "%" and isinstance(left, str):
            _check_format_string(left)
            _check_arguments(right if isinstance(right, tuple) else (right,), {})
        return _check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        _check_arguments(args, kwargs)
        method = getattr(__obj, "__name__", "")
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, str):
            if method in ("format", "format_map"):
                _check_format_string(owner)
            elif method == "replace" and len(args) >= 2:
                _check_replace(owner, *args[:3])
            elif method == "join" and args:
                items = [str(item) for item in __self.counted_loop(args[0])]
                _check_size_estimate(sum(map(len, items)) + len(owner) * len(items))
                args = (items, *args[1:])
        return _check_size(ImmutableSandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs))


def _check_bits(bits: int) -> None:
    if bits > 64 * 1024:
        raise FieldTooCostly("computes a number with more than 64 kbit", "field_value_chars")


def _counted_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > limit("field_steps"):
        raise FieldTooCostly(
            f"range of {len(numbers):,} numbers (limit {limit('field_steps'):,})", "field_steps"
        )
    return numbers


def _capped_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    from jinja2.utils import generate_lorem_ipsum

    _check_size_estimate(int(n) * int(max) * 12)
    return str(generate_lorem_ipsum(n=n, html=html, min=min, max=max))


_ENVIRONMENT = _CappedSandbox(
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    # Constant folding stays on: intercepted operators are never folded, and a guarded filter that
    # refuses while folding only leaves the expression to run (and be refused) at render time.
)


def _filled(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render within the cost limits: steps per card, and at most ``field_text_chars`` of text."""
    ceiling = limit("field_text_chars")
    token = _BUDGET.set([limit("field_steps"), limit("field_value_chars")])
    try:
        parts: list[str] = []
        size = 0
        for part in template.generate(context):
            size += len(part)
            if size > ceiling:
                raise FieldTooCostly(
                    f"fills more than {ceiling:,} characters for one card", "field_text_chars"
                )
            parts.append(part)
        return "".join(parts)
    finally:
        _BUDGET.reset(token)


@dataclass(frozen=True)
class CompiledField:
    field: TextField
    variants: dict[str, jinja2.Template]

    def fill(self, recipient: Recipient, link: str) -> str:
        template = self.variants.get(recipient.language) or self.variants["default"]
        context = {name: "" for name in KNOWN_COLUMNS}
        context.update(recipient.values)
        context.update(correspondence_values(recipient.values, recipient.language))
        context["link"] = link
        context["link_text"] = link_text(link)
        try:
            return _filled(template, context).strip()
        except FieldTooCostly as err:
            raise LimitError(
                f"{self.field.where}: field '{self.field.name}' is too costly to fill: {err} — a card "
                f"text needs plain {{{{ column }}}} values; {how_to_raise(err.limit_name)}"
            ) from None
        except RecursionError:
            raise TemplateError(
                f"{self.field.where}: field '{self.field.name}' calls itself without end (a macro or "
                "loop that recurses) — remove the recursion"
            ) from None
        except GreetcardError:
            raise
        except (MemoryError, Exception) as err:
            # A template that only fails on real data (e.g. {{ company / 2 }}) is still the template's fault.
            raise TemplateError(
                f"{self.field.where}: field '{self.field.name}' cannot be filled ({type(err).__name__}: "
                f"{err}) — use plain {{{{ column }}}} values, if/else and simple filters"
            ) from None


def link_text(link: str) -> str:
    """The link as people read it: without ``https://`` and a bare trailing slash, host not in ``xn--``."""
    text = link.split("://", 1)[-1]
    host_end = next((index for index, char in enumerate(text) if char in "/?#"), len(text))
    host, port_sep, port = text[:host_end].partition(":")
    text = readable_host(host) + port_sep + port + text[host_end:]
    return text[:-1] if text.endswith("/") and text.count("/") == 1 else text


def compile_fields(
    template: CardTemplate, columns: set[str], languages: dict[str, int] | None = None
) -> dict[tuple[int, str], CompiledField]:
    """Compile every field's text once; refuse names that are neither columns nor known.

    ``languages`` maps each language the list uses to its first line: a field
    without a text for one of them and without ``default`` is refused here,
    before any card prints another language's text. Keyed by (page index, field name).
    """
    for page in template.pages:
        for field in page.fields:
            if "default" in field.text:
                continue  # one text serves every language
            for language, line in sorted((languages or {}).items()):
                if language not in field.text:
                    raise TemplateError(
                        f"{field.where}: field '{field.name}' has no text for language '{language}' "
                        f'(used from line {line} of the list) and no default — add {language} = "…" '
                        'or default = "…" to its text'
                    )
    allowed = set(columns) | set(KNOWN_COLUMNS) | set(EXTRA_NAMES)
    compiled: dict[tuple[int, str], CompiledField] = {}
    for page_index, page in enumerate(template.pages):
        for field in page.fields:
            variants: dict[str, jinja2.Template] = {}
            for language, source in field.text.items():
                where = f"{field.where}: field '{field.name}'" + (
                    f" (text for {language})" if language != "default" else ""
                )
                try:
                    unknown = meta.find_undeclared_variables(_ENVIRONMENT.parse(source)) - allowed
                    variants[language] = _ENVIRONMENT.from_string(source)
                except RecursionError:
                    raise TemplateError(
                        f"{where}: the text is nested too deeply to read — simplify the expression"
                    ) from None
                except jinja2.TemplateSyntaxError as err:
                    raise TemplateError(
                        f"{where}: {err.message} (line {err.lineno} of the text) — check the "
                        "{{ }} and {% %} tags"
                    ) from None
                if unknown:
                    raise TemplateError(
                        f"{where} uses {', '.join(sorted(unknown))}, which the recipient list does not "
                        f"have — columns: {', '.join(sorted(columns))}"
                    )
            if "default" not in variants:
                first = next(iter(variants.values()))
                variants["default"] = first
            compiled[(page_index, field.name)] = CompiledField(field, variants)
    return compiled


#: The list columns each ready-made value is built from.
_CORRESPONDENCE_SOURCES = (
    "salutation",
    "title",
    "contact",
    "first_name",
    "last_name",
    "position",
    "company",
    "department",
)


def columns_used(template: CardTemplate) -> set[str]:
    """The list columns the template's field texts refer to, directly or through a ready-made value."""
    used: set[str] = set()
    for page in template.pages:
        used |= {image.column for image in page.images if image.column}
        for field in page.fields:
            for source in field.text.values():
                try:
                    used |= meta.find_undeclared_variables(_ENVIRONMENT.parse(source))
                except jinja2.TemplateSyntaxError:
                    continue  # compile_fields reports it with its location
    if used & set(CORRESPONDENCE_NAMES):
        used |= set(_CORRESPONDENCE_SOURCES)
    return used - set(EXTRA_NAMES)


def unused_columns(template: CardTemplate, columns: list[str], link_columns: tuple[str, ...]) -> list[str]:
    """List columns that no field text and no link uses: a ``Vorname`` column silently ignored shows up."""
    used = columns_used(template) | set(link_columns) | {"id", "language"}
    return [column for column in columns if column not in used]
