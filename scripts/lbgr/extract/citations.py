"""Citations: every 《…》 title in a report body, and the titles nested inside it.

A title is the text between 《 and its matching 》 on one line (a title never spans paragraphs).
Inside an open 《…》, 〈…〉 and <…> (and a further 《…》) open nested titles, which become rows of
their own linked to the enclosing title by ``parent_citation_id``; any inner closer closes an
inner opener (〈…> is one title). An opener that is never closed
on its line, and a closer without an opener, are not titles; a 《…》 closed inside an unclosed one
is kept.

What a title is and what the report does with it are read from four codebooks, so that a
researcher can correct them without touching this module:

- ``citation_suffixes``: trailing bracket groups split off the title into ``status_suffix``
  ((草案), (试行)) and ``edition_suffix`` ((2023年版), (2020年本));
- ``citation_doc_types``: the document type from the end of the title (办法 → measures), in file
  order, first match wins; a type may carry a default scope (a 法 is always national);
- ``citation_scope``: national markers, self-references (市政府, 全区) and national titles;
  province names come from the division reference and the reporting place from ``doc.meta``;
- ``citation_verbs``: the verb that governs the title (出台 → issued_or_drafted, 落实 →
  implemented, 废止 → repealed). The governing verb is the one nearest before the title in
  its clause; see ``governing_verb``.

A short form defined after a title (《…纲要(2021-2025年)》(以下简称《纲要》)) is a title of its own
each time it occurs, but takes the normalised title, type and scope of the document it stands for.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from lbgr.brackets import CLOSER_OF, NESTED_PAIRS, OUTER_CLOSE, OUTER_OPEN, closes
from lbgr.parse.context import Context
from lbgr.parse.divisions import short_name
from lbgr.parse.model import ReportDoc

_CLOSERS = frozenset(CLOSER_OF.values())
_BRACKET_CHARS = re.compile("[" + re.escape(OUTER_OPEN + OUTER_CLOSE + "".join(NESTED_PAIRS) + "".join(NESTED_PAIRS.values())) + "]")

SENTENCE_BREAKS = "。；;！!？?\n"
CLAUSE_BREAKS = "，,：:"
# What may stand between two titles of one list ("印发《A》、《B》和《C》") without ending it.
LIST_FILLER = re.compile(r"(?:[\s□、和及与或]|以及)*")
_CLAUSE_BREAK = re.compile(f"[{CLAUSE_BREAKS}]")
# Everything up to the last sentence break, if any: what comes after it is the title's sentence.
_UP_TO_SENTENCE_BREAK = re.compile(f"(?s:.*[{re.escape(SENTENCE_BREAKS)}])?")
MASK = "□"


# --- finding titles ---------------------------------------------------------------------------

class _Node:
    """An opened bracket: what it opens, where, where it closes (-1 while open) and the titles
    inside it. A plain class with slots: several are made for every report."""

    __slots__ = ("opener", "start", "end", "children")

    def __init__(self, opener: str, start: int):
        self.opener = opener
        self.start = start  # first character inside the brackets
        self.end = -1  # offset of the closing bracket
        self.children: list[_Node] = []


@dataclass(frozen=True)
class TitleSpan:
    start: int
    end: int
    opener: str
    parent: int | None  # index of the enclosing title in the list returned by find_titles


def _salvage(node: _Node) -> list[_Node]:
    """The 《》 titles inside an unclosed node: they stand on their own once it is dropped."""
    if node.end >= 0 and node.opener == OUTER_OPEN:
        return [node]
    out: list[_Node] = []
    for child in node.children:
        out += _salvage(child)
    return out


#: A title that a page broke over two lines (or a removed watermark line split) is still one
#: title when it closes soon after the break and the line before did not end a sentence.
SPLIT_TITLE_MAX_CHARS = 80


def _split_title(text: str, node: _Node, last: int, i: int, ch: str) -> bool:
    """Whether the line break between ``last`` and ``i`` lies inside the title ``node`` that ``ch``
    at ``i`` closes: one break, the title short, the text before the break no end of a sentence."""
    if ch not in _CLOSERS or not closes(node.opener, ch) or i - node.start > SPLIT_TITLE_MAX_CHARS:
        return False
    inside = text[node.start:i]
    if inside.count("\n") != 1:
        return False
    before = inside[:inside.index("\n")].rstrip()
    return bool(before) and before[-1] not in SENTENCE_BREAKS + ":："


def find_titles(text: str) -> list[TitleSpan]:
    """Balanced titles of ``text`` in document order (by start offset)."""
    return list(_titles(text))


# The citations and the policy-terms stage both need the titles of the same body.
@lru_cache(maxsize=4)
def _titles(text: str) -> tuple[TitleSpan, ...]:
    roots: list[_Node] = []
    stack: list[_Node] = []

    def drop_all() -> None:
        while stack:
            frame = stack.pop()
            keep = [n for c in frame.children for n in _salvage(c)]
            (stack[-1].children if stack else roots).extend(keep)

    # Only brackets and line breaks matter: jump from one bracket to the next instead of visiting
    # every character. While no bracket is open, only a 《 can matter (nothing else opens one, and
    # a closer closes nothing), and the search for one character is several times faster than the
    # search for any of eight. A line break only matters while a bracket is open, so only then is
    # the stretch since the last bracket looked at for one.
    last = pos = 0
    find, search = text.find, _BRACKET_CHARS.search
    while True:
        if stack:
            m = search(text, pos)
            if m is None:
                break
            i, ch = m.start(), m.group()
            if text.find("\n", last, i) >= 0 and not _split_title(text, stack[-1], last, i, ch):
                drop_all()
        else:
            i, ch = find(OUTER_OPEN, pos), OUTER_OPEN
            if i < 0:
                break
        pos, last = i + 1, i
        if ch == OUTER_OPEN or (ch in NESTED_PAIRS and stack):
            stack.append(_Node(ch, i + 1))
        elif stack and ch in _CLOSERS:
            if closes(stack[-1].opener, ch):
                match = len(stack) - 1
            else:
                match = next((k for k in range(len(stack) - 2, -1, -1) if closes(stack[k].opener, ch)), None)
                if match is None:
                    continue
            while len(stack) - 1 > match:  # unclosed openers inside the one being closed
                frame = stack.pop()
                stack[-1].children.extend(n for c in frame.children for n in _salvage(c))
            node = stack.pop()
            node.end = i
            target = stack[-1].children if stack else roots
            if text[node.start:node.end].strip():
                target.append(node)
            else:
                target.extend(node.children)
    drop_all()

    if not any(r.children for r in roots):
        # No title holds another (the usual case): the roots, already in order, are all.
        return tuple(TitleSpan(start=n.start, end=n.end, opener=n.opener, parent=None)
                     for n in roots)
    flat: list[tuple[_Node, _Node | None]] = []
    todo: list[tuple[_Node, _Node | None]] = [(r, None) for r in reversed(roots)]
    while todo:  # depth first, in order: each node before its children
        node, parent = todo.pop()
        flat.append((node, parent))
        todo.extend((c, node) for c in reversed(node.children))
    flat.sort(key=lambda pair: pair[0].start)
    index = {id(n): k for k, (n, _) in enumerate(flat)}
    return tuple(TitleSpan(start=n.start, end=n.end, opener=n.opener,
                                 parent=None if p is None else index[id(p)]) for n, p in flat)


# --- normalising titles -----------------------------------------------------------------------

_BRACKETS = str.maketrans({"（": "(", "［": "(", "[": "(", "【": "(", "）": ")", "］": ")", "]": ")", "】": ")",
                           "<": "〈", ">": "〉", "＜": "〈", "＞": "〉", "《": "〈", "》": "〉",
                           "「": "“", "」": "”", "『": "‘", "』": "’"})
_BRACKET_VARIANT = re.compile("[" + re.escape("".join(map(chr, _BRACKETS))) + "]")
_WHITESPACE = re.compile(r"\s+")
_YEAR_RANGE = re.compile(r"(\d{4})\s*(?:[-–—―－~～至]+)\s*(\d{4})")
_TRAILING_GROUP = re.compile(r"\(([^()]*)\)$")


def normalize_title(title: str) -> str:
    """Width, bracket and dash variants unified; the words themselves unchanged.

    Full-width ASCII becomes half-width (NFKC); round and square brackets become ( ); a nested
    title's brackets (<>, 〈〉, 《》) become 〈〉; a year range takes an ASCII hyphen (2021—2025 →
    2021-2025); spaces go.
    """
    out = unicodedata.normalize("NFKC", title)
    # Each step only where it has something to change: most titles have no bracket variant, no
    # space and no year range, and finding that out costs less than a translation or substitution.
    if _BRACKET_VARIANT.search(out):
        out = out.translate(_BRACKETS)
    if _WHITESPACE.search(out):
        out = _WHITESPACE.sub("", out)
    return _YEAR_RANGE.sub(r"\1-\2", out) if _YEAR_RANGE.search(out) else out


@dataclass(frozen=True)
class Suffixes:
    base: str
    status: str
    edition: str
    is_draft: bool


# --- rules from the codebooks ----------------------------------------------------------------

@dataclass(frozen=True)
class Verb:
    verb: str
    action: str
    requires_draft: bool


@dataclass
class CitationRules:
    doc_types: list[tuple[str, re.Pattern, str]]
    verbs: list[Verb]
    status: list[tuple[re.Pattern, bool]]
    edition: list[re.Pattern]
    scope_rows: list[tuple[str, str, re.Pattern]]  # (evidence, scope, pattern)
    provinces: list[str]
    division_index: object = None

    def __post_init__(self) -> None:
        # doc_scope tries the scope rows evidence by evidence, for every title.
        self.scope_by_evidence: dict[str, list[tuple[str, re.Pattern]]] = {}
        for evidence, scope, pattern in self.scope_rows:
            self.scope_by_evidence.setdefault(evidence, []).append((scope, pattern))
        # Whether any province's name occurs in a title, in one search instead of one per name.
        self.province_name = re.compile("|".join(map(re.escape, self.provinces))) if self.provinces else None

    @classmethod
    def from_context(cls, ctx: Context) -> CitationRules:
        return _rules(ctx)

    def split_suffixes(self, normalized: str) -> Suffixes:
        base, status, edition, is_draft = normalized, [], [], False
        if ")" not in base:  # no bracket group to split off (the usual case)
            return Suffixes(base=base, status="", edition="", is_draft=False)
        while True:
            m = _TRAILING_GROUP.search(base)
            if not m:
                break
            inner = m.group(1)
            st = next((d for p, d in self.status if p.fullmatch(inner)), None)
            if st is not None:
                status.insert(0, inner)
                is_draft = is_draft or st
            elif any(p.fullmatch(inner) for p in self.edition):
                edition.insert(0, inner)
            else:
                break
            base = base[:m.start()]
        return Suffixes(base=base, status=" ".join(status), edition=" ".join(edition),
                               is_draft=is_draft)

    def doc_type(self, base: str) -> tuple[str, str]:
        """(doc_type, default scope) from the title's ending, trailing bracket groups removed."""
        stem = base
        while ")" in stem and (m := _TRAILING_GROUP.search(stem)) and m.start() > 0:
            stem = stem[:m.start()]
        for code, pattern, default_scope in self.doc_types:
            if pattern.search(stem):
                return code, default_scope
        return "other", ""


