"""Shortcuts for finding the matches of codebook patterns, read off the patterns' structure.

A pattern's parse tells which characters (or fixed prefixes) its matches can begin with, so that
a stage can skip texts, or places in a text, where the pattern cannot match, or hand the engine
an equivalent pattern that it searches faster. Every shortcut here gives exactly the matches
(or the candidates) the pattern itself gives; where a pattern's structure is not understood, it
gives none and the caller tries the pattern everywhere.

The parse comes from the standard library's own regex parser and compiler (``re._parser``,
``re._compiler``, ``re._constants``), which are private: this module is the one place that reads
them, so that a change in a later Python is met here. Used by ``measures`` and ``indicators``
(first characters), ``compliance`` (``match_spans``) and ``themes`` (``pattern_prefixes``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from re import _compiler as _sre_compiler
from re import _constants as _sre
from re import _parser as _sre_parse


def first_chars(pattern: re.Pattern) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can begin with, or None when that is not known
    (a match may be empty, begin with any character, or the pattern ignores case).

    A text that holds none of them cannot match, which spares trying the pattern on it.
    """
    if pattern.flags & re.IGNORECASE or not isinstance(pattern.pattern, str):
        return None
    chars, can_be_empty = _first_chars(_sre_parse.parse(pattern.pattern, pattern.flags))
    return None if chars is None or can_be_empty else frozenset(chars)


def _first_chars(items) -> tuple[set[str] | None, bool]:
    """(first characters or None for any, whether it can match empty) of a parsed sequence."""
    out: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            chars, can_be_empty = {chr(av)}, False
        elif op is _sre.IN:
            chars, can_be_empty = set(), False
            for kind, value in av:
                if kind is _sre.LITERAL:
                    chars.add(chr(value))
                elif kind is _sre.RANGE and value[1] - value[0] < 256:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                else:  # a negated set, a category (\d, \w …) or a wide range
                    return None, False
        elif op is _sre.BRANCH:
            chars, can_be_empty = set(), False
            for alternative in av[1]:
                c, e = _first_chars(alternative)
                if c is None:
                    return None, False
                chars |= c
                can_be_empty = can_be_empty or e
        elif op is _sre.SUBPATTERN:
            if av[1] & re.IGNORECASE:
                return None, False
            chars, can_be_empty = _first_chars(av[3])
        elif op is _sre.ATOMIC_GROUP:
            chars, can_be_empty = _first_chars(av)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            chars, can_be_empty = _first_chars(av[2])
            can_be_empty = can_be_empty or av[0] == 0
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT):
            chars, can_be_empty = set(), True  # takes no character
        else:  # any character, a back-reference, …
            return None, False
        if chars is None:
            return None, False
        out |= chars
        if not can_be_empty:
            return out, False
    return out, True


_CATEGORY_CLASS = {_sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D", _sre.CATEGORY_SPACE: r"\s",
                   _sre.CATEGORY_NOT_SPACE: r"\S", _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_NOT_WORD: r"\W"}


def _first_items(items) -> tuple[list, bool] | None:
    """(class items one of which every match of the parsed sequence ``items`` starts with, whether
    the sequence can match the empty string), or None when that cannot be told."""
    first: list = []
    for op, av in items:
        if op is _sre.LITERAL:
            return first + [(op, av)], False
        if op is _sre.IN:
            if any(o is _sre.NEGATE for o, _ in av):
                return None  # a negated class could not be merged with another
            return first + list(av), False
        if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
            continue  # consumes nothing: the match starts with what follows
        if op is _sre.SUBPATTERN:
            if av[1] or av[2]:
                return None  # local flags (say, ignore case) would change the characters
            inner = _first_items(av[3].data)
        elif op is _sre.ATOMIC_GROUP:
            inner = _first_items(av.data)
        elif op is _sre.BRANCH:
            alts = [_first_items(alt.data) for alt in av[1]]
            inner = None if None in alts else ([i for a, _ in alts for i in a], any(n for _, n in alts))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            inner = _first_items(av[2].data)
            inner = inner and (inner[0], inner[1] or av[0] == 0)
        else:
            return None
        if inner is None:
            return None
        first += inner[0]
        if not inner[1]:
            return first, False
    return first, True


