"""``greetcard template new``: a new template folder to edit, copied from a working one."""

from __future__ import annotations

import shutil
from pathlib import Path

from .assets import SAMPLE_LIST, bundled_template, bundled_templates, sample_list
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


def write_sample_list(path: Path) -> Path:
    """Write the sample list, so every example in the help works outside a checkout."""
    if path.is_dir():
        path = path / SAMPLE_LIST
    if path.exists():
        raise TemplateError(
            f"{path}: exists already — give another file name, e.g. greetcard sample sample.csv"
        )
    try:
        path.write_bytes(sample_list().read_bytes())
    except OSError as err:
        raise TemplateError(f"{path}: cannot write the sample list here ({err.strerror or err})") from None
    return path


def copy_sample_list(folder: Path) -> Path:
    """The sample list beside a new template, unless the folder already has one."""
    target = folder / SAMPLE_LIST
    if not target.exists():
        write_sample_list(target)
    return target


def describe_bundled_templates() -> list[str]:
    """One line per bundled template: name, card size, pages and title."""
    lines = []
    for folder in bundled_templates():
        template = load_template(folder)
        pages = len(template.pages)
        lines.append(
            f"{folder.name:<10} {template.width_mm:g} × {template.height_mm:g} mm, "
            f"{pages} page{'s' if pages != 1 else ''}  {template.name}"
        )
    return lines


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
