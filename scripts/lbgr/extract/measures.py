"""Per-report stage ``measures``: every quantitative mention in a report body.

For each paragraph, ``lbgr.extract.numbers.find_quantities`` finds the figures; this module adds where
they are (section, paragraph, sentence), what they count (``subject``) and which indicator of
the codebook they state (``indicator_code``, via ``lbgr.extract.indicators.Codebook``).

Sentences end at 。!?; and at line ends; clauses also end at , and :. A figure's *context* for
the indicator mapping is its clause. When the clause says too little before the figure
(``其中受理157件``, ``审结131件``, ``占比82.4%``, ``涉及金额约8567万元``), the context reaches back
over the preceding clauses of the sentence to the nearest one that names its topic, and, for
a figure that opens its sentence (``70件政府合同…,90件…均通过合法性审查``), forward to the next
clause.
"""

from __future__ import annotations

import re
from operator import itemgetter

from lbgr.extract.indicators import Codebook, codebook_of
from lbgr.extract.numbers import NumberGrammar, Quantity, default_grammar, find_quantities, grammar
from lbgr.parse.model import ReportDoc

_SENTENCE_END = set("。!?！？;；")
_CLAUSE_END = _SENTENCE_END | set(",，:：")
_CLAUSE_END_RE = re.compile("[" + re.escape("".join(sorted(_CLAUSE_END))) + "]")
_THOUSANDS = re.compile(r"[,，]\d{3}(?!\d)")
_NOUN = re.compile(r"[“”‘’\"\u4e00-\u9fff]+")
# Function words stripped from a lead before judging whether it names a topic.
_LEAD_FILLER = re.compile(r"^(?:其中|另有|另|并|且|已经|已|共计|共|合计|总计|累计|全年|当年|均|分别|达到|达|为|约|近|仅|再|又)+")
_FILLER_END_WORDS = ("共计", "共", "合计", "累计", "均达到", "均达", "均为", "均", "达到", "达", "为", "约", "近", "仅",
                     "分别", "已", "计")
_LEAD_FILLER_END = re.compile(f"(?:{'|'.join(_FILLER_END_WORDS)})+$")
_FILLER_END_CHARS = "".join(sorted(set("".join(_FILLER_END_WORDS))))
_FILLER_END_SET = frozenset(_FILLER_END_CHARS + "\n")  # a text ending otherwise has no filler to strip
# A lead that starts with one of these refers back to the clause before (占比, 其中, 涉及金额).
_LEAD_REFERS_BACK = re.compile(r"^(?:其中|占比|占|涉及|合计|同比|环比|较上年|比上年|分别|含)")
_MIN_TOPIC = 4  # characters a lead needs (after fillers) to count as naming its topic
_SUBJECT_LEAD = re.compile(r"^(?:等|及|和|与|以|对|为|在|将|把|有)+")
_QUOTE_MARKS = re.compile(r"[“”‘’\"]")
_MAX_SUBJECT = 20


def _cut_lead(pattern: re.Pattern, text: str) -> str:
    """``pattern.sub("", text)`` for a pattern anchored at ``^`` (it can only match at the start)."""
    m = pattern.match(text)
    return text[m.end():] if m else text


def _cut_fillers(lead: str) -> str:
    """``lead`` without the function words it starts with (``_LEAD_FILLER``)."""
    return _cut_lead(_LEAD_FILLER, lead)


def _refers_back(lead: str) -> bool:
    """Whether ``lead`` starts with a word that refers back to the clause before."""
    return _LEAD_REFERS_BACK.match(lead) is not None


def _has_quote_marks(text: str) -> bool:
    """``_QUOTE_MARKS.search(text) is not None``, by five substring tests, which cost far less than
    a pattern call on the short texts asked about here."""
    return "“" in text or "”" in text or "‘" in text or "’" in text or '"' in text


def _unquoted(text: str, has_quotes: bool) -> str:
    """``text`` without quote marks; ``has_quotes``: whether the paragraph it is taken from holds any."""
    return _QUOTE_MARKS.sub("", text) if has_quotes and _has_quote_marks(text) else text


