"""Template text filled with a row's values, through Jinja2's sandbox.

Field texts are Jinja2 templates (``{{ company }}``, ``{% if contact %}``).
Only the template is evaluated; row values are inserted as plain text, so a
company called ``{{ 7*7 }}`` or ``<b>&`` is printed exactly as written.  The
sandbox keeps a hostile template from reaching Python internals.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import TemplateError
from .names import CORRESPONDENCE_NAMES, correspondence_values
from .qr import readable_host
from .recipients import KNOWN_COLUMNS, Recipient
from .template import CardTemplate, TextField

#: Names a field text may use besides the list's columns.
EXTRA_NAMES = ("link", "link_text", *CORRESPONDENCE_NAMES)

_ENVIRONMENT = ImmutableSandboxedEnvironment(
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


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
            return template.render(context).strip()
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, AttributeError) as err:
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
