"""Which language a message is in (English or German), and German IT wording read in English words.

The embedding model reads English only, and the starter articles are English. Rather than a multilingual model
(none installs with its weights from the package registries), a German question is given an *English reading*:
its IT words rendered through a glossary (`languages/de.yml`), phrases first, then words, then compounds split into
listed parts. Retrieval and intent detection read that; the person still sees their own words.

Detection combines two signals, because each fails where the other holds: a character n-gram language identifier
(py3langid, narrowed to English and German) is sure of itself on sentences but guesses on one or two words
("Hallo" → English); the glossary knows the short German words people type ("Danke", "Drucker", "Passwort").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

Language = Literal["en", "de"]
LANGUAGES: tuple[Language, ...] = ("en", "de")

GLOSSARY_PATH = Path(__file__).resolve().parent / "languages" / "de.yml"
# Below this many words the identifier's guess is not used: one or two words are decided by the glossary alone.
MIN_WORDS_FOR_IDENTIFIER = 3
# The identifier's normalised probability (between the two languages) it must reach to decide on its own.
IDENTIFIER_SURE = 0.9
# German glossary entries that are everyday English words too ("was", "hat"): no evidence either way.
_SHARED_SPELLINGS = frozenset(
    {"was", "hat", "handy", "ton", "mail", "mails", "wo", "will", "kann", "stock", "den", "es"}
)
# Compound parts shorter than this are not split off ("ei" in "Kennwortreihe" is not a part).
_MIN_COMPOUND_PART = 3
_LINKING_LETTERS = ("", "s", "n", "en", "e")
_WORD = re.compile(r"[^\W\d_][\w\-]*", re.UNICODE)
_GERMAN_LETTERS = re.compile(r"[äöüß]", re.IGNORECASE)


@dataclass(frozen=True)
class Glossary:
    """German words and phrases with their English reading."""

    phrases: dict[str, str]
    words: dict[str, str]

    @classmethod
    def load(cls, path: Path = GLOSSARY_PATH) -> Glossary:
        """Read and check the glossary file."""
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping with 'phrases' and 'words'")
        phrases = {str(k).lower(): str(v) for k, v in (data.get("phrases") or {}).items()}
        words = {str(k).lower(): str(v) for k, v in (data.get("words") or {}).items()}
        return cls(phrases=phrases, words=words)

    @property
    def german_evidence(self) -> frozenset[str]:
        """Words that only a German text would contain."""
        return frozenset(k for k, v in self.words.items() if k != v.lower() and k not in _SHARED_SPELLINGS)

    @property
    def english_evidence(self) -> frozenset[str]:
        """English words of the glossary's readings (the words an English text of the same kind uses)."""
        english = {w.lower() for v in (*self.words.values(), *self.phrases.values()) for w in _WORD.findall(v)}
        return frozenset(english - self.german_evidence)


@cache
def _glossary() -> Glossary:
    return Glossary.load()


@cache
def _phrase_pattern() -> re.Pattern[str]:
    phrases = sorted(_glossary().phrases, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)", re.IGNORECASE)


@cache
def _identifier() -> Any:
    """py3langid's model, narrowed to English and German (loads in about half a second, once)."""
    from py3langid import langid

    identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str, *, default: Language = "en") -> Language:
    """English or German; `default` (say, the conversation's language so far) when the text does not tell."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return default
    if len(words) >= MIN_WORDS_FOR_IDENTIFIER:
        language, probability = _identifier().classify(text)
        if probability >= IDENTIFIER_SURE and language in LANGUAGES:
            return "de" if language == "de" else "en"
    glossary = _glossary()
    german = sum(w in glossary.german_evidence or _is_compound(w, glossary) for w in words)
    german += 2 if _GERMAN_LETTERS.search(text) else 0
    english = sum(w in glossary.english_evidence for w in words)
    if german > english:
        return "de"
    if english > german:
        return "en"
    return default


def english_reading(text: str) -> str:
    """A German text with its IT wording in English words; any other text unchanged."""
    if detect_language(text) != "de":
        return text
    glossary = _glossary()
    read = _phrase_pattern().sub(lambda m: glossary.phrases[m.group(0).lower()], text)
    return _WORD.sub(lambda m: _read_word(m.group(0), glossary), read)


def _read_word(word: str, glossary: Glossary) -> str:
    lower = word.lower()
    if lower in glossary.words:
        return glossary.words[lower]
    parts = _compound_parts(lower, glossary.words)
    return " ".join(glossary.words[p] for p in parts) if parts else word


def _is_compound(word: str, glossary: Glossary) -> bool:
    return word not in glossary.words and _compound_parts(word, glossary.words) is not None


def _compound_parts(word: str, words: dict[str, str]) -> list[str] | None:
    """Split a German compound into glossary words ("druckerproblem" → drucker, problem), or None."""
    if len(word) < 2 * _MIN_COMPOUND_PART:
        return None
    for end in range(len(word) - _MIN_COMPOUND_PART, _MIN_COMPOUND_PART - 1, -1):
        head = word[:end]
        if head not in words:
            continue
        for link in _LINKING_LETTERS:
            rest = word[end:]
            if not rest.startswith(link):
                continue
            rest = rest[len(link) :]
            if rest in words and len(rest) >= _MIN_COMPOUND_PART:
                return [head, rest]
            tail = _compound_parts(rest, words)
            if tail:
                return [head, *tail]
    return None
