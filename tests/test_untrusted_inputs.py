"""Lists and templates from outside: nothing read from elsewhere, no hang, no traceback.

Each test pins one defect found by trying greetcard as a hostile supplier would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from greetcard.assets import bundled_template
from greetcard.errors import GreetcardError, TemplateError
from greetcard.template import load_template

from .conftest import ROOT, SAMPLE, write_csv


@pytest.fixture
def template_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "tpl"
    shutil.copytree(bundled_template(), folder)
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    file = folder / "template.toml"
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_greetcard(*args: str, env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """The real command in a separate process (for consoles, tracebacks and environment limits)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "greetcard", *args], capture_output=True, env=environment, timeout=120, **kwargs
    )


# --- template confinement -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["/etc/hostname", "../secret.png", "sub/../../secret.png", "link.png"],
    ids=["absolute", "parent", "parent-in-the-middle", "symlink"],
)
def test_artwork_outside_the_template_folder_is_refused(template_copy: Path, name: str) -> None:
    secret = template_copy.parent / "secret.png"
    Image.new("RGB", (106, 154), (255, 0, 0)).save(secret)
    (template_copy / "sub").mkdir()
    (template_copy / "link.png").symlink_to(secret)
    edit(template_copy, 'artwork = "artwork.pdf"', f'artwork = "{name}"')
    with pytest.raises(TemplateError, match=r"outside the template folder|absolute path") as caught:
        load_template(template_copy)
    assert "template.toml:" in str(caught.value)


def test_a_symlink_that_stays_inside_the_template_folder_is_fine(template_copy: Path) -> None:
    (template_copy / "art").mkdir()
    (template_copy / "art" / "front.pdf").symlink_to(template_copy / "artwork.pdf")
    edit(template_copy, 'artwork = "artwork.pdf"', 'artwork = "art/front.pdf"')
    assert load_template(template_copy).pages[0].artwork == (template_copy / "artwork.pdf").resolve()


def test_font_symlinked_from_outside_is_refused(template_copy: Path, tmp_path: Path) -> None:
    from greetcard.assets import assets_folder

    outside = tmp_path / "private.ttf"
    shutil.copy(assets_folder() / "fonts" / "NotoSansJP-Bold.ttf", outside)
    (template_copy / "Mine.ttf").symlink_to(outside)
    edit(template_copy, 'file = "NotoSansJP-Bold.ttf"', 'file = "Mine.ttf"')
    with pytest.raises(TemplateError, match=r"template\.toml:\d+: fonts\.sans-bold\.file: .*outside"):
        load_template(template_copy)
    edit(template_copy, 'file = "Mine.ttf"', 'file = "../private.ttf"')
    with pytest.raises(TemplateError, match="outside the template folder"):
        load_template(template_copy)


@pytest.mark.parametrize(
    "name, message",
    [("art\\u0000.pdf", "control character"), ("a" * 5000 + ".pdf", "file name is 5,004 characters")],
    ids=["nul", "over-long"],
)
def test_nul_or_over_long_artwork_names_are_clear_errors(template_copy: Path, name: str, message: str) -> None:
    edit(template_copy, 'artwork = "artwork.pdf"', f'artwork = "{name}"')
    with pytest.raises(TemplateError, match=message):
        load_template(template_copy)


def test_template_new_refuses_symlinks_instead_of_copying_their_targets(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    source = tmp_path / "agency"
    shutil.copytree(bundled_template(), source)
    private = tmp_path / "private"
    private.mkdir()
    (private / "salaries.txt").write_text("secret", encoding="utf-8")
    (source / "extras").symlink_to(private)
    result = run_cli("template", "new", tmp_path / "copy", "--from", source)
    assert result.exit_code == 1
    assert "extras" in result.stderr and "symbolic link" in result.stderr
    assert not (tmp_path / "copy" / "extras").exists()
    assert not list((tmp_path / "copy").rglob("salaries.txt")) if (tmp_path / "copy").exists() else True
