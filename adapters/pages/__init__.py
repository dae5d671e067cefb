"""What the local console and the /web page share: one stylesheet and script (static/) and the
form control every Field is drawn with (templates/_control.html), so the two pages cannot drift
apart in how a question is asked."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, PackageLoader

STATIC = Path(__file__).parent / "static"


def loader(package: str) -> ChoiceLoader:
    """A page's own templates first, then the shared ones."""
    return ChoiceLoader([PackageLoader(package, "templates"), PackageLoader("adapters.pages", "templates")])
