"""Where the bundled template, fonts and colour profiles live.

In a checkout they are in ``assets/`` beside the package; a wheel carries the
same folder as ``greetcard/_assets`` (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_TEMPLATE = "nengajo"


def assets_folder() -> Path:
    """The folder holding templates/, fonts/ and icc/."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_assets", package.parent / "assets"):
        if (candidate / "templates").is_dir():
            return candidate
    from .errors import TemplateError

    raise TemplateError(
        f"greetcard's bundled templates and fonts are missing (looked in {package / '_assets'} and "
        f"{package.parent / 'assets'}) — reinstall greetcard"
    )


def bundled_template(name: str = DEFAULT_TEMPLATE) -> Path:
    """The folder of a template shipped with greetcard."""
    return assets_folder() / "templates" / name


def bundled_templates() -> list[Path]:
    """Every template folder shipped with greetcard, default first."""
    folders = sorted(p for p in (assets_folder() / "templates").iterdir() if (p / "template.toml").is_file())
    return sorted(folders, key=lambda p: p.name != DEFAULT_TEMPLATE)


def icc_profile(name: str) -> Path:
    """A bundled ICC profile file by name."""
    return assets_folder() / "icc" / name


def template_folder(name_or_path: Path) -> Path:
    """A template folder by path, or a bundled template by name (``--template lang``).

    A folder of that name in the current directory wins over the bundled one.
    """
    if (name_or_path / "template.toml").is_file() or name_or_path.is_file():
        return name_or_path
    if len(name_or_path.parts) == 1:
        bundled = assets_folder() / "templates" / name_or_path.name
        if (bundled / "template.toml").is_file():
            return bundled
    return name_or_path


SAMPLE_LIST = "recipients.csv"


def sample_list() -> Path:
    """The sample recipient list: inside an installed package, or at the checkout's root."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_assets" / "samples" / SAMPLE_LIST, package.parent / SAMPLE_LIST):
        if candidate.is_file():
            return candidate
    from .errors import TemplateError

    raise TemplateError(f"greetcard's sample list is missing (looked beside {package}) — reinstall greetcard")
