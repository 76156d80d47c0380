"""Number grammar: find the quantities stated in a piece of Chinese text.

``find_quantities(text)`` returns every stated figure with its exact span, the value as written
(in Arabic numerals), the magnitude (万, 亿), the approximation qualifier, the measure word and
the value with the magnitude applied. It is a pure function of the string and of the words of
``data/codebooks/number_words.csv`` (measure words, magnitudes, qualifiers, change verbs, set
phrases, hotline words; a ``NumberGrammar`` is compiled once per codebooks folder): no report. What a figure *counts* (its subject
and indicator) is decided later, in ``lbgr.extract.measures``.

What is a quantity
  An Arabic number (decimals, thousands separators ``12,000``, full-width digits), a Chinese
  numeral (``四``, ``二十五``, ``两``) or a written percentage (``百分之九十``), optionally a range
  (``3-5``, ``三至五``), followed by a magnitude (万, 亿, 千万 …), a qualifier (余, 多) and a measure
  word from ``UNITS`` (the codebook's ``unit`` rows) or a percent sign, and optionally framed by qualifiers (近, 约, 超过, 逾,
  不少于 … before; 以上, 以下, 左右 after). A number without a measure word is never a
  quantity: that alone rules out enumeration markers (``1.``, ``(1)``), document numbers
  (``〔2023〕7号``), hotline numbers (``12345热线``), version labels (``3.0清单``) and most names.

What is excluded although it has a measure word (``_excluded``)
  - numbers inside 《》 titles, “” quotations and other brackets for names (``“八五”``, ``“7*24”``,
    ``《…十二条措施》``), except service-radius slogans (``“15分钟”政务服务圈``), which are kept
    with ``value_kind`` = ``slogan``;
  - ordinals: a number after 第 (``第二批``, ``第三十四次``), and ranks after 前/后 (``前3名``);
  - calendar years and time points (``2023年`` has no measure word; ``自2021起`` is excluded);
  - numbers glued to formula or label characters (``1+4+N``, ``7*24``, ``5G``) and numbers
    next to a lost character (``5?12``), which must not be guessed into a figure or a date;
  - hotline numbers followed by a service word (``12345市长热线``);
  - Chinese numerals that are not counts: a lone ``一`` (一批, 一次性, 一对一 …), tier words
    (``两级``, ``三级``: the unit 级 is not a measure word), alternating idioms (``三番五次``) and
    set political formulas (``两个维护``, ``四个意识``, ``三项制度``, ``四个亲自``).

Kinds (``value_kind``): ``count``, ``percent``, ``change`` (a percent, multiple or percentage
point after 增长/下降/压缩/缩短 …, or any figure after 同比/比上年 + such a verb; ``压缩到6个工作日``
is a level), ``money`` (元), ``duration`` (工作日, 分钟, 学时 …), ``other`` (weights, areas,
multiples ``3倍``) and ``slogan`` (a service radius such as ``15分钟…圈``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from lbgr.parse.context import Context

# --- the words ----------------------------------------------------------------------------
# The vocabulary is data (``number_words.csv``, read from the build's codebooks folder); this
# module keeps the grammar that combines it. A ``NumberGrammar`` is compiled once per codebook.

class NumberGrammar:
    """The number grammar compiled from the rows of ``number_words.csv``; each role's rows are
    tried in the codebook's order."""

    def __init__(self, rows: list[dict[str, str]]):
        self._by_role: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            self._by_role.setdefault(row["number_word_role"], []).append(row)
        by_role = self._by_role
        # (as written, normalised, kind, characters that must NOT follow it). Longest first: the
        # grammar takes the first entry that matches at the position after the number and magnitude.
        self.units: list[tuple[str, str, str, str]] = [
            (r["number_word"], r["normalized_as"], r["measure_kind"], r["not_after"]) for r in by_role["unit"]]
        self.unit_index = {u[0]: u for u in self.units}
        # Measure words that begin a longer measure word of another kind (个 → 个工作日, 分 → 分钟): a
        # figure that ends the text with one of them may have lost the rest of its unit.
        self.open_units = frozenset(w for w, _, kind, _ in self.units
                                    if any(o != w and o.startswith(w) and k != kind for o, _, k, _ in self.units))
        self.unit_first = frozenset(u[0][0] for u in self.units)
        # The grammar's choice of measure word at a position is the first entry of ``units`` written
        # there that is not followed by one of its excluded characters: an alternation tries its
        # branches in order, so this pattern matches exactly that entry.
        self.unit_at = re.compile("|".join(re.escape(word) + (f"(?![{re.escape(not_after)}])" if not_after else "")
                                           for word, _, _, not_after in self.units))
        # Chinese numerals may take only count words that usually count things (四部, 二十五个批次,
        # 两个领域, 三大类, 四批): with any other word a Chinese numeral is too often part of a name.
        self.cn_units = frozenset(r["number_word"] for r in by_role["unit"] if r["after_chinese_numeral"] == "true")
        self.scales = [(r["number_word"], int(r["normalized_as"])) for r in by_role["scale"]]
        # Qualifiers written before the number, longest first, and after the measure word.
        self.prefix_qualifiers = [(r["number_word"], r["normalized_as"]) for r in by_role["prefix_qualifier"]]
        self.postfix_qualifiers = [(r["number_word"], r["normalized_as"]) for r in by_role["postfix_qualifier"]]
        self.infix_qualifiers = {r["number_word"]: r["normalized_as"] for r in by_role["infix_qualifier"]}
        self.not_prefix_before = {r["number_word"]: r["not_before"] for r in by_role["prefix_qualifier"] if r["not_before"]}
        # Chinese numerals followed by these words are set phrases, not counts.
        self.cn_set_phrase = re.compile(f"(?:{self._any_of('set_phrase_classifier')})(?:{self._any_of('set_phrase_word')})")
        self.hotline_after = re.compile(
            f"(?:{self._any_of('hotline_service_prefix')})?(?:{self._any_of('hotline_service_word')})")
        # 增长率 names a rate (a level), not a growth.
        self.change_verb = re.compile(f"({self._any_of('change_verb')})(?!率)")
        self.change_compare = re.compile(f"({self._any_of('change_comparison')})")
        # What can follow the number of a quantity: a range separator, an infix qualifier, a
        # magnitude, a percent sign, 成 or a measure word. A token followed by anything else is
        # rejected at once.
        self.scale_first = frozenset(s[0] for s, _ in self.scales)
        self.can_follow = (_RANGE_SEPS | frozenset("%％成") | frozenset(self.infix_qualifiers) | self.scale_first
                           | self.unit_first)
        # Where the next token worth reading starts. Every token starts with a digit or a Chinese
        # numeral and each of them starts a token, so the next token is the one matched where the
        # next of them stands; the scan also passes over a run of Chinese numerals that is not
        # followed by what can follow a number (一是, 进一步), which is a token rejected at once with
        # no token starting inside it. It stops at digits, at 百分之 and at the other runs.
        self.candidate_start = re.compile(
            f"[0-9０-９{_CN_CHARS}](?:(?<=[0-9０-９])|(?<=百)(?=分之)"
            f"|[{_CN_CHARS}]*+(?=[{re.escape(''.join(sorted(self.can_follow | {'年'})))}]))")
        self.prefix_last = frozenset(word[-1] for word, _ in self.prefix_qualifiers)
        self.postfix_first = frozenset(word[0] for word, _ in self.postfix_qualifiers)
        # For ``lbgr.extract.measures``: the noun after a classifier names the counted thing
        # (2个督察小组, 70件政府合同), and ends at a verb or a conjunction.
        self.noun_classifiers = frozenset(self.words("noun_classifier"))
        self.noun_stop = re.compile(self._any_of("noun_stop_word"))

    def words(self, role: str) -> list[str]:
        """The words of ``role`` in the codebook's order."""
        return [r["number_word"] for r in self._by_role.get(role, [])]

    def _any_of(self, role: str) -> str:
        """A pattern for the words of ``role``: an alternation tries them in the codebook's order."""
        return "|".join(map(re.escape, self.words(role)))