def _class(items: list) -> str | None:
    """The items of ``_first_items`` written as a character class, or None if one is unfamiliar."""
    parts = []
    for op, av in items:
        if op is _sre.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is _sre.RANGE:
            parts.append(re.escape(chr(av[0])) + "-" + re.escape(chr(av[1])))
        elif op is _sre.CATEGORY and av in _CATEGORY_CLASS:
            parts.append(_CATEGORY_CLASS[av])
        else:
            return None
    return "[" + "".join(parts) + "]"


def _skipper(regex: re.Pattern) -> re.Pattern | None:
    """A regex that finds the next place where ``regex`` matches, in far fewer steps, or None.

    The engine looks for a pattern that opens with a look-behind or a repeat (``\\d+``) by trying
    it at every character. Led by a class of the characters its matches can start with, the
    search skips every other character at once; the look-behind, from one character back, then
    tries ``regex`` itself there (in a look-ahead, so it consumes nothing and numbers no group).
    Only a pattern that cannot match the empty string qualifies: every match then begins with one
    of those characters, and ``finditer`` resumes where the last match ended.
    """
    parsed = _parsed(regex)  # no verbose comments, no empty matches
    found = _first_items(parsed.data) if parsed is not None else None
    if found is None or found[1] or not found[0]:
        return None
    first = _class(found[0])
    try:
        return re.compile(f"{first}(?<=(?={regex.pattern})(?s:.))", regex.flags) if first else None
    except re.error:
        return None


def match_spans(regex: re.Pattern, text: str) -> list[tuple[int, int]]:
    """The spans of ``regex.finditer(text)``, found the fastest way ``_finder`` knows of."""
    how, finder, skip = _finder(regex)
    if how == "finditer":
        return [m.span() for m in finder.finditer(text)]
    # ``finder`` lands ``skip`` characters before where a match begins, and the next search resumes
    # where that match ends (less ``skip``: what the finder reads first may belong to the match
    # before), as in ``finditer``.
    search, match = finder.search, regex.match
    spans = []
    pos = 0
    while (hop := search(text, pos)) is not None:
        at = hop.start() + skip
        end = match(text, at).end()
        spans.append((at, end))
        pos = max(end - skip, 0)
    return spans


@lru_cache(maxsize=256)
def _finder(regex: re.Pattern) -> tuple[str, re.Pattern, int]:
    """How ``match_spans`` finds the matches of ``regex``, from the fastest way that applies:

    - ("finditer", an equivalent regex that opens with a character class, 0): a pattern that
      opens with a repeat of one character (``\\d+``) is tried by the engine at every character,
      but written with one copy of that character first (``\\d\\d*``, ``_class_led``) it is tried
      only where that character is, found by the engine's fast scan for a class;
    - ("search", a regex that finds the text of a look-behind the pattern opens with, its length):
      ``(?<=第)\\d+`` can match only right after a 第, and a fixed text is what the engine finds
      fastest of all;
    - ("search", ``_skipper(regex)``, 0);
    - ("finditer", ``regex`` itself, 0).
    """
    led = _class_led(regex)
    if led is not None:
        return "finditer", led, 0
    behind = _literal_behind(regex)
    if behind:
        try:
            return "search", re.compile(re.escape(behind) + f"(?={regex.pattern})", regex.flags), len(behind)
        except re.error:  # say, inline flags that must stay at the start
            pass
    skipper = _skipper(regex)
    if skipper is not None:
        return "search", skipper, 0
    return "finditer", regex, 0


def _parsed(regex: re.Pattern):
    """The parse of ``regex`` if it is one ``match_spans`` may rewrite or skip through, else None:
    no verbose comments, and no empty matches (they follow rules of their own in ``finditer``)."""
    if regex.flags & re.VERBOSE:
        return None
    try:
        parsed = _sre_parse.parse(regex.pattern, regex.flags)
        return parsed if parsed.getwidth()[0] > 0 else None
    except (re.error, RecursionError, TypeError, ValueError):
        return None


