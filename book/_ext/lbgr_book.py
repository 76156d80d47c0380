"""Local Sphinx extension of the book: search words, and no Thebe scripts.

**Search.** The Chinese search index (``html_search_language: zh``) splits text with jieba. Its
general dictionary lacks words of this domain, so ``python -m lbgr.book`` writes
``_generated/search_words.txt`` (from the codebooks and the package) and this extension hands it to
the search index as jieba's user dictionary (``html_search_options['dict']``).

**Thebe.** Jupyter Book 1 always loads sphinx-thebe.
The book has no launch buttons (``launch_buttons.thebe: false``), yet sphinx-thebe 0.3 adds its
inline configuration script, and under Sphinx 7 it can add it twice, which the browser reports as
``Uncaught SyntaxError: Identifier 'THEBE_JS_URL' has already been declared``. The pages need no
Thebe at all, so its scripts and stylesheet are removed from every page, and any other script that
appears twice is kept once.
"""

from __future__ import annotations

from pathlib import Path


def _search_words(app, config) -> None:
    words = Path(app.confdir) / "_generated" / "search_words.txt"
    if words.exists():
        config.html_search_options = {**(config.html_search_options or {}), "dict": str(words)}


def _key(asset) -> tuple:
    attrs = getattr(asset, "attributes", {}) or {}
    return (getattr(asset, "filename", None) or str(asset), attrs.get("body"))


def _is_thebe(asset) -> bool:
    attrs = getattr(asset, "attributes", {}) or {}
    name = str(getattr(asset, "filename", None) or asset)
    return "thebe" in name.lower() or "THEBE_JS_URL" in str(attrs.get("body", ""))


def _clean(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if not assets:
            continue
        seen, kept = set(), []
        for asset in assets:
            if _is_thebe(asset) or _key(asset) in seen:
                continue
            seen.add(_key(asset))
            kept.append(asset)
        context[key] = kept


def setup(app):
    app.connect("config-inited", _search_words)
    app.connect("html-page-context", _clean, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