@lru_cache(maxsize=8)
def grammar(ctx: Context) -> NumberGrammar:
    """The number grammar of the codebooks ``ctx`` reads."""
    return NumberGrammar(ctx.codebook("number_words"))


@lru_cache(maxsize=1)
def default_grammar() -> NumberGrammar:
    """The number grammar of the package's own codebooks (``data/codebooks``)."""
    return grammar(Context())


# A count of years (连续三年, 连续6年) is a duration only after these words: elsewhere a number
# before 年 is a calendar year or a date.
_YEARS_AFTER = ("连续",)

_D = "[0-9０-９]"
_AR = rf"(?:{_D}{{1,3}}(?:[,，]{_D}{{3}}(?!{_D}))+|{_D}+)(?:[.．]{_D}+)?"
_CN_CHARS = "零〇一二两三四五六七八九十百千"
_CN = f"[{_CN_CHARS}]+"
_CN_DEC = "(?:点[零〇一二三四五六七八九]+)?"
_TOKEN = re.compile(
    rf"(?P<pct>百分之(?:{_AR}|[{_CN_CHARS}]+{_CN_DEC}))|(?P<ar>{_AR})|(?P<cn>{_CN})")
_RANGE_SEPS = frozenset("-—–~～至到")  # each a single character
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_POWERS = {"十": 10, "百": 100, "千": 1000}

