"""Triage: the priority matrix and who raises impact, the classifier and its saved form, the default model, the
labelled-export reader, the scores `triage eval` prints, and batch input lines."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from bot.kb.embedder import EncoderEmbedder
from bot.triage.batch import BatchTicket, parse_line
from bot.triage.classifier import TicketClassifier
from bot.triage.config import DEFAULT_TRIAGE_CONFIG, TriageConfig, TriageConfigError
from bot.triage.evaluation import cross_validate, ours, score
from bot.triage.labelled import LabelledDataError, read_labelled
from bot.triage.model_versions import DEFAULT_TICKETS, ModelVersions, default_model
from bot.triage.priority import assess_priority
from bot.triage.triager import Triager
from knowledge.embeddings import MiniLMEncoder

CONFIG = TriageConfig.load()


@pytest.mark.parametrize(
    ("text", "priority", "impact", "urgency"),
    [
        ("the whole office has no internet, nobody can work, urgent", "P1", "high", "high"),
        ("I can't work, my laptop won't boot and I have a deadline", "P3", "low", "high"),
        ("our team cannot open the shared folder", "P3", "medium", "medium"),
        ("how do I change my Outlook signature?", "P4", "low", "low"),
        ("I need the slides fixed before my presentation", "P3", "low", "high"),
    ],
)
def test_priority_comes_from_how_urgent_it_sounds_and_how_many_it_hits(
    text: str, priority: str, impact: str, urgency: str
) -> None:
    assessment = assess_priority(text=text, config=CONFIG.priority)
    assert (assessment.priority, assessment.impact, assessment.urgency) == (priority, impact, urgency), assessment.why


def test_vips_departments_and_many_reporters_raise_impact(tmp_path: Path) -> None:
    path = tmp_path / "triage.yml"
    path.write_text(
        DEFAULT_TRIAGE_CONFIG.read_text()
        .replace("vip: []", "vip: [CEO@Example.com]")
        .replace("departments: {}", "departments: {Trading: high}")
    )
    config = TriageConfig.load(path).priority
    text = "Excel crashes when I open the report"
    assert assess_priority(text=text, config=config).priority == "P4"
    vip = assess_priority(text=text, config=config, email="ceo@example.com")
    assert (vip.impact, vip.priority, "VIP" in vip.why) == ("medium", "P3", True)
    assert assess_priority(text=text, config=config, department="trading").impact == "high"
    assert assess_priority(text=text, config=config, reporters=2).impact == "medium"
    many = assess_priority(text=text, config=config, reporters=5)
    assert (many.impact, many.priority) == ("high", "P2")
    assert "5 people reported it" in many.why


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("high:   {high: P1, medium: P2, low: P3}", "high:   {high: P1, medium: P2}"), r"matrix\[high\]\[low\]"),
        (("{high: P1,", "{high: P0,"), "must be one of P1"),
        (("reporters_for_high: 5", "reporters_for_high: 1"), "greater than or equal to 2"),
        (("min_confidence: 0.5", "min_confidence: 2"), "min_confidence"),
        (("similarity: 0.5", "similarity: high"), "surge.similarity"),
    ],
)
def test_a_broken_triage_configuration_names_the_problem(tmp_path: Path, change: tuple[str, str], problem: str) -> None:
    path = tmp_path / "triage.yml"
    path.write_text(DEFAULT_TRIAGE_CONFIG.read_text().replace(*change, 1))
    with pytest.raises(TriageConfigError, match=problem):
        TriageConfig.load(path)


def triager(
    encoder: MiniLMEncoder,
    *,
    min_confidence: float = 0.5,
    group_model: TicketClassifier | None = None,
    known_groups: frozenset[str] = frozenset({"service-desk"}),
) -> Triager:
    return Triager(
        embedder=EncoderEmbedder(encoder=encoder),
        category_model=default_model(encoder, "category").classifier,
        group_model=group_model,
        config=CONFIG.model_copy(update={"min_confidence": min_confidence}),
        route=lambda category: {"network": "network-team"}.get(category, "service-desk"),
        default_group="service-desk",
        known_groups=known_groups,
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "category", "group"),
    [
        ("my vpn keeps dropping every few minutes", "network", "network-team"),
        ("I clicked a link in a weird email and typed my password", "security", "service-desk"),
        ("the printer on floor 2 is jammed again", "hardware", "service-desk"),
        ("I need access to the marketing SharePoint site", "access", "service-desk"),
        ("Teams won't start after the update", "software", "service-desk"),
    ],
)
async def test_the_default_model_knows_common_it_problems(
    encoder: MiniLMEncoder, text: str, category: str, group: str
) -> None:
    result = await triager(encoder).triage(text)
    assert (result.category, result.group, result.unsure) == (category, group, False), result
    assert result.category_confidence >= 0.5


@pytest.mark.asyncio
async def test_an_unsure_prediction_says_so_and_goes_to_the_default_group(encoder: MiniLMEncoder) -> None:
    result = await triager(encoder, min_confidence=0.99).triage("my vpn keeps dropping every few minutes")
    assert (result.category, result.suggested_category, result.group, result.unsure) == (
        "general",
        "network",
        "service-desk",
        True,
    )
    # A detected self-service intent still names the category when the text model is unsure.
    reset = await triager(encoder, min_confidence=0.99).triage("reset my password please", intent="reset_password")
    assert (reset.category, reset.unsure) == ("account", False)


@pytest.mark.asyncio
async def test_a_trained_group_model_routes_only_to_groups_staff_yml_defines(encoder: MiniLMEncoder) -> None:
    texts = [
        "vpn drops",
        "wifi is slow",
        "no network in the office",
        "laptop screen broken",
        "new keyboard please",
        "monitor flickers",
    ]
    groups = ["net-ops", "net-ops", "net-ops", "desk-side", "desk-side", "desk-side"]
    model = TicketClassifier.fit(texts=texts, vectors=encoder.encode(texts), labels=groups)
    known = await triager(
        encoder, group_model=model, known_groups=frozenset({"net-ops", "service-desk"}), min_confidence=0.3
    ).triage("the vpn keeps dropping")
    assert (known.group, known.group_confidence is not None) == ("net-ops", True)
    unknown = await triager(
        encoder, group_model=model, known_groups=frozenset({"service-desk"}), min_confidence=0.3
    ).triage("the vpn keeps dropping")
    assert (unknown.group, unknown.group_confidence) == ("network-team", None)  # routed by category instead


def test_a_saved_model_predicts_what_it_predicted_before_saving(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    model = default_model(encoder, "category")
    shelf = ModelVersions(tmp_path / "models")
    assert shelf.latest("category") is None
    first = shelf.save("category", model.classifier, source="default_tickets.csv", rows=model.info.rows)
    second = shelf.save("category", model.classifier, source="again.csv", rows=1)
    assert (first.version, second.version, shelf.versions("category")) == (1, 2, [1, 2])
    loaded = shelf.latest("category")
    assert loaded is not None
    assert loaded.info.source == "again.csv"

    texts = ["outlook keeps crashing", "my account is locked", "need a new headset", "the wifi is down"]
    vectors = encoder.encode(texts)
    before = model.classifier.predict(texts=texts, vectors=vectors)
    after = loaded.classifier.predict(texts=texts, vectors=vectors)
    assert [p.label for p in after] == [p.label for p in before]
    assert np.allclose([p.confidence for p in after], [p.confidence for p in before])


def test_a_damaged_model_folder_is_refused(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    folder = tmp_path / "v1"
    default_model(encoder, "category").classifier.save(folder)
    (folder / "vocabulary.json").write_text('{"vpn": 0}')
    with pytest.raises(ValueError, match="do not match"):
        TicketClassifier.load(folder)
    (folder / "weights.npz").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="not a triage model"):
        TicketClassifier.load(folder)


def test_the_packaged_examples_cover_every_category_evenly() -> None:
    data = read_labelled(DEFAULT_TICKETS, text_column="text", label_column="category")
    counts = {label: data.labels.count(label) for label in set(data.labels)}
    assert counts == dict.fromkeys(["account", "access", "email", "hardware", "network", "security", "software"], 40)


def test_exports_are_read_from_csv_and_gzipped_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    body = "\ufeffBody,Team,Other\nvpn drops,Network,x\n,Network,x\nlaptop,Hardware,x\nprinter jam,,x\n"
    plain = tmp_path / "tickets.csv"
    plain.write_text(body, encoding="utf-8")
    packed = tmp_path / "tickets.csv.gz"
    packed.write_bytes(gzip.compress(body.encode()))
    for path in (plain, packed):
        data = read_labelled(path, text_column="Body", label_column="Team")
        assert (data.texts, data.labels, data.skipped) == (("vpn drops", "laptop"), ("Network", "Hardware"), 2)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("a.csv", b"Body,Team\nvpn,Network\n", "no column 'Group'; the columns are Body, Team"),
        ("b.csv", b"Body,Group\nvpn,Network\nwifi,Network\n", "1 distinct labels"),
        ("c.csv.gz", b"Body,Group\nnot gzip at all\n", "cannot read it as gzipped CSV"),
        ("d.csv", b"Body,Group\n\xff\xfe broken,x\n", "cannot read it as CSV"),
    ],
)
def test_an_unusable_export_is_refused_with_the_reason(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LabelledDataError, match=problem):
        read_labelled(path, text_column="Body", label_column="Group")
    with pytest.raises(LabelledDataError, match="no such file"):
        read_labelled(tmp_path / "missing.csv", text_column="Body", label_column="Group")


def test_scores_are_the_usual_definitions() -> None:
    gold = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "b", "a"]
    scores = score(gold, predicted)
    assert scores.accuracy == pytest.approx(4 / 6)
    per_class = {c.label: (c.precision, c.recall, c.support) for c in scores.per_class}
    assert per_class == {
        "a": (pytest.approx(2 / 3), pytest.approx(2 / 3), 3),
        "b": (pytest.approx(2 / 3), 1.0, 2),
        "c": (0.0, 0.0, 1),
    }
    f1 = {"a": 2 / 3, "b": 0.8, "c": 0.0}
    assert scores.macro_f1 == pytest.approx(sum(f1.values()) / 3)
    assert scores.weighted_f1 == pytest.approx((f1["a"] * 3 + f1["b"] * 2) / 6)
    assert set(scores.confusions) == {("a", "b", 1), ("c", "a", 1)}


def test_cross_validation_needs_enough_examples_of_each_label(encoder: MiniLMEncoder) -> None:
    texts = ["vpn"] * 6 + ["printer"] * 2
    labels = ["network"] * 6 + ["hardware"] * 2
    with pytest.raises(ValueError, match="rarest label has 2 rows"):
        cross_validate(texts=texts, vectors=encoder.encode(texts), labels=labels, folds=3, trainers={"ours": ours})


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"text": "vpn"}', "'id' must be"),
        ('{"id": true, "text": "vpn"}', "'id' must be"),
        ('{"id": "", "text": "vpn"}', "'id' must be"),
        ('{"id": 7, "text": "   "}', "'text' must be"),
        ('{"id": 7, "text": ["vpn"]}', "'text' must be"),
    ],
)
def test_a_bad_batch_line_gets_a_reason(line: str, problem: str) -> None:
    parsed = parse_line(3, line)
    assert isinstance(parsed, str)
    assert problem in parsed


def test_a_good_batch_line_keeps_its_id_as_given() -> None:
    assert parse_line(4, '{"id": 17, "text": " vpn drops "}') == BatchTicket(line=4, id=17, text="vpn drops")
    assert parse_line(5, '{"id": "INC1", "text": "x"}') == BatchTicket(line=5, id="INC1", text="x")
