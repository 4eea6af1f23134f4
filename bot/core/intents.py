"""Intent detection: a classifier trained on the example utterances, over the message as a person reads it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml

from bot.core import intent_cache
from bot.core.intent_model import IntentModel
from bot.core.message_reading import MessageReading, normalise, read_message
from bot.core.model import IntentMatch
from bot.core.ports import Embedder

ACTION_INTENTS = frozenset({"reset_password", "unlock_account", "reset_mfa", "request_access", "request_software"})
SMALL_TALK_INTENTS = frozenset({"greeting", "help", "thanks"})
# Examples listed under "none" are near misses: knowledge questions that sound like requests ("how do I
# set up MFA for the first time" vs "reset my MFA"). They train the explicit out-of-scope class.
NO_INTENT = "none"
KNOWN_INTENTS = ACTION_INTENTS | SMALL_TALK_INTENTS | {"human", NO_INTENT}

# A message with several asks gets the action that covers the others: a password reset also unlocks the account.
COVERS: Mapping[str, frozenset[str]] = {"reset_password": frozenset({"unlock_account"})}
# How likely the covering ask must be, next to the covered one, to count as asked as well: in the whole message, or
# in one clause on its own ("account locked // password reset request"). A clause is short and often ambiguous
# ("I know the password" leans towards a reset), so a clause has to be near certain.
COVER_SHARE = 0.3
COVER_CLAUSE_SHARE = 0.9
# The whole message's probability of a request for a person above which its clauses are read one by one. Messages
# that end up handed off because of one clause had 0.27 and 0.38 on the development set; most messages have ~0.
CLAUSE_LOOK = 0.05

# "Hi, my VPN drops every hour" is nearest to a greeting but is a VPN question: small talk only counts
# for short messages, so anything with substance goes on to intent-free retrieval.
SMALL_TALK_MAX_WORDS = 6

DEFAULT_EXAMPLES_PATH = Path(__file__).with_name("intent_examples.yml")


@dataclass(frozen=True, kw_only=True)
class IntentExamples:
    """The example utterances per intent and the out-of-scope threshold (a class probability)."""

    threshold: float
    utterances: tuple[str, ...]
    labels: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> IntentExamples:
        """Read and validate the YAML file of examples."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("intents"), dict):
            raise ValueError(f"{path}: expected a mapping with 'threshold' and 'intents'")
        unknown = set(data["intents"]) - KNOWN_INTENTS
        if unknown:
            raise ValueError(f"{path}: unknown intents {sorted(unknown)}")
        utterances: list[str] = []
        labels: list[str] = []
        for intent, examples in data["intents"].items():
            for example in examples or []:
                utterances.append(str(example))
                labels.append(str(intent))
        if not utterances:
            raise ValueError(f"{path}: no example utterances")
        return cls(threshold=float(data.get("threshold", 0.5)), utterances=tuple(utterances), labels=tuple(labels))


Probabilities = dict[str, float]


@dataclass(frozen=True, kw_only=True)
class ScoredMessage:
    """A message as read, with the class probabilities of the whole reading and of each of its clauses."""

    reading: MessageReading
    whole: Probabilities
    clauses: tuple[tuple[str, Probabilities], ...]


