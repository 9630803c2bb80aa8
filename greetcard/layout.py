"""Fitting text into a field's box: wrapping, Japanese line breaking, shrinking.

Pure arithmetic on font metrics; nothing here draws.  Text is wrapped at the
largest size that fits, stepping down to the field's minimum; if even that
fails the caller gets :class:`TextDoesNotFit` and the row is refused rather
than clipped or overflowing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import GreetcardError
from .fonts import FontChain, FontFace
from .template import TextField

MM_PER_PT = 25.4 / 72
SIZE_STEP_PT = 0.25

#: Kinsoku shori: characters that must not begin a line (closing marks, small kana, …).
NO_LINE_START = frozenset(
    "、。，．・：；？！゛゜ー―‐〜～ゝゞヽヾ々〻」』）〕］｝〉》】〙〗〟’”»"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    ".,;:!?)]}%‰°"
)
#: Characters that must not end a line (opening marks).
NO_LINE_END = frozenset("「『（〔［｛〈《【〘〖〝‘“„«([{")
_BREAK_AFTER = frozenset("-/–—")


class TextDoesNotFit(GreetcardError):
    """Raised when text needs more room than its field has, even at the minimum size."""


class MissingGlyphs(GreetcardError):
    """Raised when characters exist in none of a field's fonts."""

    def __init__(self, characters: list[str]) -> None:
        super().__init__(characters)
        self.characters = characters


@dataclass(frozen=True)
class Run:
    """A stretch of one line drawn in one font."""

    face: FontFace
    text: str
    width_pt: float


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]
    width_pt: float

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True)
class FittedText:
    """A field's text as it will be drawn: size, lines, and how it was fitted."""

    field: TextField
    size_pt: float
    lines: tuple[Line, ...]
    #: Japanese text that only fitted by breaking between characters, inside a word: worth a look.
    broke_inside_word: bool = False

    @property
    def shrunk(self) -> bool:
        return self.size_pt < self.field.size_pt

    @property
    def leading_pt(self) -> float:
        return self.size_pt * self.field.leading

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def describe(self) -> str:
        """How the text was fitted, for proofs and preflight: ``2 lines at 9.5 pt (of 12)``."""
        lines = f"{len(self.lines)} line{'s' if len(self.lines) != 1 else ''}"
        if self.shrunk:
            return f"{lines} at {self.size_pt:g} pt (shrunk from {self.field.size_pt:g})"
        return f"{lines} at {self.size_pt:g} pt"


@dataclass(frozen=True)
class PlacedLine:
    """Where a line's ink sits, in mm from the trim's top-left: start, baseline, extent."""

    line: Line
    x_mm: float
    baseline_mm: float
    width_mm: float
    ascent_mm: float
    descent_mm: float

    @property
    def top_mm(self) -> float:
        return self.baseline_mm - self.ascent_mm

    @property
    def bottom_mm(self) -> float:
        return self.baseline_mm + self.descent_mm


def place_lines(fitted: FittedText) -> list[PlacedLine]:
    """Position each line in its box by the field's alignment (shared by drawing and preflight)."""
    field = fitted.field
    if not fitted.lines:
        return []
    face = fitted.lines[0].runs[0].face if fitted.lines[0].runs else None
    ascent = (face.ascent_per_mille if face else 880.0) / 1000 * fitted.size_pt * MM_PER_PT
    descent = -(face.descent_per_mille if face else -120.0) / 1000 * fitted.size_pt * MM_PER_PT
    leading = fitted.leading_pt * MM_PER_PT
    block = (len(fitted.lines) - 1) * leading + ascent + descent
    box = field.box
    top = box.y_mm
    if field.valign == "middle":
        top += (box.height_mm - block) / 2
    elif field.valign == "bottom":
        top += box.height_mm - block
    placed = []
    baseline = top + ascent
    for line in fitted.lines:
        width = line.width_pt * MM_PER_PT
        if field.align == "center":
            x = box.x_mm + (box.width_mm - width) / 2
        elif field.align == "right":
            x = box.right_mm - width
        else:
            x = box.x_mm
        placed.append(PlacedLine(line, x, baseline, width, ascent, descent))
        baseline += leading
    return placed


