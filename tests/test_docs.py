"""The README and docs/ pages: every relative link reaches a file (and a heading, when it names
one), and docs/cli.md lists every option that the config dataclasses give the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wfncodesign.methods import METHODS
from wfncodesign.models import Recipe
from wfncodesign.settings import _fields

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# [text](target) and ![alt](target), outside code spans and fenced blocks.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code (links there are not links)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of the page's headings: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def _relative_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(_prose(page.read_text(encoding="utf-8")))
            if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]  # http:, https:, mailto: ... are not files


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_points_to_an_existing_file(page):
    assert page.is_file()
    for target in _relative_links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: link {target!r} points to {dest}, which does not exist"
        if anchor and dest.suffix == ".md":
            assert anchor in _anchors(dest), f"{page.name}: link {target!r}: no heading #{anchor} in {dest.name}"


def test_cli_page_lists_every_method_option_and_train_option():
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    options = {"--" + f.name.replace("_", "-") for cls in (*(m.Settings for m in METHODS.values()), Recipe)
               for f, _ in _fields(cls)}
    missing = sorted(o for o in options if f"`{o}" not in text)
    assert not missing, f"docs/cli.md does not list {missing}; regenerate its method tables"
