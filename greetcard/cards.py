"""From a recipient row to a laid-out card: filled text, fitted fields, placed QR.

:class:`CardBuilder` is prepared once per batch (fonts loaded, texts compiled,
link pattern parsed); :meth:`CardBuilder.build` is the per-row work and either
returns a :class:`Card` or raises :class:`RowRefused` with a message that
names the row's file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import GreetcardError, LinkError, Location, TemplateError, located
from .filling import CompiledField, compile_fields, link_text
from .fonts import FontChain, load_font_spec
from .images import ImageProblem, PlacedImage, place_image, resolve_row_image
from .layout import FittedText, MissingGlyphs, TextDoesNotFit, fit_text
from .qr import LinkPattern, ModulesTooSmall, QrPlacement, check_link, place_symbol
from .recipients import Recipient, RecipientList, describe_char
from .template import CardTemplate, ImageField, TextField
from .tokens import TOKEN_PLACEHOLDER, TokenSigner, missing_secret

#: Distinct field texts whose fitting is remembered (most texts repeat; names do not).
FIT_CACHE_LIMIT = 20_000


class RowRefused(GreetcardError):
    """Raised when a row cannot become a card; carries where (file, line, column) and why."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(located(location, message))
        self.location = location
        self.message = message


@dataclass(frozen=True)
class CardPage:
    fields: tuple[FittedText, ...]
    qr: QrPlacement | None
    images: tuple[PlacedImage, ...] = ()


@dataclass(frozen=True)
class Card:
    """Everything needed to draw one recipient's card, in numbers."""

    recipient: Recipient
    link: str
    pages: tuple[CardPage, ...]


