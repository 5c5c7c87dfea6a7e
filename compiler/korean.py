"""Korean wording: particles that agree with the word before them, and forms of condition phrases."""

from __future__ import annotations

__all__ = ["adnominal", "connective", "final_consonant", "josa", "subject", "toward", "topic", "with_"]


def _head_word(word: str) -> str:
    """Drop a closing parenthetical: a particle agrees with the word before it (`경력(햇수)이`)."""
    text = word.rstrip()
    while text.endswith(")"):
        depth = 0
        for i in range(len(text) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(text[i], 0)
            if depth == 0:
                break
        head = text[:i].rstrip() if depth == 0 else ""
        if not head:
            break
        text = head
    return text


def final_consonant(word: str) -> bool | None:
    """Tell whether the last sounded syllable of word ends in a consonant (None: cannot tell)."""
    head = _head_word(word)
    found = _final_consonant_of(head)
    if found is None and head != word:
        # `No-Show(…하지 않음)`: the word before the parenthesis is not Korean; go by the end.
        found = _final_consonant_of(word)
    return found


def _final_consonant_of(word: str) -> bool | None:
    stripped = word.rstrip(" )]}>'\"’”»」』〉》›")
    if not stripped:
        return None
    ch = stripped[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28 != 0
    if ch.isdigit():
        return ch in "0136780"
    if ch == "%":
        return False  # 퍼센트
    return None


def josa(word: str, with_final: str, without_final: str) -> str:
    """Attach the particle that fits word (이/가, 와/과); both forms when it cannot be told."""
    final = final_consonant(word)
    if final is None:
        return f"{word}{with_final}({without_final})"
    return word + (with_final if final else without_final)


def toward(word: str) -> str:
    """Attach 로/으로 to word: 로 after a vowel or ㄹ, 으로 after any other final consonant."""
    stripped = _head_word(word).rstrip(" )]}>'\"’”»」』〉》›")
    ch = stripped[-1:] if stripped else ""
    if "가" <= ch <= "힣":
        final = (ord(ch) - 0xAC00) % 28
        return word + ("로" if final in (0, 8) else "으로")
    if ch.isdigit():
        return word + ("으로" if ch in "036" else "로")
    return f"{word}(으)로"


def subject(word: str) -> str:
    return josa(word, "이", "가")


def topic(word: str) -> str:
    return josa(word, "은", "는")


def with_(word: str) -> str:
    return josa(word, "과", "와")


# Predicate endings of condition phrases: (ending, connective form, adnominal form).
_ENDINGS = (
    ("있음", "있고", "있는"),
    ("없음", "없고", "없는"),
    ("같음", "같고", "같은"),
    ("다름", "다르고", "다른"),
    ("늦음", "늦고", "늦은"),
    ("빠름", "빠르고", "빠른"),
    ("않음", "않고", "않는"),
    ("아님", "아니고", "아닌"),
    ("해당함", "해당하고", "해당하는"),
)


def connective(phrase: str) -> str:
    """Turn a condition phrase into its connective form: `A이 있음` -> `A이 있고`, a noun takes `이고`."""
    for ending, conj, _ in _ENDINGS:
        if phrase.endswith(ending):
            return phrase[: -len(ending)] + conj
    return phrase + "이고"


def adnominal(phrase: str) -> str:
    """Turn a condition phrase into its adnominal form: `A이 있음` -> `A이 있는`, a noun takes `인`."""
    for ending, _, adn in _ENDINGS:
        if phrase.endswith(ending):
            return phrase[: -len(ending)] + adn
    return phrase + "인"