def _truthy(value: str) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


@lru_cache(maxsize=8)
def _rules(ctx: Context) -> CitationRules:
    doc_types = [(r["doc_type"], re.compile(r["pattern"]), r.get("default_scope", "") or "")
                 for r in ctx.codebook("citation_doc_types")]
    verbs = sorted((Verb(r["verb"], r["citation_action"], _truthy(r["requires_draft"]))
                    for r in ctx.codebook("citation_verbs")), key=lambda v: -len(v.verb))
    status, edition = [], []
    for r in ctx.codebook("citation_suffixes"):
        if r["suffix_kind"] == "status":
            status.append((re.compile(r["pattern"]), _truthy(r["is_draft"])))
        else:
            edition.append(re.compile(r["pattern"]))
    scope_rows = [(r["scope_evidence"], r["doc_scope"], re.compile(r["pattern"]))
                  for r in ctx.codebook("citation_scope")]
    index = ctx.divisions
    provinces: set[str] = set()
    for d in index.divisions:
        if d.division_level == "province":
            provinces.update({d.name, short_name(d.name)})
    return CitationRules(doc_types, verbs, status, edition, scope_rows,
                         sorted(provinces, key=len, reverse=True), index)


# --- what the report does with a title --------------------------------------------------------

def governing_verb(window: str, rules: CitationRules, is_draft: bool) -> Verb | None:
    """The verb that governs a title, given the text before it (earlier titles masked by □).

    The search stays in the title's sentence and, within it, in its clause; a clause that holds
    nothing but earlier titles and list words (、 和 及) continues the list, so the search moves
    to the clause before (出台《A》,《B》). In the clause, the verb nearest the title wins; a
    verb followed by 的 is attributive (新颁布的《行政处罚法》: the report did not issue it) and
    is skipped, as is a verb that the codebook allows only before draft titles (完成…(草案)).
    """
    clauses = _CLAUSE_BREAK.split(window[_UP_TO_SENTENCE_BREAK.match(window).end():])
    for k in range(len(clauses) - 1, -1, -1):
        clause = clauses[k]
        if k < len(clauses) - 1 and MASK not in clause:
            return None  # an earlier clause counts only while it continues a list of titles
        verb = _nearest_verb(clause, rules, is_draft)
        if verb is not None:
            return verb
        if not LIST_FILLER.fullmatch(clause):
            return None
    return None


