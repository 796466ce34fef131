"""The verbatim-mention pass of requirement extraction (pure, no model)."""
from __future__ import annotations

from ingest.extraction import LexicalIndex
from ingest.skill_phrases import PhraseIndex, first_pass

LABELS = ["manage musical staff", "musical staff", "Python (computer programming)", "SQL",
          "knowledge management", "assist customers", "manage customer complaints", "bake bread"]


def passes(sentences):
    return first_pass(sentences, PhraseIndex(LABELS), LexicalIndex.build(LABELS))


def labels_of(result):
    return [LABELS[r] for m in result.mentions for r in m.rows]


def test_mentions_are_verbatim_longest_and_stem_tolerant():
    musical, tools, nothing = passes(["You will manage the musical staff.", "Ervaring met Python en SQL is vereist",
                                      "Bread is baked at night"])
    assert labels_of(musical) == ["manage musical staff"]  # not also the shorter "musical staff"
    assert sorted(labels_of(tools)) == ["Python (computer programming)", "SQL"]
    assert labels_of(nothing) == []  # "bread ... baked": the words, but not as the label's phrase


def test_a_carrier_word_leaves_the_sentence_decided_a_second_label_word_does_not():
    carrier, paraphrase = passes(["Knowledge of SQL is essential.", "You use SQL and handle complaints from customers."])
    assert labels_of(carrier) == ["SQL"] and carrier.decided(0.5)  # 'knowledge' alone: 1 word of a label
    assert labels_of(paraphrase) == ["SQL"] and not paraphrase.decided(0.5)  # customer + complaint


def test_without_mentions_only_a_sentence_without_label_words_is_decided():
    dutch, english = passes(["Wat ga je doen?", "You help our customers every day."])
    assert dutch.decided(0.5) and not dutch.mentions
    assert not english.decided(0.5)  # 'customer' may be a paraphrase: the encoder decides
