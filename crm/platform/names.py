"""Name folding for duplicate detection: one key for every spelling of the same customer name."""

from __future__ import annotations

import re
import unicodedata

# Trailing words that say what kind of company it is, not which one (compared after folding).
_LATIN_SUFFIXES = frozenset(
    {
        "co",
        "ltd",
        "inc",
        "llc",
        "gmbh",
        "corp",
        "company",
        "limited",
        "plc",
        "corporation",
        "incorporated",
        "group",
    }
)
# Longest first, so 股份有限公司 goes before 有限公司 can leave 股份 behind.
_CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团", "公司")
_WORD = re.compile(r"[^\W_]+")


def normalise_name(name: str) -> str:
    """Fold a customer name to its duplicate-detection key: width, case, punctuation, company suffixes."""
    words = _WORD.findall(unicodedata.normalize("NFKC", name or "").casefold())
    while len(words) > 1 and words[-1] in _LATIN_SUFFIXES:
        words.pop()
    key = "".join(words)
    while key not in _CJK_SUFFIXES:  # a name that is only a suffix keeps it
        suffix = next((s for s in _CJK_SUFFIXES if key.endswith(s)), None)
        if suffix is None:
            break
        key = key[: -len(suffix)]
    return key
