"""Where a report speaks from: its jurisdiction, division and level, and a department issuer.

Evidence, strongest first, and nothing invented:

1. the issuer or place the title names (某某市司法局, 关于某某县…), by official name or by a short
   form the division data generate (恩施州, 镇宁自治县, 科右前旗; ``lbgr.parse.divisions.short_forms``);
   a township (某某乡人民政府) keeps its own name, level ``township`` and the code of the county
   named in the text;
2. for a text without such a title, the subject of its first sentence (「2023年，某某区坚持…」,
   「…领导下，某某区政府深入…」), also a department (「某某局认真…」) when the body speaks as one
   (我局, 局党组);
3. the level the report speaks as (我省 / 省政府 → a province; 我市 → a 市; an issuer such as
   省政务办 → a province), and the division of that level the text names most often, counting
   short forms (江西 for 江西省, 恩施 for 恩施土家族苗族自治州) — a tie leaves the place empty;
4. only when the text names no place at all: the address the file was retrieved from (the
   manifest's ``source_url``), when it is a government site (``.gov.cn``) whose host names a place
   in pinyin (hbj.enshi.gov.cn → 恩施), of the level the report speaks as (without one, nothing:
   a portal also hosts the reports of the places under it); several places of that pinyin and
   level leave it empty, unless one of them is of a higher level than all the others.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lbgr.parse.divisions import Division, DivisionIndex
from lbgr.parse.metadata import _NATIONAL, self_reference_suffix

_TOWNSHIP = re.compile(r"^(?:中共)?([\u4e00-\u9fff]{1,8}?(?:乡|镇|街道))(?:人民政府|政府|党委|办事处|委员会)")
_KIND_CHARS = "省市州区县旗盟"
# Words that begin with a level character without naming the level (市场监督管理局: a market).
_LEVEL_CHAR_WORD = re.compile(r"市场|[省市区县州]级|[区县]域")
# The opening of the first sentence before its subject: 2023年，/ 2023年以来，/ 在…领导下，
_SUBJECT_LEAD = re.compile(r"^(?:\d{4}\s*年度?(?:以来)?\s*[,，]\s*)?(?:在[^,，。;；]{0,80}?下\s*[,，]\s*)*")
_DEPARTMENT_TOKEN = re.compile(r"[\u4e00-\u9fff]{1,20}?(?:局|厅|部|委员会|办公室|办)")
# The level a department's name or self-reference implies: a 厅 is a province's department.
_DEPARTMENT_LEVEL = {"厅": "省"}
_SELF_DEPARTMENT = "我{c}|{c}党组|{c}党委|{c}机关"
NATIONAL_NAME = "中华人民共和国"


@dataclass
class Place:
    jurisdiction: str = ""
    division: Division | None = None
    admin_level: str | None = None
    issuer: str = ""  # a department found in the opening, when the title names none
    issuer_type: str = ""
    warnings: list[str] = field(default_factory=list)


def _kind_matches(d: Division, kind: str | None) -> bool:
    if kind is None:
        return True
    if kind == "省":
        return d.division_level == "province"
    if kind == "州":
        return d.division_level == "prefecture" and d.name.endswith("州")
    if kind == "市":
        return d.name.endswith("市")  # also the four municipalities, of province level
    return d.name.endswith(kind) and d.division_level != "province"


def _subject_at(idx: DivisionIndex, text: str) -> tuple[str, list[Division]]:
    """The longest name (official, generated short form, or bare province/prefecture form) that
    ``text`` starts with."""
    for n in range(min(len(text), 14), 1, -1):
        head = text[:n]
        found = idx.lookup(head)
        if found:
            return head, found
        if head in idx.stems and len(idx.stems[head]) == 1:
            return idx.stems[head][0].name, idx.stems[head]  # 江西 → 江西省
    return "", []


def opening_subject(idx: DivisionIndex, lines: list[str]) -> tuple[str, list[Division], str]:
    """(place name, its divisions, department token) of the first sentence's subject."""
    # Not an addressee (县人大常委会:) nor a document number: a sentence.
    prose = [line for line in lines if len(line) >= 15 and not (len(line) < 40 and line.endswith((":", "：")))]
    for line in prose[:2]:
        rest = line[_SUBJECT_LEAD.match(line).end():]
        rest = rest[1:] if rest.startswith("全") else rest
        name, found = _subject_at(idx, rest)
        after = rest[len(name):]
        dept = _DEPARTMENT_TOKEN.match(after if name else rest)
        token = (name + dept.group()) if dept else ""
        if name and not (dept and len(dept.group()) >= 2):
            return name, found, ""
        if token:
            return name, found, token
    return "", [], ""