def _sentence_and_clauses(text: str, start: int) -> tuple[int, list[int], list[int]]:
    """The end of the sentence that starts at ``start`` (after its final punctuation) and the starts
    and ends (exclusive, before the delimiter) of its clauses: one scan of the clause ends, which
    stops at the sentence's. A comma between digits (12,000) ends no clause."""
    starts, ends, s = [], [], start
    for m in _CLAUSE_END_RE.finditer(text, start):
        i = m.start()
        if text[i] in _SENTENCE_END:  # the sentence's end: never part of a number
            starts.append(s)
            ends.append(i)
            return i + 1, starts, ends
        if not (0 < i and text[i - 1].isdigit() and _THOUSANDS.match(text, i)):  # not in 12,000
            starts.append(s)
            ends.append(i)
            s = i + 1
    end = len(text)  # a last sentence without final punctuation
    if s < end:
        starts.append(s)
        ends.append(end)
    return end, *((starts, ends) if starts else ([start], [end]))


class _Sentence:
    """The clauses of one sentence and the figures in it.

    Whether a clause, without its figures, names a topic depends on nothing else, so it is
    worked out once per clause however many figures of the sentence ask.
    """

    __slots__ = ("text", "start", "end", "starts", "ends", "quantities", "_topical")

    def __init__(self, text: str, start: int, quantities: list[Quantity]):
        """The sentence of ``text`` that starts at ``start``; it ends at the next sentence end."""
        self.text = text
        self.start = start
        self.end, self.starts, self.ends = _sentence_and_clauses(text, start)
        self.quantities = quantities
        self._topical: dict[int, bool] = {}

    def names_topic(self, i: int) -> bool:
        found = self._topical.get(i)
        if found is None:
            found = self._topical[i] = _names_topic(self.without_figures(i))
        return found

    def has_figures(self, i: int) -> bool:
        """Whether clause ``i`` holds a figure."""
        start, end = self.starts[i], self.ends[i]
        return any(start <= q.start < end for q in self.quantities)

    def without_figures(self, i: int) -> str:
        """The words of clause ``i`` without its figures."""
        text, start, end = self.text, self.starts[i], self.ends[i]
        out, pos = [], start
        for q in self.quantities:
            if start <= q.start < end:
                out.append(text[pos:q.start])
                pos = q.end
        out.append(text[pos:end])
        return "".join(out)


def sentences_of(text: str, quantities: list[Quantity]) -> list[_Sentence]:
    """The sentences of a paragraph that hold figures, each with its figures (``quantities`` in
    text order).

    A figure belongs to the sentence that holds its start. Sentences tile the paragraph, so the
    sentence of the next figure is the one already found, or starts after the last sentence end
    before that figure; only the sentences that hold figures are ever split into clauses.
    """
    out: list[_Sentence] = []
    end = 0  # where the last sentence found ends
    for q in quantities:
        if q.start < end:
            out[-1].quantities.append(q)
            continue
        cut = max(text.rfind(c, end, q.start) for c in _SENTENCE_END)
        sentence = _Sentence(text, cut + 1 if cut >= 0 else end, [q])
        out.append(sentence)
        end = sentence.end
    return out


def _strip_filler_end(text: str) -> str:
    """``_LEAD_FILLER_END.sub("", text)``. A match can only begin where the run of filler
    characters at the end begins, so the search starts there instead of at every position."""
    if text[-1:] not in _FILLER_END_SET:  # also when empty: nothing to strip
        return text
    body = text[:-1] if text.endswith("\n") else text  # ``$`` also matches before a final line break
    m = _LEAD_FILLER_END.search(text, len(body.rstrip(_FILLER_END_CHARS)))
    return text if m is None else text[:m.start()] + text[m.end():]


def _names_topic(lead: str) -> bool:
    return not _refers_back(lead) and _long_enough(lead)