def is_cjk(char: str) -> bool:
    """Ideographs, kana and full-width forms: a line may break between any two of them."""
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x3200 <= code <= 0x33FF
        or 0x31F0 <= code <= 0x31FF
        or 0x20000 <= code <= 0x3FFFF
    )


def break_allowed(before: str, after: str) -> bool:
    """May a line end between these two (non-space) characters?"""
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    if is_cjk(before) or is_cjk(after):
        return True
    return before in _BREAK_AFTER and after.isalnum()


def normalise_spaces(text: str) -> str:
    """Every kind of space but the ideographic one becomes a plain space; runs collapse."""
    cleaned = []
    for char in text:
        if char == "\n" or char == "\u3000":
            cleaned.append(char)
        elif char.isspace() or unicodedata.category(char) == "Zs":
            if not cleaned or cleaned[-1] not in " \n":
                cleaned.append(" ")
        else:
            cleaned.append(char)
    return "\n".join(line.strip(" ") for line in "".join(cleaned).split("\n"))


def segments_of(paragraph: str, cjk_breaks: bool = True) -> list[str]:
    """Split a paragraph into unbreakable pieces; ``" "`` pieces are break-and-vanish spaces.

    With ``cjk_breaks=False`` lines may break only at spaces (and after hyphens),
    which keeps space-separated Japanese units such as ``欧州統括本部`` whole.
    """
    pieces: list[str] = []
    current = ""
    for char in paragraph:
        if char == " ":
            if current:
                pieces.append(current)
                current = ""
            pieces.append(" ")
        elif current and break_allowed(current[-1], char) and (cjk_breaks or current[-1] in _BREAK_AFTER):
            pieces.append(current)
            current = char
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


#: Honorifics that must stay on the line of the word before them.
HONORIFICS = ("御中", "様", "殿", "各位")
#: Legal forms that are words of their own inside a company name, so a line may break around them.
LEGAL_FORMS = (
    "特定非営利活動法人",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "独立行政法人",
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "協同組合",
)
#: Words that end or start a word inside company names (BudouX keeps a whole name as one phrase).
#: A break next to one is taken only when both sides keep at least two characters.
COMPANY_WORDS = (
    "ホールディングス",
    "インターナショナル",
    "コーポレーション",
    "コンサルティング",
    "エンジニアリング",
    "マーケティング",
    "トレーディング",
    "イノベーション",
    "ソリューションズ",
    "ソリューション",
    "テクノロジーズ",
    "テクノロジー",
    "ロジスティクス",
    "エレクトロニクス",
    "エレクトリック",
    "マネジメント",
    "ネットワーク",
    "コミュニケーションズ",
    "インダストリー",
    "ファイナンス",
    "ソフトウェア",
    "パートナーズ",
    "システムズ",
    "システム",
    "サービス",
    "グローバル",
    "ヨーロッパ",
    "ジャパン",
    "グループ",
    "ビジネス",
    "デザイン",
    "コネクト",
    "ドイツ",
    "アジア",
    "リース",
    "データ",
    "製作所",
    "研究所",
    "重工業",
    "自動車",
    "工業",
    "商事",
    "物産",
    "電子",
    "電気",
    "電機",
    "電力",
    "化学",
    "精機",
    "機械",
    "産業",
    "銀行",
    "証券",
    "保険",
    "運輸",
    "建設",
    "製薬",
    "通信",
    "協会",
    "商会",
    "貿易",
    "基金",
    "機構",
    "組合",
    "大学",
    "事務所",
    "会議所",
    "協議会",
)
_KATAKANA_INSIDE_KANJI = frozenset("ヶヵヽヾ")
_JOINERS = frozenset("・＆&")  # 霞ヶ関: read as part of the kanji word


