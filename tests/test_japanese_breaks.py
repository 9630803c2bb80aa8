"""Japanese company names break between words, never inside one; 御中 and 様 stay with their word.

The names below are written with ``|`` where a Japanese reader accepts a line
break (word boundaries, after ``・``); the test knows nothing of how greetcard
finds them.  Each is fitted into boxes narrow enough to need two or three lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from greetcard.assets import assets_folder
from greetcard.fonts import FontChain, load_font
from greetcard.layout import fit_text
from greetcard.template import BLACK, Box, TextField

FONTS = assets_folder() / "fonts"

COMPANY_NAMES = [
    "株式会社|ヨーロッパ・|サービス",
    "ミナト・|インターナショナル・|ホールディングス|株式会社",
    "株式会社|髙橋|製作所",
    "三菱|ＵＦＪ|リサーチ＆|コンサルティング|株式会社",
    "東京海上|日動|火災|保険|株式会社",
    "株式会社|エヌ・|ティ・|ティ・|データ",
    "ソフトバンク|グループ|株式会社",
    "セブン＆|アイ・|ホールディングス",
    "ＮＥＣ|ソリューション|イノベータ|株式会社",
    "株式会社|ミナト|精機",
    "﨑山|化学|工業|株式会社",
    "株式会社|サクラ|電子",
    "日本|電信|電話|株式会社",
    "株式会社|リクルート|ホールディングス",
    "パナソニック|コネクト|株式会社",
    "株式会社|ファーストリテイリング",
    "キヤノン|マーケティング|ジャパン|株式会社",
    "株式会社|ヨーロッパ・|ジャパン・|トレーディング・|パートナーズ",
    "コニカミノルタ|ジャパン|株式会社",
    "株式会社|アドバンスト・|テクノロジー・|ソリューションズ",
    "ヤマト|ロジスティクス|ヨーロッパ|株式会社",
    "株式会社|日立|ハイテク|ヨーロッパ",
    "三井住友|ファイナンス＆|リース|株式会社",
    "株式会社|インターナショナル・|ビジネス・|コンサルティング",
    "富士フイルム|ビジネス|イノベーション|株式会社",
    "一般社団法人|日本|貿易会",
    "公益財団法人|国際|交流|基金",
    "有限会社|カワサキ・|エンジニアリング",
    "合同会社|グローバル・|ネットワーク・|サービス",
    "株式会社|オリエンタル・|ランド",
    "シュナイダー|エレクトリック|ホールディングス|株式会社",
    "ボッシュ|株式会社",
    "株式会社|ジェイ・|エム・|エス・|ジャパン",
    "ラインハーフェン|日独|協会",
    "ドイツ|日本|研究所",
    "株式会社|ブリヂストン|ヨーロッパ",
    "東京|エレクトロン|株式会社",
    "株式会社|ＫＤＤＩ|ヨーロッパ",
    "株式会社|デンソー|インターナショナル・|ヨーロッパ",
    "ミツトヨ・|ヨーロッパ|有限会社",
    "株式会社|ノルトマルク・|ジャパン・|デザイン",
    "住友|電気|工業|株式会社",
]

#: Forms of the name as the templates print it: with 御中, and with a person and 様.
SUFFIXES = ["", " 御中", "御中"]


@pytest.fixture(scope="module")
def chain() -> FontChain:
    return FontChain((load_font(FONTS / "NotoSansJP-Bold.ttf", "sans-bold"),))


def _field(width_mm: float) -> TextField:
    return TextField(
        name="recipient",
        box=Box(0, 0, width_mm, 40),
        fonts=("sans-bold",),
        size_pt=12,
        min_size_pt=9,
        leading=1.3,
        align="center",
        valign="middle",
        color=BLACK,
        text={"default": ""},
    )


def _allowed_break_offsets(marked: str) -> set[int]:
    """Offsets (in characters, spaces ignored) after which a line may end."""
    offsets, position = set(), 0
    for part in marked.split("|"):
        position += len(part.replace(" ", ""))
        offsets.add(position)
    return offsets


@pytest.mark.parametrize("marked", COMPANY_NAMES)
def test_company_names_break_only_between_words(chain: FontChain, marked: str) -> None:
    assert len(COMPANY_NAMES) >= 40
    name = marked.replace("|", "")
    allowed = _allowed_break_offsets(marked)
    # Narrow boxes, but never narrower than the longest word at the minimum size (full-width: 1 em each).
    for suffix in SUFFIXES:
        words = marked.split("|")
        longest = max(max(len(word) for word in words), len(words[-1] + suffix))  # 御中 stays with its word
        longest_word_mm = longest * 9 * 25.4 / 72 + 0.5
        for width_mm in sorted({max(w, longest_word_mm) for w in (22, 30, 40, 55)}):
            fitted = fit_text(name + suffix, _field(width_mm), chain)
            lines = [line.text for line in fitted.lines]
            assert "".join(lines).replace(" ", "") == (name + suffix).replace(" ", "")
            position = 0
            for line in lines[:-1]:
                position += len(line.replace(" ", ""))
                assert position in allowed, f"{name + suffix!r} at {width_mm} mm broke inside a word: {lines}"
            assert not fitted.broke_inside_word, lines
            assert lines[-1].strip() not in ("御中", "様"), f"御中 alone on a line: {lines}"


def test_person_line_keeps_sama_with_the_name(chain: FontChain) -> None:
    fitted = fit_text("株式会社ヨーロッパ・サービス\n営業本部 部長 髙橋 一郎 様", _field(26), chain)
    lines = [line.text for line in fitted.lines]
    assert all(line.strip() != "様" for line in lines), lines
    assert any(line.endswith("一郎 様") for line in lines), lines


def test_kinsoku_is_kept_at_phrase_breaks(chain: FontChain) -> None:
    fitted = fit_text("株式会社ヨーロッパ・サービス（ドイツ）", _field(22), chain)
    for line in fitted.lines[1:]:
        assert line.text[0] not in "・ー）」、。"
    for line in fitted.lines[:-1]:
        assert line.text[-1] not in "（「"


def test_breaking_between_characters_is_the_noted_last_resort(chain: FontChain) -> None:
    """A word wider than the box at the minimum size still fits, but the fitting says so."""
    fitted = fit_text("ファーストリテイリングインターナショナル", _field(20), chain)
    assert fitted.broke_inside_word
    assert all(line.text[:1] not in "ーッィ" for line in fitted.lines)


def test_phrase_breaks_are_preferred_over_shrinking(chain: FontChain) -> None:
    fitted = fit_text("株式会社ヨーロッパ・ジャパン・トレーディング・パートナーズ", _field(40), chain)
    assert fitted.size_pt == 12 and len(fitted.lines) > 1 and not fitted.broke_inside_word


LONG_KATAKANA_WORD = "ラインハーフェンノルトマルクシュタットヴィルトシャフツフェルデルングスゲゼルシャフト"


def test_check_notes_a_break_inside_a_word_and_proof_shows_the_worst(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "list.csv"
    path.write_text(
        "id;company;contact;language\n"
        f"J1;{LONG_KATAKANA_WORD};;ja\n"
        "J2;株式会社ヨーロッパ・ジャパン・トレーディング・パートナーズ;;ja\n",
        encoding="utf-8",
    )
    result = run_cli("check", str(path))
    notes = [line for line in result.output.splitlines() if "inside a word" in line]
    assert len(notes) == 1 and "J1" in notes[0], result.output
    from greetcard.batch import Inputs, prepare
    from greetcard.proof import worst_cases

    cases = worst_cases(prepare(Inputs(recipients=path)).cards)
    worst = [case for case in cases if any(r.startswith("worst Japanese break") for r in case.reasons)]
    assert [case.card.recipient.id for case in worst] == ["J1"]