def _nearest_verb(clause: str, rules: CitationRules, is_draft: bool) -> Verb | None:
    """The verb that ends last in ``clause`` (the longest of those ending there), not followed by 的."""
    best: tuple[int, int, Verb] | None = None
    for verb in rules.verbs:
        if (verb.requires_draft and not is_draft) or verb.verb not in clause:
            continue
        for m in _literal(verb.verb).finditer(clause):
            if clause[m.end():m.end() + 1] == "的":
                continue
            key = (m.end(), len(verb.verb))
            if best is None or key > best[:2]:
                best = (*key, verb)
    return best[2] if best else None


_PLACE_SUFFIX = re.compile(r"(自治县|自治旗|新区|市|区|县|旗|省|自治区)$")


@lru_cache(maxsize=256)
def _literal(text: str) -> re.Pattern:
    return re.compile(re.escape(text))


@lru_cache(maxsize=256)
def _own_place_forms(jurisdiction: str) -> tuple[str, ...]:
    if not jurisdiction:
        return ()
    forms = {jurisdiction}
    stripped = _PLACE_SUFFIX.sub("", jurisdiction)
    if len(stripped) >= 2:
        forms.add(stripped)
    return tuple(sorted(forms, key=len, reverse=True))


def doc_scope(title_text: str, doc_type_scope: str, action: str, meta: dict, rules: CitationRules) -> tuple[str, str]:
    """(scope, evidence) of a cited document, from its own title (nested titles removed).

    Evidence is tried in a fixed order, the first that applies decides: a national marker
    (中华人民共和国, 国务院 …); the reporting place's own name (local, or provincial when the
    reporting place is a province); a province's name; a self-reference (市政府, 全区 → local,
    省政府 → provincial); another prefecture or county name (local); a national title
    (法治政府建设实施纲要); the document type's default (a 法 is national, a 条例 without a place
    is a State Council regulation); issued by the reporting government (local); else unknown.
    """
    def rows(evidence: str) -> list[tuple[str, re.Pattern]]:
        return rules.scope_by_evidence.get(evidence, [])

    for scope, p in rows("national_marker"):
        if p.search(title_text):
            return scope, "national_marker"
    if any(form in title_text for form in _own_place_forms(meta.get("jurisdiction") or "")):
        return ("provincial" if meta.get("admin_level") == "province" else "local"), "own_place"
    if rules.province_name is not None and rules.province_name.search(title_text):
        return "provincial", "province_name"
    for scope, p in rows("self_reference"):
        if p.search(title_text):
            return scope, "self_reference"
    index = rules.division_index
    if index is not None:
        for name in index.names_in(title_text):
            if len(name) >= 3 and any(d.division_level != "province" for d in index.by_name[name]):
                return "local", "other_place"
    for scope, p in rows("national_title"):
        if p.search(title_text):
            return scope, "national_title"
    if doc_type_scope:
        return doc_type_scope, "doc_type_default"
    if action == "issued_or_drafted":
        return "local", "issued_by_reporter"
    return "unknown", "none"