def segments_by_phrase(paragraph: str) -> list[str]:
    """Pieces that break only between words: BudouX phrases, after ``・``, around legal forms,
    and where katakana, kanji and Latin meet; honorifics stay with the word before them.
    """
    return _segments_keeping_honorifics(paragraph, _phrases_of_word)


def segments_of_words(paragraph: str, cjk_breaks: bool) -> list[str]:
    """:func:`segments_of` with honorifics (御中, 様) kept on the line of the word before them."""
    return _segments_keeping_honorifics(paragraph, lambda word: segments_of(word, cjk_breaks))


def _segments_keeping_honorifics(paragraph: str, split_word: Callable[[str], list[str]]) -> list[str]:
    units: list[str] = []
    for word in paragraph.split(" "):
        if not word:
            continue
        if word in HONORIFICS and units:
            units[-1] += " " + word  # "ヨーロッパ 御中" breaks as one
        else:
            units.append(word)
    pieces: list[str] = []
    for unit in units:
        if pieces:
            pieces.append(" ")
        base, suffix = _honorific_suffix(unit)
        split = split_word(base) if base else []
        if split:
            split[-1] += suffix
        else:
            split = [suffix.strip()]
        pieces.extend(split)
    return pieces


def _honorific_suffix(unit: str) -> tuple[str, str]:
    """``"東芝 御中"`` → ``("東芝", " 御中")``; ``"髙橋一郎様"`` → ``("髙橋一郎", "様")``."""
    for honorific in HONORIFICS:
        if unit.endswith(honorific) and len(unit) > len(honorific):
            base = unit[: -len(honorific)]
            if base.endswith(" "):
                return base.rstrip(" "), " " + honorific
            return base, honorific
    return unit, ""


@lru_cache(maxsize=4096)
def _budoux_phrases(text: str) -> tuple[str, ...]:
    return tuple(_budoux_parser().parse(text))


@lru_cache(maxsize=1)
def _budoux_parser() -> Any:
    import budoux

    return budoux.load_default_japanese_parser()


def _phrases_of_word(word: str) -> list[str]:
    if not any(is_cjk(char) for char in word):
        return segments_of(word, cjk_breaks=False)
    boundaries: set[int] = set()
    position = 0
    for phrase in _budoux_phrases(word):
        position += len(phrase)
        boundaries.add(position)
    for index in range(1, len(word)):
        before, after = word[index - 1], word[index]
        if after in _JOINERS:
            continue  # "リサーチ＆" / "ミナト・": the joiner stays with the word before it
        if before in _JOINERS or _script(before) != _script(after):
            boundaries.add(index)
    inside_known: set[int] = set()  # a legal form or known word is never cut, whatever BudouX says
    for form in LEGAL_FORMS:
        start = word.find(form)
        while start != -1:
            boundaries.update((start, start + len(form)))
            inside_known.update(range(start + 1, start + len(form)))
            start = word.find(form, start + 1)
    runs = _script_runs(word)
    for known in COMPANY_WORDS:
        start = word.find(known)
        while start != -1:
            end = start + len(known)
            run_start, run_end = runs[start]
            # Only inside one run of the same script, leaving two or more characters on each side.
            if end <= run_end:
                inside_known.update(range(start + 1, end))
                if start - run_start >= 2:
                    boundaries.add(start)
                if run_end - end >= 2:
                    boundaries.add(end)
            start = word.find(known, start + 1)
    boundaries -= inside_known
    pieces: list[str] = []
    current = ""
    for index, char in enumerate(word):
        if current and index in boundaries and break_allowed(current[-1], char):
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces


def _script_runs(word: str) -> list[tuple[int, int]]:
    """For each character, the (start, end) of its run of one script."""
    spans: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(word) + 1):
        if index == len(word) or _script(word[index]) != _script(word[start]) or word[index - 1] in _JOINERS:
            spans.extend([(start, index)] * (index - start))
            start = index
    return spans