_QUOTES = {"“": "”", "《": "》", "‘": "’", "「": "」", "『": "』", "〈": "〉", "〔": "〕", "【": "】"}
_GLUE = set("+*×＋＊/／=＝#＃@") | set("?？\ufffd")
_SLOGAN_AFTER = re.compile(r"[”’\"]?[^,;。，；、]{0,10}圈")
# A clause that ends with one of these before the figure states a level (压缩到6个工作日), not a
# change: (到|至|为|达到?)(约|近|超过|逾)? written out, so that a test of the clause's end is a
# single ``str.endswith``.
_LEVEL_ENDINGS = tuple(verb + qual for verb in ("到", "至", "为", "达", "达到")
                       for qual in ("", "约", "近", "超过", "逾"))
_HOTLINE_DIGITS = re.compile(r"1\d{2}|12\d{3}|9[56]\d{3}")
_YEAR_DIGITS = re.compile(r"(19|20)\d{2}")
_CLAUSE_BREAK_CHARS = ",;。，；、:：\n"


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    surface: str
    value: str
    value_high: str | None
    scale: str
    unit: str
    unit_normalized: str
    qualifier: str
    value_normalized: int | float
    value_normalized_high: int | float | None
    value_kind: str
    number_start: int  # where the first digit of the number is (after a prefix qualifier)


def cn_int(s: str) -> int | None:
    """Chinese numeral → int (二 → 2, 十二 → 12, 二十五 → 25, 一百零五 → 105, 两千 → 2000).

    None for what is not a well-formed counting numeral: digit strings such as 二〇二三 (years),
    sequences such as 十四五 or 五四, bare 百 or 千.
    """
    if not s:
        return None
    if len(s) > 1 and all(c in _DIGITS for c in s):
        return None
    total, cur, last_power, zero = 0, None, 10**9, False
    for c in s:
        if c in _DIGITS:
            if _DIGITS[c] == 0:
                if cur is not None or total == 0:
                    return None
                zero = True
                continue
            if cur is not None:
                return None
            cur = _DIGITS[c]
        elif c in _POWERS:
            p = _POWERS[c]
            if p >= last_power:
                return None
            if cur is None:
                if c == "十" and total == 0:
                    cur = 1
                else:
                    return None
            if c != "十" and s[0] == "两" and cur != 2:
                return None
            total += cur * p
            cur, last_power, zero = None, p, False
        else:
            return None
    if cur is not None:
        if last_power not in (10**9, 10) and not zero:
            return None  # 三百五 (= 350 colloquially) is too ambiguous to read
        total += cur
    return total


def _cn_decimal(s: str) -> Decimal | None:
    whole, _, frac = s.partition("点")
    w = cn_int(whole)
    if w is None:
        return None
    if not frac:
        return Decimal(w)
    digits = "".join(str(_DIGITS.get(c, "x")) for c in frac)
    return None if "x" in digits else Decimal(f"{w}.{digits}")


# Whole numbers of at most this many digits are read as ``int``: times a magnitude (a power of
# ten up to 10**12) they stay within the 28 significant digits of the default ``Decimal``
# context, so int arithmetic gives exactly the value, and ``str`` exactly the text, that
# ``Decimal`` would, at a fraction of the cost.
_MAX_INT_DIGITS = 18


def _ar_value(s: str) -> int | Decimal:
    """The value of Arabic digits (full-width ones, thousands separators and a decimal point
    allowed): an ``int`` when it is a whole number of few digits, else a ``Decimal``."""
    s = s.translate(_FULLWIDTH).replace(",", "")
    return int(s) if len(s) <= _MAX_INT_DIGITS and "." not in s else Decimal(s)


def _plain(d: int | Decimal) -> str:
    """The value as written in Arabic numerals, without exponent or trailing zeros beyond the input."""
    return str(d) if type(d) is int else format(d, "f")