def _masked(text: str, spans: list[tuple[int, int]], offset: int) -> str:
    """``text`` with the given bracketed spans (body offsets of the inner text) replaced by □."""
    if not spans:
        return text
    # Pieces of the text between the masked stretches (which may overlap), joined once.
    pieces = []
    pos = 0
    for s, e in sorted(spans):
        a, b = max(s - 1 - offset, pos), min(e + 1 - offset, len(text))
        if a < b:
            pieces += [text[pos:a], MASK * (b - a)]
            pos = b
    pieces.append(text[pos:])
    return "".join(pieces)


# A short form defined right after a title: 《…》(以下简称《纲要》), (简称《…》), (下称《…》).
_SHORT_FORM_DEF = re.compile(r"\s?[(（]\s?(?:以下|下文)?简?称\s?《$")


def short_forms(body: str, spans: list[TitleSpan]) -> dict[int, int]:
    """Index of each title that is a defined short form (the definition and every later
    occurrence) → index of the full title it stands for."""
    out: dict[int, int] = {}
    defined: dict[str, int] = {}
    top = [k for k, span in enumerate(spans) if span.parent is None]
    for a, b in zip(top, top[1:]):
        full, short = spans[a], spans[b]
        gap = body[full.end + 1:short.start]  # from after the full title's 》 to the short form's text
        if len(gap) <= 8 and _SHORT_FORM_DEF.fullmatch(gap):
            defined[normalize_title(body[short.start:short.end])] = out.get(a, a)
    if not defined:
        return out
    for k in top:
        span = spans[k]
        full = defined.get(normalize_title(body[span.start:span.end]))
        if full is not None and spans[full].start < span.start:
            out[k] = full
    return out


