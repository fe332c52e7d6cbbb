"""Text for SEPA files: the EPC "Latin" character set, within the field's length.

The EPC guidelines allow only `a-z A-Z 0-9 / - ? : ( ) . , ' +` and space in SEPA messages
(XSD validation does not check it: `Max140Text` accepts any Unicode). Banks may replace other
characters or reject the file, so every text written to a pain.001 goes through `sepa_text`
(names, remittance) or `sepa_identifier` (MsgId, PmtInfId, EndToEndId).

Conversions of each character (the tables below first, then the Unicode decomposition):
  * letters that do not decompose are spelt out: œ→oe, æ→ae, ß→ss, ø→o, ł→l, đ→d; other
    accents and ligatures are decomposed (NFKD) and the combining marks dropped: é→e, ç→c,
    "ﬁ"→"fi", "½"→"1/2";
  * `&` → `+`: the EPC/German DK conversion for the ampersand, one character (so a cut never
    lands inside it) and language-neutral ("Dupont & Fils" → "Dupont + Fils");
  * `°` → `o` ("N° 12" → "No 12"), `€` → `EUR` (set off by spaces from a neighbouring letter or
    digit: "100€" → "100 EUR");
  * typographic apostrophes and quotes (’ ‘ ʼ ` ´ « » “ ” „ ") → `'`; the spaces just inside
    French guillemets are dropped ("« Bio »" → "'Bio'");
  * dashes and minus signs (‐ ‑ – — −) → `-`, fraction slash → `/`;
  * separators (whitespace, `_ ; * = # ! | @ \\ ~ < > [ ] { } · •`) → space. The semicolon is
    NOT in the EPC Latin set, whatever some lists say, so it becomes a space too;
  * anything else is dropped (other scripts, symbols such as `%` or `$`);
then whitespace is collapsed and trimmed, and the text is cut to `max_length` — at the last
space when that keeps at least half of the room, otherwise at the last whole converted character
(an expansion such as "EUR" or "oe" is never split).
"""

from __future__ import annotations

import string
import unicodedata

ALLOWED = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")

_SPELLED = {
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS",
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
    "þ": "th", "Þ": "Th", "ı": "i", "ħ": "h", "Ħ": "H", "ŀ": "l", "Ŀ": "L",
    "&": "+", "°": "o", "⁄": "/", "∕": "/",
}
_WORDS = {"€": "EUR"}  # expansions that must stand apart from a neighbouring letter or digit
_QUOTES = frozenset("’‘ʼ`´′‚‛«»“”„‟\"‹›")
_OPENING = frozenset("«‹")
_CLOSING = frozenset("»›")
_DASHES = frozenset("‐‑‒–—―−﹣－")
_SEPARATORS = frozenset("_;*=#!|@\\~<>[]{}·•")


def _convert(char: str) -> str:
    """One character (already NFKD-decomposed) to its SEPA text; "" to drop it."""
    if char in ALLOWED:
        return char
    if char.isspace() or char in _SEPARATORS:
        return " "
    if char in _SPELLED:
        return _SPELLED[char]
    if char in _QUOTES:
        return "'"
    if char in _DASHES:
        return "-"
    return ""  # combining marks, other scripts, symbols


def _split_spaces(piece: str) -> list[str]:
    if " " not in piece or piece == " ":
        return [piece]
    parts: list[str] = []
    for word in piece.split(" "):
        parts += [word, " "]
    return parts[:-1]


def _pieces(text: str) -> list[str]:
    """Each source character as the SEPA text it becomes: a cut never splits a piece.

    Spaces are normalised to single " " pieces, none at either end.
    """
    raw: list[str] = []
    for index, char in enumerate(text):
        if char in _WORDS:
            before = index > 0 and text[index - 1].isalnum()
            after = index + 1 < len(text) and text[index + 1].isalnum()
            raw += [" " if before else "", _WORDS[char], " " if after else ""]
            continue
        # the tables first (NFKD would turn "´" into a space), then the decomposition
        piece = _convert(char) or "".join(_convert(c) for c in unicodedata.normalize("NFKD", char))
        if char in _OPENING:
            raw += [piece, "\0open"]
        elif char in _CLOSING:
            raw += ["\0close", piece]
        else:  # an NFKD expansion may hold a space ("¨" → " ̈"): keep spaces separate pieces
            raw += _split_spaces(piece)
    pieces: list[str] = []
    drop_next_space = False
    for piece in raw:
        if piece == "\0open":
            drop_next_space = True
            continue
        if piece == "\0close":
            while pieces and pieces[-1] == " ":
                pieces.pop()
            continue
        if not piece:
            continue
        if piece.isspace():
            if drop_next_space or not pieces or pieces[-1] == " ":
                continue
            piece = " "
        drop_next_space = False
        pieces.append(piece)
    while pieces and pieces[-1] == " ":
        pieces.pop()
    return pieces


def _cut(pieces: list[str], max_length: int, *, at_word: bool) -> str:
    text = "".join(pieces)
    if len(text) <= max_length:
        return text
    kept: list[str] = []
    length = 0
    last_space = None
    for index, piece in enumerate(pieces):
        if length + len(piece) > max_length:
            break
        if piece == " ":
            last_space = index
        kept.append(piece)
        length += len(piece)
    if at_word:
        next_piece = pieces[len(kept)]
        if next_piece == " ":  # the cut falls exactly at the end of a word
            last_space = len(kept)
        if last_space is not None and last_space >= 1 and \
                len("".join(pieces[:last_space])) >= max_length // 2:
            kept = pieces[:last_space]
    return "".join(kept).rstrip(" ")


def sepa_text(text: str, max_length: int) -> str:
    """`text` in the EPC Latin character set, whitespace collapsed, at most `max_length` long.

    May return "" (nothing convertible): the caller decides whether the field can be empty.
    """
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    return _cut(_pieces(text), max_length, at_word=True)


def sepa_identifier(text: str, max_length: int = 35) -> str:
    """An identifier (MsgId, PmtInfId, EndToEndId): the SEPA text with no space, no leading or
    trailing "/" and no "//", cut (hard) to `max_length`."""
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    pieces: list[str] = []
    for piece in _pieces(text):
        compact = piece.replace(" ", "")
        if compact.startswith("/") and (not pieces or pieces[-1].endswith("/")):
            compact = compact.lstrip("/")  # no leading "/", no "//"
        if compact:
            pieces.append(compact)
    return _cut(pieces, max_length, at_word=False).rstrip("/")