def _long_enough(lead: str) -> bool:
    """Whether ``lead`` has enough words, fillers aside, to name a topic."""
    # Stripping the fillers only shortens it.
    return len(lead) >= _MIN_TOPIC and len(_strip_filler_end(_cut_fillers(lead))) >= _MIN_TOPIC


# Verbs that carry no topic of their own: a clause that opens with one and a figure continues the
# clause before it (推进告知承诺制改革,实现182项涉企经营事项…).
_LIGHT_VERB = re.compile(r"^(?:实现|完成|达到|达|涉及|覆盖|惠及)$")
# A lead that names only the generic 事项 (items), at most after a two-character verb (梳理事项,
# 录入事项), says no more than a light verb: the figure-less clause before names the list
# (更新权力清单,梳理事项6392项).
_GENERIC_LEAD = re.compile(r"^[\u4e00-\u9fff]{0,2}事项$")


def _continued(sentence: _Sentence, k: int) -> int:
    """Where the context of a figure of clause ``k`` starts: the clause before when clause ``k``
    opens with a light verb and its first figure (``实现182项…``), or names only the generic 事项
    before it (``梳理事项6392项``; ``_GENERIC_LEAD``), and the clause before states no
    figure, so that it sets the topic (``推进告知承诺制改革``); else clause ``k`` itself. A match in
    the clause before counts as borrowed, so the figure's own clause always wins."""
    own_start = sentence.starts[k]
    if k == 0 or sentence.has_figures(k - 1):
        return own_start
    first = next((q.start for q in sentence.quantities if own_start <= q.start < sentence.ends[k]), own_start)
    lead = _strip_filler_end(_cut_fillers(sentence.text[own_start:first].strip()))
    return sentence.starts[k - 1] if _LIGHT_VERB.match(lead) or _GENERIC_LEAD.match(lead) else own_start


# Verbs that say what a meeting or study session did: a clause that opens with one, after a clause
# that ends with its figure (召开常务会议15次,研究法治建设重要事项), names that figure's topic.
_TOPIC_VERB = re.compile(r"(?:专题|专门|集中|深入|认真)?(?:研究|审议|听取|部署|学习|传达|讨论|研讨)")


def _purpose_follows(sentence: _Sentence, k: int, q_end: int) -> bool:
    """Whether the figure ending at ``q_end`` ends clause ``k`` (fillers aside) and the next clause
    holds no figure and opens with a verb that says what was done (``_TOPIC_VERB``): that clause
    states the topic of the meetings or sessions counted (``召开常务会议15次,研究法治建设…``)."""
    if k + 1 >= len(sentence.starts) or sentence.has_figures(k + 1):
        return False
    if any(q_end < q.start < sentence.ends[k] for q in sentence.quantities):
        return False  # not the clause's last figure
    if sentence.text[q_end:sentence.ends[k]].strip():
        return False
    return _TOPIC_VERB.match(sentence.text, sentence.starts[k + 1], sentence.ends[k + 1]) is not None


def mapping_context(sentence: _Sentence, k: int, q_start: int, q_end: int | None = None) -> tuple[int, int]:
    """(start, end) in the paragraph of the context used to map the figure at ``q_start`` in clause ``k``.

    1. The clause itself when the words before the figure name a topic.
    2. When they do not, but the rest of the clause does (``48个苏木乡镇完成…``): the clause,
       and the next clause too if the clause opens its sentence (``70件政府合同…,90件…均通过合法性审查``).
    In 1 and 2, a clause that opens with a light verb and a figure (``实现182项…、16项…``) also
    gets the clause before it when that one states no figure and so sets the topic
    (``推进告知承诺制改革``; ``_continued``); and a figure that ends its clause gets the next
    clause when that one opens with a verb saying what was done and states no figure
    (``召开常务会议15次,研究法治建设重要事项``; ``_purpose_follows``, needs ``q_end``).
    3. Otherwise (``其中受理157件``, ``审结131件``, ``占比82.4%``): back to the nearest earlier
       clause of the sentence that names a topic; if there is none, on to the next clause.
    """
    starts, ends = sentence.starts, sentence.ends
    own_start, own_end = starts[k], ends[k]
    nxt = ends[k + 1] if k + 1 < len(starts) else own_end
    lead = sentence.text[own_start:q_start]
    if not _refers_back(lead):
        purpose = q_end is not None and _purpose_follows(sentence, k, q_end)
        if _long_enough(lead):  # the lead names a topic
            return _continued(sentence, k), nxt if purpose else own_end
        if sentence.names_topic(k):
            return (own_start, nxt) if k == 0 or purpose else (_continued(sentence, k), own_end)
    for i in range(k - 1, -1, -1):
        if sentence.names_topic(i):
            return starts[i], own_end
    return starts[0], nxt