def extract_citations(doc: ReportDoc, ctx: Context) -> dict[str, list[dict]]:
    rules = CitationRules.from_context(ctx)
    body = doc.body
    spans = find_titles(body)
    stands_for = short_forms(body, spans) if "称《" in body else {}
    rows: list[dict] = []
    report_id, meta, paragraph_at, section_at = doc.report_id, doc.meta, doc.paragraph_at, doc.section_at
    ids = [f"{report_id}-c{n:04d}" for n in range(1, len(spans) + 1)]
    # The titles directly inside each title (None: at the top), in order of their starts.
    children: dict[int | None, list[tuple[int, int]]] = {}
    for span in spans:
        children.setdefault(span.parent, []).append((span.start, span.end))
    child_starts = {parent: [s for s, _ in pairs] for parent, pairs in children.items()}
    for k, span in enumerate(spans):
        title = body[span.start:span.end]
        if k in stands_for:  # a short form: the document it stands for gives its type and scope
            full = spans[stands_for[k]]
            normalized = normalize_title(body[full.start:full.end])
            inner = children.get(stands_for[k])
            title_for_scope = body[full.start:full.end]
            base_start = full.start
        else:
            normalized = normalize_title(title)
            inner = children.get(k)
            title_for_scope, base_start = title, span.start
        own_text = (_masked(title_for_scope, inner, base_start) if inner else title_for_scope).replace(MASK, "")
        suffixes = rules.split_suffixes(normalized)
        doc_type, type_scope = rules.doc_type(suffixes.base)

        # The verb is looked for before the title: in its line, or inside the enclosing title.
        if span.parent is None:
            window_start = body.rfind("\n", 0, span.start) + 1
        else:
            window_start = spans[span.parent].start
        siblings, starts = children[span.parent], child_starts[span.parent]
        earlier = siblings[bisect.bisect_left(starts, window_start):bisect.bisect_left(starts, span.start)]
        window = _masked(body[window_start:span.start - 1], earlier, window_start)
        verb = governing_verb(window, rules, suffixes.is_draft)
        action = verb.action if verb else "cited"
        # Mostly the title holds no nested title: its own text is then the title, already normalised.
        own_normalized = normalized if own_text == title_for_scope else normalize_title(own_text)
        scope, evidence = doc_scope(own_normalized, type_scope, action, meta, rules)
        paragraph = paragraph_at(span.start)
        rows.append({
            "citation_id": ids[k],
            "report_id": report_id,
            "section_id": section_at(span.start, span.end).section_id,
            "paragraph_id": paragraph.paragraph_id if paragraph else None,
            "parent_citation_id": None if span.parent is None else ids[span.parent],
            "cited_title": title,
            "cited_title_normalized": suffixes.base,
            "status_suffix": suffixes.status or None,
            "edition_suffix": suffixes.edition or None,
            "doc_type": doc_type,
            "doc_scope": scope,
            "scope_evidence": evidence,
            "citation_action": action,
            "action_verb": verb.verb if verb else None,
            "char_start": span.start,
            "char_end": span.end,
        })
    return {"citations": rows}