def _speaks_as_department(token: str, body: str) -> bool:
    """Whether an opening's subject ``token`` is the reporting department: by its very name (县司法局,
    州政务局, 我厅, 某某部), or because the body speaks as one (我局, 局党组)."""
    if token[0] in _KIND_CHARS + "我" or _NATIONAL.search(token):
        return True
    c = "委" if token.endswith("委员会") else "办" if token.endswith("办公室") else token[-1]
    return re.search(_SELF_DEPARTMENT.format(c=c), body) is not None


def _count_in_body(idx: DivisionIndex, body: str, kind: str | None) -> Counter:
    counts: Counter = Counter()
    for name in idx.names_in(body, short_forms=True):
        if len(name) < 3:
            continue
        for d in idx.lookup(name):
            if _kind_matches(d, kind):
                counts[d.division_code] += 1
    if kind in ("省", "州", "市"):
        for form, divisions in idx.stems.items():
            for d in divisions:
                if _kind_matches(d, kind) and form in body:
                    counts[d.division_code] += body.count(form) - body.count(d.name)
    return counts


def _surface(d: Division, idx: DivisionIndex, text: str) -> str:
    """The name to print for a division found in the text: as printed when that is its official
    name or a generated short form, else the official name."""
    forms = [f for f, ds in idx.short.items() if d in ds and f in text]
    if d.name in text or not forms:
        return d.name
    return max(forms, key=text.count)


def find_place(meta, lines: list[str], body: str, idx: DivisionIndex, page_text: str = "",
               address: str = "") -> Place:
    place = Place()
    start = 0 if meta.title_line is None else meta.title_line + 1
    evidence = meta.title + "\n" + body + "\n" + page_text
    name = ""
    for text in (meta.issuer, meta.place_name):
        names = idx.names_in(text, short_forms=True) if text else []
        if names:
            name = names[-1]  # addresses run from the widest to the narrowest unit
            break
    township = _TOWNSHIP.match(meta.issuer or meta.place_name or "")
    if township and not (name and name.endswith(("县", "区", "市", "旗")) and township.group(1).startswith(name)):
        return _township(township.group(1), idx, evidence, place)
    kind = None
    if not name:
        issuer = meta.issuer or meta.place_name
        if issuer and _NATIONAL.search(issuer):
            place.jurisdiction, place.admin_level = NATIONAL_NAME, "national"
            return place
        if not meta.issuer and re.fullmatch(r"全?[省市州区县旗盟]", meta.place_name or ""):
            kind = meta.place_name[-1]  # 关于2018年度全省…: the level, not the place
        elif issuer and issuer[0] in _KIND_CHARS:
            kind = issuer[0]  # 省人民政府, 省政务办, 县司法局: the level, not the place
        elif meta.place_name:
            place.warnings.append(f"place '{meta.place_name}' in the title is not in the division reference")
            place.jurisdiction = meta.place_name
            return place
    if not name and not meta.issuer and kind is None:
        subject, found, token = opening_subject(idx, lines[start:start + 3])
        if token and _speaks_as_department(token, body):
            place.issuer = "" if token.startswith("我") else token
            place.issuer_type = "department"
            place.warnings.append(f"the report speaks as a department ('{token}', opening sentence)")
            if not subject:
                if token[0] in _KIND_CHARS:
                    kind = token[0]
                elif token[-1] in _DEPARTMENT_LEVEL:
                    kind = _DEPARTMENT_LEVEL[token[-1]]
                elif _NATIONAL.search(token):
                    place.jurisdiction, place.admin_level = NATIONAL_NAME, "national"
                    return place
        if subject:
            name = subject
            place.warnings.append(f"jurisdiction '{name}' read from the subject of the opening sentence")
    if not name:
        # No title names the place: take the division the body names most often among those of
        # the kind of place the report speaks as (我区 / 区政府 → a 区).
        if kind is None:
            kind = self_reference_suffix(lines, start)
        ranked = _count_in_body(idx, body, kind).most_common(2)
        if ranked and ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            d = idx.by_code[ranked[0][0]]
            place.division, place.jurisdiction = d, _surface(d, idx, body)
            place.admin_level = d.division_level
            place.warnings.append(f"jurisdiction '{place.jurisdiction}' read from the body ({ranked[0][1]} mentions)")
            return place
        d = division_from_address(address, idx, kind)
        if d is not None:
            place.division, place.jurisdiction, place.admin_level = d, d.name, d.division_level
            place.warnings.append(f"the text names no place: jurisdiction '{d.name}' read from the address "
                                  f"it was retrieved from ({urlsplit(address).hostname})")
            return place
        place.warnings.append("no place found: jurisdiction and division code are empty")
        return place
    division, reason = idx.resolve(name, evidence)
    if division is None or "ambiguous" in reason:
        place.warnings.append(reason)
    place.jurisdiction, place.division = name, division
    place.admin_level = division.division_level if division else None
    return place


