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
