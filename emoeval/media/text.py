"""Preparing responses for text metrics: Unicode normalisation and the "is there anything to judge?" test.

A reply made only of invisible characters — zero-width spaces and joiners, a byte-order mark, bidi marks — is
not empty to ``str.strip()`` (they are format characters, not white space), so it used to reach the models,
which drop those characters and embed what is left: nothing but the tokenizer's special tokens, a vector that
scored a *higher* coherence than real replies. :func:`is_blank` removes white space, control characters and
every default-ignorable code point (Unicode's ``Default_Ignorable_Code_Point``: all format characters, category
Cf, except the visible prepended concatenation marks, plus the variation selectors, the combining grapheme
joiner and the Hangul fillers) before testing for emptiness; :func:`emoeval.reference_models.text_embedding.
check_text`, which every text metric and text model goes through, turns a blank text into a per-sample error.

:func:`normalize_text` applies NFC, the canonical composition: a decomposed "é" (``e`` + U+0301) and the
composed U+00E9 become the same code point, so lexical metrics (BLEU, ROUGE, distinct-n) and the cache key see
one text, while what the text says is untouched. NFKC is not used: its compatibility mappings rewrite visible
text (``ﬁ`` → ``fi``, ``²`` → ``2``, full-width letters → ASCII, ``…`` → ``...``), which would change the tokens
the reference implementations (sacrebleu, rouge-score) count.
"""

from __future__ import annotations

import unicodedata

#: categories that never make a text non-empty: controls, format characters, separators (spaces, line breaks)
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
#: format characters (Cf) that are visible: Unicode's Prepended_Concatenation_Mark (Arabic number signs...)
VISIBLE_FORMAT = frozenset(
    {chr(c) for c in range(0x0600, 0x0606)}
    | {"\u06dd", "\u070f", "\u0890", "\u0891", "\u08e2"}
    | {"\U000110bd", "\U000110cd"}
)
#: Default_Ignorable_Code_Point characters outside category Cf (Unicode DerivedCoreProperties.txt, 15.1):
#: combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian free variation selectors,
#: variation selectors 1–256
IGNORABLE = frozenset(
    {"\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180b", "\u180c", "\u180d", "\u180f", "\u3164", "\uffa0"}
    | {chr(c) for c in range(0xFE00, 0xFE10)}
    | {chr(c) for c in range(0xE0100, 0xE01F0)}
)


def normalize_text(text: str) -> str:
    """``text`` in Unicode NFC (canonical composition; see the module docstring for why not NFKC).

    >>> normalize_text("cafe\\u0301") == "caf\\u00e9"
    True
    >>> normalize_text("\\ufb01ne")  # the "fi" ligature is kept (NFKC would write "fine")
    'ﬁne'
    """
    return unicodedata.normalize("NFC", text)


def is_invisible(char: str) -> bool:
    """Whether one character shows nothing: white space, a control, a format character or a default-ignorable.

    >>> [is_invisible(c) for c in ("\\u200b", "\\ufeff", "\\u00a0", "\\u200e", "a", "\\u0600", ".")]
    [True, True, True, True, False, False, False]
    """
    if char in IGNORABLE or char.isspace():
        return True
    return unicodedata.category(char) in INVISIBLE_CATEGORIES and char not in VISIBLE_FORMAT


def visible_text(text: str) -> str:
    """``text`` without its invisible characters (:func:`is_invisible`): what a reader would see, run together.

    >>> visible_text(" Hi\\u200b there\\ufeff ")
    'Hithere'
    """
    return "".join(char for char in text if not is_invisible(char))


def is_blank(text: str) -> bool:
    """Whether ``text`` is empty once white space, controls and invisible format characters are removed.

    >>> is_blank("\\u200b\\u200c\\u200d\\ufeff\\u2060"), is_blank(" \\t\\n\\u3000"), is_blank(""), is_blank("ok")
    (True, True, True, False)
    """
    return not any(not is_invisible(char) for char in text)


#: the reason :func:`~emoeval.reference_models.text_embedding.check_text` gives for a blank text
BLANK_REASON = (
    "the text is empty after removing whitespace and invisible format characters (zero-width spaces and "
    "joiners, byte-order marks, bidi marks); the generator produced no visible reply"
)

__all__ = ["BLANK_REASON", "is_blank", "is_invisible", "normalize_text", "visible_text"]
