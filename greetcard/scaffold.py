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
    """Copy ``source`` (template file and artwork; fonts stay shared) into a new folder ``target``."""
    load_template(source)  # never hand out a broken starting point
    if target.exists() and any(target.iterdir()):
        raise TemplateError(f"{target}: the folder exists and is not empty — choose a new folder")
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir()):
        if item.is_file() and item.suffix.lower() != ".ttf":
            shutil.copy2(item, target / item.name)
    return target / TEMPLATE_FILE
