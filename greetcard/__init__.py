"""greetcard: print-ready greeting-card PDFs with a scannable QR code, from a list and a template."""

from .batch import RenderOptions, RenderReport, render_batch
from .errors import GreetcardError

__all__ = ["GreetcardError", "RenderOptions", "RenderReport", "render_batch"]
__version__ = "0.1.0"
