"""``greetcard serve``: a local web page over the same library functions as the CLI.

One page in the order the work happens (list, template, proof, print), served
on 127.0.0.1 behind a per-start token; see ``server.run_server``.
"""

from __future__ import annotations

from .server import ServeOptions, run_server
from .workspace import LinkChoice

__all__ = ["LinkChoice", "ServeOptions", "run_server"]