def _class_led(regex: re.Pattern) -> re.Pattern | None:
    """``regex`` with a leading repeat of one character, X{m,n} (m ≥ 1), written X X{m-1,n-1}: the
    same matches, found faster (see ``_finder``); None if it does not open so."""
    parsed = _parsed(regex)
    if parsed is None or not parsed.data or regex.flags & re.IGNORECASE:
        return None
    op, av = parsed.data[0]
    if op not in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or av[0] < 1 or len(av[2].data) != 1:
        return None
    item = av[2].data[0]
    if item[0] not in (_sre.IN, _sre.LITERAL) or av[2].getwidth() != (1, 1):
        return None
    low, high = av[0] - 1, av[1] if av[1] == _sre.MAXREPEAT else av[1] - 1
    parsed.data[0:1] = [item, (op, (low, high, av[2]))]
    try:
        return _sre_compiler.compile(parsed, regex.flags)
    except Exception:  # an unfamiliar compiler: go without the shortcut
        return None


def _literal_behind(regex: re.Pattern) -> str:
    """The fixed text of a look-behind that ``regex`` opens with (``(?<=第)`` gives 第), or ""."""
    parsed = _parsed(regex)
    if parsed is None or not parsed.data or regex.flags & re.IGNORECASE:
        return ""
    op, av = parsed.data[0]
    if op is not _sre.ASSERT or av[0] != -1 or not av[1].data:
        return ""
    if not all(o is _sre.LITERAL for o, _ in av[1].data):
        return ""
    return "".join(chr(c) for _, c in av[1].data)


def pattern_prefixes(regex: re.Pattern, limit: int = 64) -> list[str] | None:
    """Strings one of which every non-empty match of ``regex`` starts with (the fixed text it
    opens with, branches expanded), or None when the pattern gives none to rely on."""
    if regex.flags & re.IGNORECASE:
        return None
    try:
        items = _sre_parse.parse(regex.pattern, regex.flags).data
    except Exception:  # an unfamiliar parser: go without the shortcut
        return None
    out = [p for p, _ in _expand(items, limit)]
    return None if not out or "" in out else sorted(set(out))


def min_width(regex: re.Pattern) -> int:
    """The fewest characters a match of ``regex`` can span (0 when unsure)."""
    try:
        return _sre_parse.parse(regex.pattern, regex.flags).getwidth()[0]
    except Exception:  # an unfamiliar parser: assume the worst
        return 0


def _expand(items, limit: int) -> list[tuple[str, bool]]:
    """(prefix, may go on) pairs for a parsed sequence; a prefix that may not go on is complete."""
    out = [("", True)]
    for op, av in items:
        if not any(more for _, more in out):
            break
        if op is _sre.LITERAL:
            ext = [(chr(av), True)]
        elif op is _sre.IN and all(o is _sre.LITERAL for o, _ in av) and len(av) <= 16:
            ext = [(chr(a), True) for _, a in av]
        elif op is _sre.SUBPATTERN and not av[1] and not av[2]:
            ext = _expand(av[3].data, limit)
        elif op is _sre.BRANCH:
            ext = [pair for alt in av[1] for pair in _expand(alt.data, limit)]
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT):
            ext = [("", True)]  # consumes nothing
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
            low, high, item = av
            once = _expand(item.data, limit)
            if high != 1:
                once = [(p, False) for p, _ in once]  # where a further repetition would begin is unknown
            ext = ([("", True)] if low == 0 else []) + once
        else:
            ext = [("", False)]
        grown = []
        for p, more in out:
            grown.extend([(p + q, more_q) for q, more_q in ext] if more else [(p, False)])
        if len(grown) > limit:
            return [(p, False) for p, _ in out]
        out = grown
    return out


def through_last_of(chars: str) -> re.Pattern:
    """A pattern whose match from a place up to a position (``pattern.match(text, pos, endpos)``)
    ends right after the last of ``chars`` between them, and fails when there is none: the greedy
    ``.*`` runs to ``endpos`` and steps back only over the words after that character, which is
    far cheaper than looking for each character backwards (``rfind``) or splitting the text."""
    return re.compile("(?s).*[" + re.escape("".join(sorted(set(chars)))) + "]")


def can_overlap_itself(word: str) -> bool:
    """Whether two occurrences of ``word`` can overlap (阿阿 in 阿阿阿): whether a proper prefix
    of it is also its suffix. ``finditer`` then finds only the first of two overlapping ones."""
    return any(word[:j] == word[-j:] for j in range(1, len(word)))