def _number(d: int | Decimal) -> int | float:
    if type(d) is int:
        return d
    return int(d) if d == d.to_integral_value() else float(d)


_CLAUSE_END = re.compile(r"[,;。，；!?！？]")
_QUOTE_CHARS = re.compile("[" + re.escape("".join(_QUOTES) + "".join(_QUOTES.values()) + '"') + "]")


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """(open, close) offsets of 《》, “”, ‘’, 「」 … pairs (and ASCII "…" pairs) in ``text``.

    An opener that is never closed is taken to run to the end of its clause (at most 25
    characters), so that one missing quote mark cannot hide the rest of a paragraph.
    """
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []  # (the closing mark awaited, where its opener is)
    ascii_open: int | None = None
    for m in _QUOTE_CHARS.finditer(text):
        i, c = m.start(), m.group()
        closer = _QUOTES.get(c)
        if closer is not None:
            stack.append((closer, i))
        elif c == '"':
            if ascii_open is None:
                ascii_open = i
            else:
                spans.append((ascii_open, i))
                ascii_open = None
        elif stack and stack[-1][0] == c:  # it closes the innermost open pair, as it mostly does
            spans.append((stack.pop()[1], i))
        else:  # else the nearest open pair it closes, and the pairs opened inside that one with it
            for k in range(len(stack) - 2, -1, -1):
                if stack[k][0] == c:
                    spans.append((stack[k][1], i))
                    del stack[k:]
                    break
    unclosed = [pos for _, pos in stack] + ([ascii_open] if ascii_open is not None else [])
    for pos in unclosed:
        m = _CLAUSE_END.search(text, pos)
        end = min(m.start() if m else len(text), pos + 25)
        spans.append((pos, end))
    return spans


def _parse_token(m: re.Match) -> tuple[int | Decimal, str] | None:
    """(value, kind of token) for a number token; kind is 'ar', 'cn' or 'pct'."""
    kind = m.lastgroup  # the alternatives are the only groups: pct, ar or cn
    if kind == "ar":
        return _ar_value(m.group()), "ar"
    if kind == "pct":
        body = m.group()[3:]
        d = _cn_decimal(body) if body[0] in _CN_CHARS else _ar_value(body)
        return (d, "pct") if d is not None else None
    v = cn_int(m.group())
    return (v, "cn") if v is not None else None


def _excluded_context(text: str, start: int, num_end: int, token_kind: str, token: str, unit: str,
                      unit_pos: int, g: NumberGrammar) -> bool:
    """True when the number at ``start`` is an ordinal, a label, a hotline, a year or a set phrase."""
    before = text[start - 1] if start > 0 else " "
    if before == " " and start > 1 and text[start - 2] == "第":
        before = "第"  # 第 3 次: an ordinal on a page that puts spaces around figures
    after = text[num_end] if num_end < len(text) else " "
    # Ordinals and ranks.
    if before == "第" or (before in "前后" and unit in ("名", "位")):
        return True
    # Formula and label characters, lost characters, Latin letters: 1+4+N, 7*24, 5G, 5?12.
    if before in _GLUE or after in _GLUE or (before.isascii() and before.isalpha()) or (
            after.isascii() and after.isalpha()):
        return True
    # Time points: 自2021起, 从3月起.
    if unit == "起" and before in ("自", "从", "于"):
        return True
    if unit == "分" and before in "时点:：":
        return True  # a time of day (16时47分), not a score
    if token_kind == "ar":
        if len(token) > 1 and token[0] in "0０" and token[1] not in ".．":
            return True  # a code with leading zeros (2023-00286), never a figure
        # Hotline numbers have 3 or 5 digits and years 4: the length spares the patterns, and the
        # words after the number, rarely a hotline's or a year's, are looked at first.
        n = len(token)
        if n == 3 or n == 5:
            if g.hotline_after.match(text, num_end) and _HOTLINE_DIGITS.fullmatch(token.translate(_FULLWIDTH)):
                return True
        elif n == 4:
            if text.startswith(("年", "年度"), num_end) and _YEAR_DIGITS.fullmatch(token.translate(_FULLWIDTH)):
                return True
    elif token_kind == "cn":
        if token == "一":
            return True  # 一批, 一次性, 一对一, 一站式 … are never reported figures
        if g.cn_set_phrase.match(text, unit_pos):
            return True
        # Alternating idioms: 三番五次, 七上八下.
        if len(token) == 1 and start >= 2 and text[start - 2] in _CN_CHARS and text[start - 1] not in _CN_CHARS:
            return True
        if before in "数几若届":
            return True  # 数十个 (dozens), 十九届三次全会 (a plenary session)
    # A plenary session is named by its ordinal, also after the first of a list (七次、八次全会).
    if unit == "次" and text.startswith(("全会", "全体会议"), unit_pos + 1):
        return True
    return False


