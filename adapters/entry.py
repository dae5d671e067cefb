"""The `mashbot` command: the CLI, imported with the cyclic garbage collector paused.

Importing the service makes tens of thousands of objects that live as long as the process
(modules, classes, tables, validators). While they are being made the collector would scan
them again and again and free nothing; here that was about a tenth of `mashbot serve`'s
start-up. They are moved to the permanent generation (gc.freeze) before collection resumes,
so later collections skip them as well.
"""

from __future__ import annotations

import gc


def main() -> int:
    gc.disable()
    try:
        from adapters.cli import main as cli
    finally:
        gc.freeze()
        gc.enable()
    return cli()