class ClassifierIntentDetector:
    """Names the intent of a message with a classifier trained at start-up on the example utterances."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        examples: IntentExamples,
        threshold: float | None = None,
        embedding_reading: Callable[[str], str] = str,
        cache_dir: Path | None = None,
    ) -> None:
        """Args:
        embedding_reading: the text the (English-only) embedding model reads, e.g. German IT wording in English
            words; the character n-grams always read the text itself.
        cache_dir: where the trained model is kept between starts (retrained when anything it came from changed).
        """
        self._embedder = embedder
        self._examples = examples
        self._threshold = examples.threshold if threshold is None else threshold
        self._embedding_reading = embedding_reading
        self._cache_dir = cache_dir
        self._model: IntentModel | None = None
        self._lock = asyncio.Lock()

    @property
    def threshold(self) -> float:
        return self._threshold

    async def warm_up(self) -> None:
        """Train on the examples once, at start-up, so the first message is not slow."""
        await self._trained()

    async def _trained(self) -> IntentModel:
        async with self._lock:  # concurrent first turns must not train twice
            if self._model is None:
                self._model = await self._train()
            return self._model

    async def _train(self) -> IntentModel:
        texts = [normalise(text) for text in self._examples.utterances]
        inputs = [self._embedding_reading(text) for text in texts]
        cached: Path | None = None
        if self._cache_dir is not None:
            probe = (await self._embedder.embed([intent_cache.PROBE]))[0]
            key = intent_cache.cache_key(texts=texts, inputs=inputs, labels=self._examples.labels, probe=probe)
            cached = self._cache_dir / f"intent-model-{key}.pickle"
            model = await asyncio.to_thread(intent_cache.load, cached)
            if model is not None:
                return model
        vectors = await self._embedder.embed(inputs)
        model = await asyncio.to_thread(IntentModel, texts=texts, vectors=vectors, labels=self._examples.labels)
        if cached is not None:
            await asyncio.to_thread(intent_cache.store, cached, model)
        return model

    async def score(self, texts: Sequence[str], vectors: npt.NDArray[np.float32] | None = None) -> list[ScoredMessage]:
        """Read each text and score its reading, and its clauses where they could change the decision.

        `vectors` are the raw texts' embeddings, if already computed (batch triage).
        """
        model = await self._trained()
        readings = [read_message(text) for text in texts]
        known = {text: vectors[row] for row, text in enumerate(texts)} if vectors is not None else {}
        wholes = await self._probabilities(model, [r.text for r in readings], known)
        # Clauses cost an embedding each, so they are looked at only where they could matter: the whole message
        # leans towards a person at all, or names an ask another action covers.
        closer = [
            r for r, whole in zip(readings, wholes, strict=True) if len(r.clauses) > 1 and _worth_a_closer_look(whole)
        ]
        looked_at = {id(r) for r in closer}
        clause_texts = [c for r in closer for c in r.clauses]
        by_clause = dict(zip(clause_texts, await self._probabilities(model, clause_texts, known), strict=True))
        return [
            ScoredMessage(
                reading=reading,
                whole=whole,
                clauses=tuple((c, by_clause[c]) for c in reading.clauses) if id(reading) in looked_at else (),
            )
            for reading, whole in zip(readings, wholes, strict=True)
        ]

    async def _probabilities(
        self, model: IntentModel, texts: list[str], known: dict[str, npt.NDArray[np.float32]]
    ) -> list[Probabilities]:
        """Class probabilities per text, embedding only what is not known yet (one call, so a single message goes
        through the encoder's cache, which retrieval reads from next)."""
        if not texts:
            return []
        inputs = [self._embedding_reading(text) for text in texts]
        missing = list(dict.fromkeys(text for text in inputs if text not in known))
        if missing:
            known.update(zip(missing, await self._embedder.embed(missing), strict=True))
        rows = model.probabilities(texts, np.stack([known[text] for text in inputs]))
        return [dict(zip(model.classes, map(float, row), strict=True)) for row in rows]

    async def detect(self, text: str) -> IntentMatch:
        """The intent of `text`, or no intent when the classifier is not sure enough or sees a question."""
        return decide(next(iter(await self.score([text]))), threshold=self._threshold)

    async def detect_embedded(self, texts: Sequence[str], vectors: npt.NDArray[np.float32]) -> list[IntentMatch]:
        """`detect` for many texts whose embeddings are already computed (batch triage embeds once)."""
        return [decide(scored, threshold=self._threshold) for scored in await self.score(texts, vectors)]


def decide(scored: ScoredMessage, *, threshold: float) -> IntentMatch:
    """The decision rules over the probabilities, shared by the detector and the threshold calibration.

    A request for a person in any clause wins. Otherwise the whole reading decides, with small talk only for short
    messages; when the asks it names are covered by one action ("locked out and forgot the password"), that action
    gets their combined probability.
    """
    for clause, probabilities in ((scored.reading.text, scored.whole), *scored.clauses):
        if _best(probabilities)[0] == "human" and probabilities["human"] >= threshold:
            return IntentMatch(intent="human", confidence=probabilities["human"], nearest_example=clause)
    short = len(scored.reading.original.split()) <= SMALL_TALK_MAX_WORDS
    allowed = {c: p for c, p in scored.whole.items() if short or c not in SMALL_TALK_INTENTS}
    intent, confidence = _covering(allowed, *_best(allowed), clauses=[p for _, p in scored.clauses])
    if intent == NO_INTENT or confidence < threshold:
        return IntentMatch(intent=None, confidence=scored.whole.get(NO_INTENT, 0.0), nearest_example="")
    return IntentMatch(intent=intent, confidence=confidence, nearest_example=scored.reading.text)


def _covering(
    probabilities: Probabilities, intent: str, confidence: float, *, clauses: Sequence[Probabilities]
) -> tuple[str, float]:
    """The action that covers `intent` when the message also asks for it, with their joint probability."""
    for cover, covered in COVERS.items():
        if intent == cover:
            return cover, min(1.0, confidence + sum(probabilities.get(c, 0.0) for c in covered))
        if intent in covered and (
            probabilities.get(cover, 0.0) >= COVER_SHARE
            or any(clause.get(cover, 0.0) >= COVER_CLAUSE_SHARE for clause in clauses)
        ):
            return cover, min(1.0, confidence + probabilities.get(cover, 0.0))
    return intent, confidence


def _worth_a_closer_look(whole: Probabilities) -> bool:
    covered = frozenset().union(*COVERS.values())
    return whole.get("human", 0.0) >= CLAUSE_LOOK or _best(whole)[0] in covered


def _best(probabilities: Probabilities) -> tuple[str, float]:
    intent = max(probabilities, key=probabilities.__getitem__)
    return intent, probabilities[intent]