class CardBuilder:
    """The per-batch preparation that makes building each card cheap."""

    def __init__(
        self,
        template: CardTemplate,
        recipients: RecipientList,
        link: str | None = None,
        tokens: TokenSigner | None = None,
        languages: dict[str, int] | None = None,
    ) -> None:
        self.template = template
        self.tokens = tokens
        self.list_path = recipients.path
        self.columns = list(recipients.columns)
        pattern = link if link is not None else template.link
        if not pattern:
            raise LinkError(
                f'{template.file}: the template has no link — add link = "https://…" or pass --url'
            )
        self.link_pattern = LinkPattern.parse(pattern, set(recipients.columns))
        if TOKEN_PLACEHOLDER in self.link_pattern.columns and tokens is None:
            raise missing_secret(f"the link {pattern!r}")
        if not self.link_pattern.columns:
            # One link for every card: if it cannot fit, that is the template's problem, not each row's.
            for page in template.pages:
                if page.qr is not None:
                    try:
                        place_symbol(check_link(self.link_pattern.fill({})), page.qr)
                    except ModulesTooSmall as err:
                        raise LinkError(f"{template.file}: QR code: {err}") from None
        if languages is None:  # the list's languages, when the caller did not read them already
            languages = {}
            for recipient in recipients.recipients:
                languages.setdefault(recipient.language, recipient.line)
        self.fields: dict[tuple[int, str], CompiledField] = compile_fields(
            template, set(recipients.columns), languages
        )
        self._fitted: dict[tuple[int, str, str], FittedText] = {}
        self.fixed_images = self._fixed_images(set(recipients.columns))
        self.chains: dict[tuple[str, ...], FontChain] = {}
        for page in template.pages:
            for field in page.fields:
                if field.fonts not in self.chains:
                    self.chains[field.fonts] = FontChain(
                        tuple(load_font_spec(template.fonts[name]) for name in field.fonts)
                    )

    def link_for(self, recipient: Recipient) -> str:
        """The recipient's link, with its {token} when the pattern has one."""
        values = recipient.values
        if self.tokens is not None and TOKEN_PLACEHOLDER in self.link_pattern.columns:
            values = {**values, TOKEN_PLACEHOLDER: self.tokens.token(recipient.id)}
        return check_link(self.link_pattern.fill(values))

    def build(self, recipient: Recipient) -> Card:
        link = self.link_for(recipient)
        pages = []
        for page_index, page in enumerate(self.template.pages):
            fitted_fields = []
            for field in page.fields:
                text = self.fields[(page_index, field.name)].fill(recipient, link)
                try:
                    fitted_fields.append(self._fit(page_index, field, text, (link, link_text(link))))
                except MissingGlyphs as err:
                    listed = ", ".join(describe_char(c) for c in err.characters)
                    raise self._refusal(
                        recipient,
                        err.characters[0],
                        f"{listed} cannot be printed: no font of field '{field.name}' "
                        f"({', '.join(field.fonts)}) has {'it' if len(err.characters) == 1 else 'them'} "
                        "— replace the character or add a fallback font to the field",
                    ) from None
                except TextDoesNotFit as err:
                    if link_text(link) in text or link in text:
                        # The link is what is too long here, not the column it was filled from.
                        raise RowRefused(
                            Location(self.list_path, recipient.line),
                            f"the link {link} is too long for field '{field.name}': {err} "
                            "(or shorten the link)",
                        ) from None
                    raise self._refusal(recipient, None, str(err), field_text=text) from None
            placement = None
            if page.qr is not None:
                try:
                    placement = place_symbol(link, page.qr)
                except ModulesTooSmall as err:
                    raise self._refusal(recipient, None, f"QR code: {err}") from None
            pages.append(CardPage(tuple(fitted_fields), placement, self._images(page_index, recipient)))
        return Card(recipient, link, tuple(pages))

    def _fixed_images(self, columns: set[str]) -> dict[tuple[int, str], PlacedImage]:
        """Logos are checked once; a per-row image's column must exist in the list."""
        fixed = {}
        for page_index, page in enumerate(self.template.pages):
            for image in page.images:
                if image.file is not None:
                    try:
                        fixed[(page_index, image.name)] = place_image(image, image.file)
                    except ImageProblem as err:
                        raise TemplateError(f"{image.where}: image '{image.name}': {err}") from None
                elif image.column not in columns:
                    raise TemplateError(
                        f"{image.where}: image '{image.name}' takes its file from the column "
                        f"{image.column!r}, which the list {self.list_path.name} does not have — add the "
                        "column or change column"
                    )
        return fixed

    def _images(self, page_index: int, recipient: Recipient) -> tuple[PlacedImage, ...]:
        placed = []
        for image in self.template.pages[page_index].images:
            fixed = self.fixed_images.get((page_index, image.name))
            if fixed is not None:
                placed.append(fixed)
                continue
            placed_image = self._row_image(image, recipient)
            if placed_image is not None:
                placed.append(placed_image)
        return tuple(placed)

    def _row_image(self, image: ImageField, recipient: Recipient) -> PlacedImage | None:
        """The row's own image; an empty cell leaves the box empty, a bad file refuses the row."""
        assert image.column is not None
        value = recipient.values.get(image.column, "").strip()
        if not value:
            return None
        try:
            return place_image(image, resolve_row_image(self.list_path.parent, value))
        except ImageProblem as err:
            column_number = self.columns.index(image.column) + 1 if image.column in self.columns else None
            raise RowRefused(
                Location(self.list_path, recipient.line, column_number),
                f"{image.column}: {err} (image field '{image.name}')",
            ) from None

    def _fit(self, page_index: int, field: TextField, text: str, links: tuple[str, ...] = ()) -> FittedText:
        """Fit text, once per distinct text: greetings and senders repeat on every card."""
        key = (page_index, field.name, text)
        fitted = self._fitted.get(key)
        if fitted is None:
            if field.direction == "vertical":
                from .vertical import fit_vertical

                fitted = fit_vertical(text, field, self.chains[field.fonts])
            else:
                links_in_text = tuple(link for link in links if link in text)
                fitted = fit_text(text, field, self.chains[field.fonts], links_in_text)
            if len(self._fitted) < FIT_CACHE_LIMIT:
                self._fitted[key] = fitted
        return fitted

    def _refusal(
        self, recipient: Recipient, char: str | None, message: str, field_text: str | None = None
    ) -> RowRefused:
        """Point at the column whose value holds ``char`` (or is longest in the failing text)."""
        column = None
        candidates = [
            (name, value) for name, value in recipient.values.items() if name in self.columns and value
        ]
        if char is not None:
            column = next((name for name, value in candidates if char in value), None)
        elif field_text is not None:
            inside = [(len(value), name) for name, value in candidates if value in field_text]
            column = max(inside)[1] if inside else None
        column_number = self.columns.index(column) + 1 if column in self.columns else None
        prefix = f"{column}: " if column else ""
        return RowRefused(Location(self.list_path, recipient.line, column_number), prefix + message)