def _change_or_level(text: str, number_start: int, unit_normalized: str, kind: str, g: NumberGrammar) -> str:
    """The kind of the figure at ``number_start``, given the words of its clause before it."""
    # The clause's words before the figure are text[lead:number_start].
    lead = max(text.rfind(c, 0, number_start) for c in _CLAUSE_BREAK_CHARS) + 1
    # Every way to a change needs a change verb, which most clauses lack: asked first, it settles
    # most figures with one search (the conditions are independent, so the order is free).
    if g.change_verb.search(text, lead, number_start) is None:
        return kind
    # The lead holds no line break (that is a clause break too), so its end is the only place
    # where ``(到|至|为|达到?)(约|近|超过|逾)?$`` could match.
    if text.endswith(_LEVEL_ENDINGS, lead, number_start):
        return kind
    if unit_normalized in ("%", "倍", "百分点") or g.change_compare.search(text, lead, number_start):
        return "change"
    return kind


def find_quantities(text: str, g: NumberGrammar | None = None) -> list[Quantity]:
    """Every quantity stated in ``text``, in order; spans index ``text``. ``g``: the grammar of the
    build's codebooks (``grammar(ctx)``); by default that of the package's own."""
    g = g or default_grammar()
    out: list[Quantity] = []
    quoted: list[tuple[int, int]] | None = None  # found when a first token needs them
    next_start, token_at = g.candidate_start.search, _TOKEN.match
    pos = 0
    while (at := next_start(text, pos)) is not None:
        m = token_at(text, at.start())
        pos = m.end()
        # Most tokens are followed by nothing a quantity can continue with (see ``g.can_follow``),
        # and a lone 一 is never a figure (``_excluded_context``): rejected without a call.
        if m.lastgroup != "pct" and text[pos:pos + 1] not in g.can_follow and not _spaced(text, pos, m.lastgroup, g) \
                and not (text[pos:pos + 1] == "年" and text.endswith(_YEARS_AFTER, 0, at.start())) \
                or m.group() == "一":
            continue
        if quoted is None:
            quoted = quoted_spans(text)
        q = _read_quantity(text, m, quoted, g)
        if q is not None:
            out.append(q)
            if q.end > pos:
                pos = q.end
    return out


# Characters after 成 that make it part of a word (成立, 成功, 成为 …) rather than "tenths".
_NOT_AFTER_CHENG = frozenset("立功为员本果效交绩熟就品都长年")


def _spaced(text: str, p: int, token_kind: str | None, g: NumberGrammar) -> bool:
    """A space at ``p`` after an Arabic number, followed by what can follow one (``1 次``, ``1.3 万件``,
    ``240 余人次``: pages that put spaces around figures)."""
    return (token_kind == "ar" and text[p:p + 1] == " " and text[p + 1:p + 2] in g.can_follow
            and text[p + 1:p + 2] not in _RANGE_SEPS)