def _script(char: str) -> str:
    """The writing system a character belongs to, for word boundaries inside Japanese names.

    Hiragana is not told apart from kanji: okurigana (取り扱い) belong to their word.
    """
    code = ord(char)
    if char in _KATAKANA_INSIDE_KANJI:
        return "kanji"
    if 0x30A0 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return "katakana"
    if char.isascii() or 0xFF01 <= code <= 0xFF5E:
        return "latin" if char.isalnum() else "mark"
    return "kanji"


def wrap(paragraphs: list[list[str]], widths: dict[str, float], max_width: float) -> list[str] | None:
    """Greedy line filling at unit size; ``None`` when one piece alone is too wide."""
    lines: list[str] = []
    for pieces in paragraphs:
        line = ""
        line_width = 0.0
        pending_space = False
        for piece in pieces:
            if piece == " ":
                pending_space = bool(line)
                continue
            piece_width = widths[piece]
            space_width = widths[" "] if pending_space else 0.0
            if line and line_width + space_width + piece_width <= max_width:
                line += (" " if pending_space else "") + piece
                line_width += space_width + piece_width
            else:
                if line:
                    lines.append(line)
                if piece_width > max_width:
                    return None
                line, line_width = piece, piece_width
            pending_space = False
        lines.append(line)
    return lines


#: A printed link may break only before these, and never inside its host.
LINK_BREAKS_BEFORE = frozenset("/?&")


def link_segments(link: str) -> list[str]:
    """A link's unbreakable pieces: scheme and host whole, the rest split before ``/``, ``?``, ``&``.

    Nothing is added at a break, so the lines joined give the link exactly, and a break never
    falls at a hyphen (``neujahrsgross-`` / ``japan.de`` reads as two words, or a typo).
    """
    scheme, separator, rest = link.partition("://")
    if not separator:
        scheme, rest = "", link
    host_end = next((i for i, char in enumerate(rest) if char in LINK_BREAKS_BEFORE), len(rest))
    pieces = [scheme + separator + rest[:host_end]]
    for char in rest[host_end:]:
        if char in LINK_BREAKS_BEFORE:
            pieces.append(char)
        else:
            pieces[-1] += char
    if len(pieces) > 1 and pieces[-1] == "/":
        trailing_slash = pieces.pop()  # a lone trailing slash on its own line helps nobody
        pieces[-1] += trailing_slash
    return pieces


def _paragraph_segments(
    paragraph: str, split: Callable[[str], list[str]], links: tuple[str, ...]
) -> list[str]:
    """Segments of a paragraph split by ``split``, in which each link keeps its own break rules."""
    for link in links:
        start = paragraph.find(link) if link else -1
        if start >= 0:
            before, after = paragraph[:start], paragraph[start + len(link) :]
            return [
                *_paragraph_segments(before, split, links),
                *link_segments(link),
                *_paragraph_segments(after, split, links),
            ]
    return split(paragraph) if paragraph else []


