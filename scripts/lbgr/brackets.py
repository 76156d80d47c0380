"""The brackets that delimit cited titles and the quotation marks that delimit policy terms.

Shared by the extraction (``lbgr.extract.citations``, ``lbgr.extract.policy_terms``) and by the
content rules that check its spans (``lbgr.validate.content_rules``), so that the two cannot
disagree about what encloses a title or a term.
"""

from __future__ import annotations

OUTER_OPEN, OUTER_CLOSE = "《", "》"
# Nested titles only count inside an open 《…》: elsewhere < and > are comparison signs.
NESTED_PAIRS = {"〈": "〉", "<": ">", "＜": "＞"}
CLOSER_OF = {OUTER_OPEN: OUTER_CLOSE, **NESTED_PAIRS}
NESTED_CLOSERS = frozenset(NESTED_PAIRS.values())

QUOTE_PAIRS = {"“": "”", "「": "」", '"': '"'}


def closes(opener: str, closer: str) -> bool:
    """Whether ``closer`` closes ``opener``: its own closer, or any inner closer for an inner
    opener (pages mix them: 〈…> is one nested title)."""
    return CLOSER_OF[opener] == closer or (closer in NESTED_CLOSERS and opener in NESTED_PAIRS)