def counted_noun(text: str, clause_end: int, q: Quantity, has_quotes: bool = True, g: NumberGrammar | None = None) -> str:
    """The noun written right after a classifier (2个督察小组 → 督察小组), or "".
    ``has_quotes``: whether ``text`` may hold quote marks; ``g``: the number grammar."""
    g = g or default_grammar()
    if q.unit not in g.noun_classifiers:
        return ""
    pos = q.end
    if pos < clause_end and text[pos] == "的":
        pos += 1
    m = _NOUN.match(text, pos, clause_end) if pos < clause_end else None
    if not m:
        return ""
    word = _unquoted(m.group(0), has_quotes)
    stop = g.noun_stop.search(word, 1)  # from the noun's second character on
    word = word[: stop.start()] if stop else word
    return word[:_MAX_SUBJECT] if len(word) >= 2 else ""


def subject_of(text: str, clause_start: int, q: Quantity, prev_end: int, noun: str, context_start: int,
               has_quotes: bool = True) -> str:
    """A short phrase naming what the figure counts: the counted noun, else the words before it
    (in its clause and after the figure before it; failing that, in its mapping context).
    ``has_quotes``: whether ``text`` may hold quote marks."""
    if noun and q.unit_normalized != "%":
        return noun
    lead = _unquoted(text[max(clause_start, prev_end):q.start], has_quotes)
    cut = max(lead.rfind("、"), lead.rfind("("), lead.rfind(")"), lead.rfind("《"), lead.rfind("》"))
    if cut >= 0 and len(lead) - cut - 1 >= 2:
        lead = lead[cut + 1:]
    lead = _cut_fillers(lead)
    lead = _cut_lead(_SUBJECT_LEAD, lead)
    lead = _strip_filler_end(lead).strip("《》 ")
    if len(lead) < 2 and noun:
        return noun
    if len(lead) < 2:
        lead = _strip_filler_end(_unquoted(text[context_start:q.start], has_quotes)).rstrip(",，:：;；、 ").strip("《》 ")
    return lead[-_MAX_SUBJECT:]


def _cut_off(para_start: int, q: Quantity, body_end: int, g: NumberGrammar) -> bool:
    """Whether the text is cut off right after the figure and its unit may be incomplete (压减至3个…
    of 个工作日); a complete one (5类, 2.4万余件) keeps the figure."""
    return para_start + q.end >= body_end and (not q.unit or q.unit in g.open_units)


# The figures of the last report asked for: compliance (n_figures) and measures run one after the
# other on the same report, and finding the figures is the costliest step of both.
_LAST_FOUND: tuple[ReportDoc, NumberGrammar, list[list[Quantity]]] | None = None


def quantities_of(doc: ReportDoc, g: NumberGrammar) -> list[list[Quantity]]:
    """``find_quantities`` of each of ``doc``'s paragraphs, in order (found once per report)."""
    global _LAST_FOUND
    if _LAST_FOUND is None or _LAST_FOUND[0] is not doc or _LAST_FOUND[1] is not g:
        _LAST_FOUND = (doc, g, [find_quantities(para.text, g) for para in doc.paragraphs or []])
    return _LAST_FOUND[2]