_LEVEL_RANK = {"province": 0, "prefecture": 1, "county": 2}


def division_from_address(address: str, idx: DivisionIndex, kind: str | None) -> Division | None:
    """The place a government site's host names in pinyin (evidence 4 of the module docstring)."""
    host = (urlsplit(address).hostname or "") if address else ""
    # A mirror's host says nothing of the government; and a portal also hosts the reports of the
    # places under it (a municipality's site, a county's report), so the level must be known.
    if not host.endswith(".gov.cn") or kind is None:
        return None
    # From the narrowest label (a county's site under its city's domain) to the widest; labels of
    # three letters or fewer are initials (jtt, sfj, hbj: a department), not a name.
    for label in host.split(".")[:-2]:
        found = [d for d in idx.by_pinyin.get(label, []) if len(label) >= 4 and _kind_matches(d, kind)]
        if not found:
            continue
        top = min(_LEVEL_RANK[d.division_level] for d in found)
        highest = [d for d in found if _LEVEL_RANK[d.division_level] == top]
        return highest[0] if len(highest) == 1 else None
    return None


def issuer_with_place(issuer: str, jurisdiction: str) -> str:
    """A body printed without its place (县司法局, 省人民政府, 州政务局) named with the jurisdiction
    found for the report (潼关县司法局, 湖北省人民政府); any other name as printed."""
    if len(issuer) > 1 and issuer[0] in _KIND_CHARS and jurisdiction.endswith(issuer[0]) \
            and not issuer.startswith(jurisdiction) and not _LEVEL_CHAR_WORD.match(issuer):
        return jurisdiction + issuer[1:]
    return issuer


def _township(name: str, idx: DivisionIndex, evidence: str, place: Place) -> Place:
    """A township report: its own name, level township, and the county the text names most."""
    place.jurisdiction, place.admin_level = name, "township"
    counts = Counter(d.division_code for n in idx.names_in(evidence, short_forms=True)
                     for d in idx.lookup(n) if d.division_level == "county")
    ranked = counts.most_common(2)
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        place.division = idx.by_code[ranked[0][0]]
        place.warnings.append(f"township '{name}': division code of the county the text names ({place.division.name})")
    else:
        place.warnings.append(f"township '{name}': the county is not named unambiguously, so the division code is empty")
    return place
