"""``greetcard template new``: a new template folder to edit, copied from a working one."""

from __future__ import annotations

import shutil
from pathlib import Path

from .assets import bundled_template, bundled_templates
from .errors import TemplateError
from .template import TEMPLATE_FILE, load_template


def source_template(name_or_path: str | None) -> Path:
    """A bundled template by name (``nengajo``, ``lang``) or a template folder by path."""
    if name_or_path is None:
        return bundled_template()
    path = Path(name_or_path)
    if (path / TEMPLATE_FILE).is_file():
        return path
    bundled = {folder.name: folder for folder in bundled_templates()}
    if name_or_path in bundled:
        return bundled[name_or_path]
    raise TemplateError(
        f"no template {name_or_path!r} — give a template folder or one of: {', '.join(bundled)}"
    )


def new_template(target: Path, source: Path) -> Path:
    """Copy the template folder ``source`` (with its artwork and own fonts) into a new folder."""
    load_template(source)  # never hand out a broken starting point
    _refuse_links(source)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise TemplateError(f"{target}: exists and is not an empty folder — choose a new folder")
    try:
        shutil.copytree(
            source,
            target,
            symlinks=True,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    except OSError as err:
        raise TemplateError(f"{target}: cannot create the template here ({err})") from None
    return target / TEMPLATE_FILE


def _refuse_links(source: Path) -> None:
    """A template from outside may hold links to other files on the disk: never copy their targets."""
    import os

    for folder, subfolders, files in os.walk(source, followlinks=False):
        for name in (*subfolders, *files):
            path = Path(folder) / name
            if path.is_symlink():
                raise TemplateError(
                    f"{path}: is a symbolic link (to {os.readlink(path)}) — a template is copied only with "
                    "its own files; replace the link by the file itself, or remove it"
                )