def _read_quantity(text: str, m: re.Match, quoted: list[tuple[int, int]], g: NumberGrammar) -> Quantity | None:
    """The quantity whose number is the token ``m``, or None; ``quoted``: ``quoted_spans(text)``."""
    token = m.group()
    parsed = _parse_token(m)
    if parsed is None:
        return None
    low, token_kind = parsed
    num_start, p = m.span()

    high: int | Decimal | None = None
    qualifier = "exact"
    scale, factor = "", 1
    if _spaced(text, p, token_kind, g):
        p += 1
    c = text[p:p + 1]
    if c == "年":
        if not text.endswith(_YEARS_AFTER, 0, num_start) or (token_kind == "ar" and len(token) > 2):
            return None
        unit, unit_norm, kind = "年", "年", "duration"
    else:
        # A range: 3-5个, 三至五个 (the second number of the same script, then a measure word).
        if token_kind != "pct" and c in _RANGE_SEPS:
            m2 = _TOKEN.match(text, p + 1)
            if m2 is not None and m2.lastgroup == token_kind:
                p2 = _parse_token(m2)
                if p2 is not None and p2[0] > low:
                    if token_kind == "ar" and _YEAR_DIGITS.fullmatch(token) and _YEAR_DIGITS.fullmatch(m2.group()):
                        return None  # a span of years, 2021-2025
                    high, p = p2[0], m2.end()
        if token_kind == "pct":
            unit, unit_norm, kind = "百分之", "%", "percent"
        else:
            if text[p:p + 1] in g.infix_qualifiers and (token_kind == "ar" or token[-1] in "十百千"):
                qualifier = g.infix_qualifiers[text[p]]
                p += 1
                if _spaced(text, p, token_kind, g):
                    p += 1
            if text[p:p + 1] in g.scale_first:
                for s, f in g.scales:
                    if text.startswith(s, p):
                        if s == "千" and (token_kind == "cn" or text[p + 1:p + 2] in ("米", "克", "瓦")):
                            continue
                        scale, factor = s, f
                        p += len(s)
                        if _spaced(text, p, token_kind, g):
                            p += 1
                        break
            if scale and text[p:p + 1] in g.infix_qualifiers:
                qualifier = g.infix_qualifiers[text[p]]
                p += 1
            c = text[p:p + 1]
            if c == "%" or c == "％":
                unit, unit_norm, kind = c, "%", "percent"
            elif (token_kind == "cn" and c == "成" and not scale and high is None
                  and text[p + 1:p + 2] not in _NOT_AFTER_CHENG):
                unit, unit_norm, kind = "成", "%", "percent"
                factor = 10
            else:
                unit, unit_norm, kind = _measure_word(text, p, token_kind, g)
                if unit is None:
                    return None
    unit_pos = p
    if unit != "百分之":
        p += len(unit)

    start = num_start
    if text[num_start - 1:num_start] in g.prefix_last:
        for word, qual in g.prefix_qualifiers:
            if text[max(0, num_start - len(word)):num_start] == word:
                w0 = num_start - len(word)
                if word in g.not_prefix_before and w0 > 0 and text[w0 - 1] in g.not_prefix_before[word]:
                    continue
                qualifier = qual  # in reading order, a qualifier before the number comes first
                start = w0
                break
    if text[p:p + 1] in g.postfix_first:
        for word, qual in g.postfix_qualifiers:
            if text.startswith(word, p):
                if qualifier == "exact":
                    qualifier = qual
                p += len(word)
                break
    if high is not None:
        qualifier = "range"

    if _excluded_context(text, num_start, m.end(), token_kind, token, unit, unit_pos, g):
        return None
    if (kind == "duration" or unit_norm in ("公里", "千米")) and _SLOGAN_AFTER.match(text, p):
        kind = "slogan"
    else:
        if any(opener < num_start < closer for opener, closer in quoted):  # inside a title, a quotation or a name
            return None
        kind = _change_or_level(text, start, unit_norm, kind, g)

    # Chinese numerals (and so 成) are always ints, which ``_plain`` writes as ``str(int(d))``.
    if high is None:
        value_high = norm_high = None
        if type(low) is int:
            value, norm = str(low), low * factor  # ``_plain`` and ``_number`` of an int
        else:
            value, norm = _plain(low), _number(low * factor)
    else:
        value_high, norm_high = _plain(high), _number(high * factor)
        value, norm = f"{_plain(low)}-{value_high}", _number(low * factor)
    return Quantity(**{
        "start": start, "end": p, "surface": text[start:p], "value": value, "value_high": value_high,
        "scale": scale, "unit": unit, "unit_normalized": unit_norm, "qualifier": qualifier,
        "value_normalized": norm, "value_normalized_high": norm_high, "value_kind": kind,
        "number_start": num_start})


def _measure_word(text: str, p: int, token_kind: str,
                  g: NumberGrammar) -> tuple[str, str, str] | tuple[None, None, None]:
    """(as written, normalised, kind) of the measure word written at ``p`` after a number of
    ``token_kind``: the first entry of ``g.units`` there that is not
    followed by one of its excluded characters and, after a Chinese numeral, one of ``g.cn_units``."""
    m = g.unit_at.match(text, p)  # the first such entry, found in one call (see ``g.unit_at``)
    if m is None:
        return None, None, None
    unit, unit_norm, kind, _ = g.unit_index[m.group()]
    if token_kind == "cn" and unit not in g.cn_units:
        return None, None, None
    return unit, unit_norm, kind
