"""{token} links: stable, unique, unguessable without the secret, and the secret never written."""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from greetcard.tokens import TokenSigner

from .conftest import SAMPLE, read_manifest, write_csv

SECRET = "s3cr3t-Ks8Qm2-vP7xRw4-Lq9zT1-Nb6yH5"
URL = "https://www.neujahrsgross-japan.de/v/{token}"


def test_tokens_are_stable_url_safe_and_at_least_48_bits() -> None:
    signer = TokenSigner(SECRET.encode())
    token = signer.token("JP001")
    assert token == TokenSigner(SECRET.encode()).token("JP001")
    assert len(token) == 11 and token.isascii() and token.isalnum()
    assert 62**11 >= 2**64 >= 2**48
    assert SECRET not in repr(signer)


def test_tokens_are_unique_over_100000_ids() -> None:
    signer = TokenSigner(SECRET.encode(), "neujahr-2027")
    tokens = {signer.token(f"K{number:06d}") for number in range(100_000)}
    assert len(tokens) == 100_000


def test_tokens_cannot_be_made_without_the_secret() -> None:
    right = TokenSigner(SECRET.encode())
    # A guesser with another secret, or with the right one but another campaign, gets other tokens.
    for other in (TokenSigner(SECRET.encode()[:-1] + b"x"), TokenSigner(SECRET.encode(), "2028")):
        assert all(right.token(f"JP{n:03d}") != other.token(f"JP{n:03d}") for n in range(1, 200))
    # Neighbouring ids give unrelated tokens: nothing to walk.
    first, second = right.token("JP001"), right.token("JP002")
    assert sum(a == b for a, b in zip(first, second, strict=True)) <= 3


def _all_bytes(path: Path) -> Iterator[bytes]:
    """A file's bytes, and for a PDF every Flate stream decompressed."""
    data = path.read_bytes()
    yield data
    if data.startswith(b"%PDF"):
        for match in re.finditer(rb"stream\r?\n", data):
            try:
                yield zlib.decompressobj().decompress(data[match.end() : match.end() + 5_000_000])
            except zlib.error:
                continue


def test_secret_never_appears_in_any_output_file(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    out = tmp_path / "cards"
    first = run_cli(
        "render", SAMPLE, "--out", out, "--url", URL, "--secret-file", secret_file, "--batch", "p.pdf"
    )
    assert first.exit_code == 0, first.output
    links = run_cli("links", SAMPLE, "--url", URL, "--secret-file", secret_file, "-o", out / "links.csv")
    assert links.exit_code == 0, links.output
    mail = tmp_path / "mail.csv"
    monkeypatch.setenv("GREETCARD_TOKEN_SECRET", SECRET)  # the environment variable works the same
    screen = run_cli(
        "render",
        SAMPLE,
        "--out",
        tmp_path / "mail",
        "--url",
        URL,
        "--profile",
        "screen",
        "--mail-merge",
        mail,
    )
    assert screen.exit_code == 0, screen.output
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != secret_file]
    assert len(files) > 60
    for path in files:
        for data in _all_bytes(path):
            assert SECRET.encode() not in data, path
    for output in (first.output, links.output, screen.output):
        assert SECRET not in output
    # Stable across reruns and the same in the links list, the manifest and the e-mail cards.
    manifest = {row["id"]: row["link"] for row in read_manifest(out)}
    exported = list(csv.DictReader(io.StringIO((out / "links.csv").read_text(encoding="utf-8-sig"))))
    assert {row["id"]: row["link"] for row in exported} == manifest
    assert {row["id"]: row["link"] for row in read_manifest(tmp_path / "mail")} == manifest
    assert all(row["link"] == URL.replace("{token}", row["token"]) for row in exported)
    assert len(set(manifest.values())) == 30


def test_token_link_without_a_secret_says_how_to_give_one(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GREETCARD_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("GREETCARD_TOKEN_SECRET_FILE", raising=False)
    result = run_cli("render", SAMPLE, "--out", tmp_path / "c", "--url", URL)
    assert result.exit_code == 3  # nothing written
    assert "uses {token}, which needs a secret: pass --secret-file FILE" in result.stderr
    short = tmp_path / "short.txt"
    short.write_text("1234", encoding="utf-8")
    result = run_cli("links", SAMPLE, "--url", URL, "--secret-file", short)
    assert result.exit_code == 1 and "at least 16 random bytes" in result.stderr


def test_links_csv_is_formula_safe_and_mail_merge_finds_the_email_column(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREETCARD_TOKEN_SECRET", SECRET)
    listed = write_csv(
        tmp_path / "list.csv",
        [["A1", '=HYPERLINK("http://x")', "info@alpha.example"], ["B2", "Beta GmbH", ""]],
        header=["id", "company", "E-Mail"],
    )
    result = run_cli("links", listed, "--url", URL, "-o", tmp_path / "links.csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((tmp_path / "links.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["id", "company", "token", "link"] and rows[1][1] == '\'=HYPERLINK("http://x")'
    mail = tmp_path / "mail.csv"
    result = run_cli(
        "render",
        listed,
        "--out",
        tmp_path / "out",
        "--url",
        URL,
        "--profile",
        "screen",
        "--mail-merge",
        mail,
        "--subject",
        "Neujahrsgruß für {company}",
    )
    assert result.exit_code == 0, result.output
    merged = list(csv.DictReader(io.StringIO(mail.read_text(encoding="utf-8-sig"))))
    assert [row["email"] for row in merged] == ["info@alpha.example", ""]
    assert merged[1]["subject"] == "Neujahrsgruß für Beta GmbH"
    assert all(Path(row["pdf"]).is_file() for row in merged)
    refused = run_cli("render", listed, "--out", tmp_path / "p", "--url", URL, "--mail-merge", mail)
    assert refused.exit_code == 2 and "--profile screen" in refused.stderr