def fit_text(text: str, field: TextField, chain: FontChain, links: tuple[str, ...] = ()) -> FittedText:
    """Fit ``text`` into ``field`` at the largest size from ``size_pt`` down to ``min_size_pt``.

    ``links`` found in the text break only as :func:`link_segments` allows; they shrink rather
    than break anywhere else.
    """
    text = normalise_spaces(text)
    links = tuple(sorted((link for link in links if link), key=len, reverse=True))
    if field.kind == "address":
        text = "\n".join(line for line in text.split("\n") if line.strip())
    missing = chain.missing(text)
    if missing:
        raise MissingGlyphs(missing)
    # Breaking at spaces reads best, then between words (phrases); shrinking comes before the last
    # resort of breaking Japanese between any two characters, inside a word.
    paragraphs_of_text = text.split("\n")
    japanese = any(is_cjk(char) for char in text)

    def split_all(split: Callable[[str], list[str]]) -> list[list[str]]:
        return [_paragraph_segments(paragraph, split, links) for paragraph in paragraphs_of_text]

    good = [split_all(lambda part: segments_of_words(part, cjk_breaks=not japanese))]
    fallback: list[list[list[str]]] = []
    if japanese:
        good.append(split_all(segments_by_phrase))
        fallback.append(split_all(lambda part: segments_of_words(part, cjk_breaks=True)))
    widths = {" ": chain.width_pt(" ", 1.0) + field.tracking / 1000}
    for paragraphs in (*good, *fallback):
        for pieces in paragraphs:
            for piece in pieces:
                if piece not in widths:
                    # Tracking (letter spacing) adds its share of an em after every character.
                    widths[piece] = chain.width_pt(piece, 1.0) + len(piece) * field.tracking / 1000
    box_width_pt = field.box.width_mm / MM_PER_PT
    box_height_pt = field.box.height_mm / MM_PER_PT
    glyph_height = (chain.ascent_per_mille - chain.descent_per_mille) / 1000
    best_effort: tuple[float, int] | None = None
    for tier, broke_inside_word in ((good, False), (fallback, True)):
        size = field.size_pt
        while tier and size >= field.min_size_pt - 1e-9:
            for paragraphs in tier:
                lines = wrap(paragraphs, widths, box_width_pt / size)
                if lines is None:
                    continue
                height = size * ((len(lines) - 1) * field.leading + glyph_height)
                fits_lines = field.max_lines is None or len(lines) <= field.max_lines
                if height <= box_height_pt + 1e-6 and fits_lines:
                    return FittedText(
                        field,
                        size,
                        tuple(_line(line, chain, size, field.tracking) for line in lines),
                        broke_inside_word and _breaks_inside_a_word(lines, good),
                    )
                best_effort = (size, len(lines))
            size = round(size - SIZE_STEP_PT, 4)
    raise TextDoesNotFit(_not_fit_reason(field, best_effort, glyph_height))


def _breaks_inside_a_word(lines: list[str], good: list[list[list[str]]]) -> bool:
    """True when some line ends where no word boundary is (the per-character fallback really cut)."""
    word_ends: set[int] = set()
    for paragraphs in good:
        position = 0
        for pieces in paragraphs:
            for piece in pieces:
                position += len(piece.replace(" ", ""))
                word_ends.add(position)
    position = 0
    for line in lines[:-1]:
        position += len(line.replace(" ", ""))
        if position not in word_ends:
            return True
    return False


def _not_fit_reason(field: TextField, best_effort: tuple[float, int] | None, glyph_height: float) -> str:
    box = f"{field.box.width_mm:g} × {field.box.height_mm:g} mm"
    if best_effort is None:
        return (
            f"a word is wider than field '{field.name}' ({box}) even at {field.min_size_pt:g} pt — "
            "shorten it, or widen the box / lower min_size_pt in the template"
        )
    size, line_count = best_effort
    room = max(1, int((field.box.height_mm / MM_PER_PT / size - glyph_height) / field.leading) + 1)
    if field.max_lines is not None:
        room = min(room, field.max_lines)
    return (
        f"text needs {line_count} lines in field '{field.name}' ({box}) at {size:g} pt but only "
        f"{room} fit — shorten the text, or enlarge the box / lower min_size_pt in the template"
    )


def line_in_fonts(text: str, chain: FontChain, size_pt: float) -> Line:
    """One line of text split into runs of the first font of ``chain`` that has each character."""
    return _line(text, chain, size_pt)


def _line(text: str, chain: FontChain, size_pt: float, tracking: float = 0.0) -> Line:
    """A line in font runs; with tracking every character is followed by that much space but the last."""
    spacing = tracking * size_pt / 1000
    runs: list[Run] = []
    current_face: FontFace | None = None
    current = ""
    for char in text:
        face = chain.face_for(char) or chain.faces[0]
        if face is not current_face and current:
            assert current_face is not None
            runs.append(
                Run(
                    current_face,
                    current,
                    current_face.text_width_pt(current, size_pt) + spacing * len(current),
                )
            )
            current = ""
        current_face = face
        current += char
    if current and current_face is not None:
        runs.append(
            Run(current_face, current, current_face.text_width_pt(current, size_pt) + spacing * len(current))
        )
    return Line(tuple(runs), sum(run.width_pt for run in runs) - (spacing if text else 0.0))