def count_figures(doc: ReportDoc, g: NumberGrammar | None = None) -> int:
    """How many rows ``measure_rows`` makes for ``doc``: the figures of its paragraphs, by the same
    number grammar and the same rule for a text cut off after a figure (compliance's
    ``n_figures``, so that it and the ``measures`` table agree)."""
    g = g or default_grammar()
    body_end = len(doc.body)
    return sum(not _cut_off(para.char_start, q, body_end, g)
               for para, found in zip(doc.paragraphs or [], quantities_of(doc, g)) for q in found)


def measure_rows(doc: ReportDoc, codebook: Codebook, g: NumberGrammar | None = None) -> list[dict]:
    """The rows of ``measures`` for ``doc``; ``g``: the number grammar (by default the package's own)."""
    g = g or default_grammar()
    rows: list[dict] = []
    report_id = doc.report_id
    id_prefix = f"{report_id}-m"
    last_start, in_order = -1, True  # whether the rows come in document order (they do when the paragraphs do)
    section_at = doc.section_at
    code_at = codebook.code_at
    body_end = len(doc.body)
    for para, quantities in zip(doc.paragraphs or [], quantities_of(doc, g)):
        text = para.text
        if not quantities:
            continue
        has_quotes = _has_quote_marks(text)
        para_start, paragraph_id = para.char_start, para.paragraph_id
        for sentence in sentences_of(text, quantities):
            starts, ends = sentence.starts, sentence.ends
            sentence_text = text[sentence.start:sentence.end]
            prev_end_in_clause: dict[int, int] = {}
            k, last = 0, len(starts) - 1
            figure_starts = [q.start for q in sentence.quantities]
            for n_q, q in enumerate(sentence.quantities):
                q_start, q_end = q.start, q.end
                if _cut_off(para_start, q, body_end, g):
                    continue
                # The clause whose span, its delimiter included, holds the figure's start (else the
                # last): figures come in text order, so it is this one or a later one.
                while k < last and starts[k + 1] <= q_start:
                    k += 1
                own_start, own_end = starts[k], ends[k]
                noun = counted_noun(text, own_end, q, has_quotes, g)
                c_start, c_end = mapping_context(sentence, k, q_start, q_end)
                subject = subject_of(text, own_start, q, prev_end_in_clause.get(k, own_start), noun, c_start,
                                     has_quotes)
                prev_end_in_clause[k] = q_end
                later = tuple(f - c_start for f in figure_starts[n_q + 1:] if f < c_end)
                earlier = tuple(f - c_start for f in figure_starts[:n_q] if own_start <= f)
                coding = code_at(text[c_start:c_end], q_start - c_start, q_end - c_start, sentence_text, noun,
                                 q.unit_normalized, q.value_kind, own_start - c_start, own_end - c_start, later,
                                 earlier)
                start, end = para_start + q_start, para_start + q_end
                if start < last_start:
                    in_order = False
                last_start = start
                rows.append({
                    "measure_id": f"{id_prefix}{len(rows) + 1:04d}",  # numbered again below if out of order
                    "report_id": report_id,
                    "section_id": section_at(start, end).section_id,
                    "paragraph_id": paragraph_id,
                    "surface": q.surface,
                    "char_start": start,
                    "char_end": end,
                    "value": q.value,
                    "scale": q.scale,
                    "unit": q.unit,
                    "value_normalized": q.value_normalized,
                    "value_normalized_high": q.value_normalized_high,
                    "unit_normalized": q.unit_normalized,
                    "qualifier": q.qualifier,
                    "value_kind": q.value_kind,
                    "subject": subject,
                    "indicator_code": coding.code,
                    "indicator_note": coding.note,
                    "sentence": sentence_text,
                })
    if not in_order:  # ids follow document order
        rows.sort(key=itemgetter("char_start"))
        for n, row in enumerate(rows, start=1):
            row["measure_id"] = f"{id_prefix}{n:04d}"
    return rows


def extract_measures(doc: ReportDoc, ctx) -> dict[str, list[dict]]:
    """Per-report stage: ``{"measures": rows}``."""
    return {"measures": measure_rows(doc, codebook_of(ctx), grammar(ctx))}
