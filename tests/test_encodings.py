"""Lists in every encoding Excel writes are read right, or refused with the --encoding to pass.

Never a guess that turns names into mojibake: a short cp932 list of kanji-only
names used to be read as Mac Roman while ``check`` said "No findings".
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greetcard.errors import RecipientsError
from greetcard.recipients import read_recipients

KANJI_ONLY = [
    "三菱商事",
    "日立製作所",
    "東芝",
    "住友商事",
    "髙橋製作所",
    "大和運輸",
    "三井物産",
    "東京海上",
    "中部電力",
]
KANA = ["トヨタ自動車", "ソニーグループ", "さくら銀行", "キヤノン", "ヨーロッパ・サービス", "みずほ銀行"]
HALF_WIDTH_KANA = ["ｶﾌﾞｼｷｶﾞｲｼｬ", "ﾐﾅﾄ", "ｻｸﾗﾃﾞﾝｼ", "ﾄｳｷｮｳ"]
LATIN_JAPANESE = ["ABC商事", "NEC東京", "TDK株式会社", "KDDI総研"]
GERMAN = [
    "Bäckerei Müller",
    "Köln GmbH",
    "Süßwaren Groß",
    "Ärger AG",
    "Straße 5",
    "Café Rémy",
    "Öl & Gas",
    "Übersee Handel",
    "Maßwerk KG",
    "Jürgen Schäfer",
]
ASCII = ["Alpha GmbH", "Beta AG", "Gamma Ltd"]

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp932", "cp1252", "mac_roman"]
DELIMITERS = [",", ";", "\t"]

#: Made-up German-looking names: any mix of letters, umlauts, ß and spaces, not only the samples above.
german_words = st.text(alphabet="abcdeghiklmnorstuzäöüßÄÖÜABGKMS &-.", min_size=2, max_size=24).filter(
    lambda s: s.strip() == s and any(c.isalpha() for c in s)
)
#: Made-up Japanese names: kanji and kana in any order, or half-width kana (old systems write
#: whole names in half-width; they do not mix it into kanji).
japanese_words = st.one_of(
    st.text(alphabet="株式会社商事電機東京髙橋﨑ミナトサクラヨーロッパ・あいう", min_size=1, max_size=16),
    st.text(alphabet="ｶﾌﾞｼｷﾐﾅﾄｻｸﾗﾃﾞﾝ", min_size=1, max_size=12),
)

names_lists = st.one_of(
    st.lists(german_words, min_size=1, max_size=4),
    st.lists(japanese_words, min_size=1, max_size=4),
    st.lists(st.sampled_from(KANJI_ONLY), min_size=1, max_size=4),
    st.lists(st.sampled_from(KANA), min_size=1, max_size=4),
    st.lists(st.sampled_from(HALF_WIDTH_KANA), min_size=1, max_size=4),
    st.lists(st.sampled_from(GERMAN), min_size=1, max_size=4),
    st.lists(
        st.sampled_from(KANJI_ONLY + KANA + HALF_WIDTH_KANA + LATIN_JAPANESE + ASCII), min_size=1, max_size=5
    ),
    st.lists(st.sampled_from(GERMAN + ASCII + KANJI_ONLY + KANA), min_size=1, max_size=5),
)


def _write(folder: Path, names: list[str], encoding: str, delimiter: str) -> Path | None:
    text = f"id{delimiter}company\r\n" + "".join(f"{i}{delimiter}{n}\r\n" for i, n in enumerate(names, 1))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return None  # e.g. umlauts in cp932: Excel could not have written this file either
    path = folder / "list.csv"
    path.write_bytes(data)
    return path


@settings(max_examples=int(os.environ.get("GREETCARD_FUZZ_EXAMPLES", "300")), deadline=None)
@given(names=names_lists, encoding=st.sampled_from(ENCODINGS), delimiter=st.sampled_from(DELIMITERS))
def test_generated_lists_are_read_right_or_refused_in_every_encoding(
    names: list[str], encoding: str, delimiter: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), names, encoding, delimiter)
        if path is None:
            return
        if encoding == "mac_roman":
            # Mac Roman is read when asked for (auto-detection of it: the test below). Without being
            # asked, bytes such as "äB" are also the common kanji "械" and are read as cp932 by design.
            told = read_recipients(path, encoding="mac_roman")
            assert [r.company for r in told.recipients] == names
            return
        try:
            result = read_recipients(path)
        except RecipientsError as err:
            assert "--encoding" in str(err), str(err)  # refused, and told how to fix it
            return
        assert [r.company for r in result.recipients] == names, result.encoding
        assert result.delimiter == delimiter
        # Told which encoding it was: the same again gives the same names.
        again = read_recipients(path, encoding=result.encoding)
        assert [r.company for r in again.recipients] == names


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(st.sampled_from(GERMAN + ASCII), min_size=1, max_size=5),
    delimiter=st.sampled_from(DELIMITERS),
)
def test_mac_roman_german_lists_are_read_right_or_refused(names: list[str], delimiter: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), names, "mac_roman", delimiter)
        assert path is not None
        try:
            result = read_recipients(path)
        except RecipientsError as err:
            assert "--encoding" in str(err)
            return
        assert [r.company for r in result.recipients] == names, result.encoding


@pytest.mark.parametrize(
    "names",
    [
        ["三菱商事", "日立製作所", "東芝"],
        ["ABC商事"],
        ["NEC東京"],
        ["ｶﾌﾞｼｷｶﾞｲｼｬ"],
        ["東芝"],
        KANA,
    ],
)
def test_cp932_kanji_only_list_is_not_read_as_mac_roman(tmp_path: Path, names: list[str]) -> None:
    path = _write(tmp_path, names, "cp932", ",")
    assert path is not None
    result = read_recipients(path)
    assert result.encoding == "cp932"
    assert [r.company for r in result.recipients] == names


@pytest.mark.parametrize("names", [GERMAN, ["Straße 5"], ["Ärger AG"], ["Café Rémy"]])
def test_cp1252_german_lists_are_read_as_cp1252(tmp_path: Path, names: list[str]) -> None:
    path = _write(tmp_path, names, "cp1252", ";")
    assert path is not None
    result = read_recipients(path)
    assert (result.encoding, [r.company for r in result.recipients]) == ("cp1252", names)


def test_mac_roman_only_on_request_or_as_last_resort(tmp_path: Path) -> None:
    path = _write(tmp_path, ["Bäckerei Müller", "Köln GmbH"], "mac_roman", ";")
    assert path is not None
    try:
        result = read_recipients(path)
    except RecipientsError as err:
        assert "--encoding" in str(err)
    else:
        assert [r.company for r in result.recipients] == ["Bäckerei Müller", "Köln GmbH"]
    told = read_recipients(path, encoding="mac_roman")
    assert [r.company for r in told.recipients] == ["Bäckerei Müller", "Köln GmbH"]


def test_ambiguous_bytes_are_refused_showing_names_in_each_reading(tmp_path: Path) -> None:
    # cp932 "船 GmbH" is also cp1252 "‘D GmbH": both read plausibly, so neither is guessed.
    path = tmp_path / "list.csv"
    path.write_bytes("id;company\n1;船 GmbH\n".encode("cp932"))
    with pytest.raises(RecipientsError) as caught:
        read_recipients(path)
    message = str(caught.value)
    assert "--encoding cp932 or --encoding cp1252" in message
    assert "as cp932: '1;船 GmbH'" in message and "as cp1252: '1;‘D GmbH'" in message


def test_cp932_half_width_kana_that_is_also_valid_utf8_is_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("id;company\n1;ﾅｶﾞｻｷ機械\n".encode("cp932"))
    try:
        result = read_recipients(path)
    except RecipientsError as err:
        assert "--encoding" in str(err)
    else:
        assert [r.company for r in result.recipients] == ["ﾅｶﾞｻｷ機械"]


def test_render_and_check_say_which_encoding_and_delimiter(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, ["三菱商事", "東芝"], "cp932", ",")
    result = run_cli("check", str(path))
    assert "list read as cp932, ','-separated" in result.output
