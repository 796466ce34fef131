"""The cheap first pass of requirement extraction: skill labels named verbatim in a sentence.

A sentence and every skill label are reduced to the same content tokens (`content_tokens`: lower
case, light stemming, stop words and parenthesised qualifiers dropped), so "Ervaring met
Python is vereist" names "Python (computer programming)" and "you lead and manage the team"
names "manage a team". A label is *mentioned* when its tokens occur as a contiguous run of the
sentence's tokens; of overlapping mentions only the longest are kept ("manage musical staff",
not also "musical staff"). Matching is a dictionary look-up per start token and length, bounded
by the longest label, so a sentence costs microseconds instead of an encoder pass.

What the mentions leave uncovered decides whether the sentence still needs the encoder: a
word that occurs in skill labels (besides the mentioned ones) may paraphrase another skill,
which only the semantic ranking can find.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from ingest.extraction import LexicalIndex, content_tokens

# Words left by the mentions that make up this share of another label send the sentence to
# the encoder. Chosen on the TECH and HOUSE validation sets (docs/vacancies.md).
PARAPHRASE_SHARE = 0.5
MIN_PARAPHRASE_WORDS = 2


@dataclass(frozen=True)
class Mention:
    rows: tuple[int, ...]  # skill index rows whose label has exactly these tokens
    start: int  # token span in the sentence
    end: int
    specificity: float  # summed IDF of the label's tokens: rarer, longer labels first


@dataclass(frozen=True)
class SentenceMentions:
    mentions: tuple[Mention, ...]  # best first
    paraphrase_share: float  # best share of an unmentioned label's IDF mass among the uncovered words
    label_words: bool  # whether the sentence has any word that occurs in a skill label

    def decided(self, threshold: float) -> bool:
        """Whether the mentions say all the label space can recognise in the sentence.

        Without a single label word there is nothing to find; with mentions, the words they leave
        must not make up most of another label ("knowledge of" leaves 0.61 of "knowledge
        management", a carrier phrase; "assist customers" next to a mention would be 1.0).
        """
        if not self.mentions:
            return not self.label_words
        return self.paraphrase_share < threshold


class PhraseIndex:
    """Skill labels by their content-token sequence, for verbatim mentions."""

    def __init__(self, labels: list[str]) -> None:
        sequences = [tuple(content_tokens(label)) for label in labels]
        frequency = Counter(t for sequence in sequences for t in set(sequence))
        self._idf = {t: math.log(1 + len(labels) / n) for t, n in frequency.items()}
        self._rows: dict[tuple[str, ...], list[int]] = {}
        self._prefixes: set[tuple[str, ...]] = set()
        for row, sequence in enumerate(sequences):
            if sequence:
                self._rows.setdefault(sequence, []).append(row)
                self._prefixes.update(sequence[:n] for n in range(1, len(sequence) + 1))

    def mentions(self, tokens: list[str]) -> tuple[list[Mention], set[str]]:
        """The longest verbatim mentions, best first, and the label words they leave uncovered."""
        found = []
        for start in range(len(tokens)):
            for end in range(start + 1, len(tokens) + 1):
                span = tuple(tokens[start:end])
                if span not in self._prefixes:
                    break
                if span in self._rows:
                    found.append(Mention(tuple(self._rows[span]), start, end, sum(self._idf[t] for t in span)))
        kept = [m for m in found if not any(o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                                            for o in found)]
        covered = {i for m in kept for i in range(m.start, m.end)}
        uncovered = {t for i, t in enumerate(tokens) if i not in covered and t in self._idf}
        return sorted(kept, key=lambda m: (-m.specificity, m.start)), uncovered


def first_pass(sentences: list[str], phrases: PhraseIndex, lexicon: LexicalIndex) -> list[SentenceMentions]:
    """Mentions of every sentence and how much of another label its remaining words make up.

    Only labels with at least two of their words among the remaining ones count: one left-over
    word ("knowledge", "responsible", "work") is how vacancies phrase a mention, not a paraphrase.
    """
    return first_pass_tokens([content_tokens(s) for s in sentences], phrases, lexicon)


def first_pass_tokens(token_lists: list[list[str]], phrases: PhraseIndex,
                      lexicon: LexicalIndex) -> list[SentenceMentions]:
    """`first_pass` over sentences already reduced to content tokens."""
    found = [phrases.mentions(tokens) for tokens in token_lists]
    shares, words = lexicon.shares([uncovered for _, uncovered in found], with_counts=True)
    out = []
    for row, (mentions, uncovered) in enumerate(found):
        span = slice(shares.indptr[row], shares.indptr[row + 1])
        mentioned = {r for m in mentions for r in m.rows}
        best = max((v for c, v, n in zip(shares.indices[span], shares.data[span], words.data[span])
                    if n >= MIN_PARAPHRASE_WORDS and c not in mentioned), default=0.0)
        out.append(SentenceMentions(tuple(mentions), float(best), bool(mentioned or uncovered)))
    return out
