"""Instrument profiles: the declarative contract between an instrument owner and the product.

One YAML file per instrument in `competency_atlas/instruments/` says which scales the instrument
reports, how each scale score maps onto atlas competencies, which extra blocks it carries
(ABC cluster, WCM client profile, ...) and which block values gate matching. The file format is
documented in docs/instrument-profiles.md.

Everything here is pure (no database): parse + validate files, then small helpers that the
measurement ingest uses: `load_profiles`, `InstrumentProfile.scale`, `.normalise`,
`.block_value` and `.evaluate_gates`.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

PROFILES_DIR = Path(__file__).resolve().parent / "instruments"

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
ONET_ID = re.compile(r"^onet:\d+(\.[A-Za-z0-9]+)+$")
IDENTIFIER = r"^[a-z0-9][a-z0-9_]*$"

Match = Literal["exact", "close", "broad", "narrow"]
Direction = Literal["higher_is_better", "lower_is_better"]
Trait = Literal["trainable", "stable"]
ScaleKind = Literal["competency", "personality", "motivation", "orientation", "capacity", "mobility",
                    "workload", "balance", "stressor", "locus_of_control", "preference", "availability"]
BlockType = Literal["choice", "choices", "text", "text_list", "number", "date", "occupation_list",
                    "record", "record_list"]
GateStatus = Literal["not_matchable", "needs_support"]


# ---------------------------------------------------------------- models (the file format)

class _Strict(BaseModel):
    # Unknown fields are errors: a typo in a contract file must not be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Name(_Strict):
    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Theme(_Strict):
    id: str = Field(pattern=IDENTIFIER)
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    # When given, the number of scales in this theme is checked on load (ABC: 10/10/17/9/9).
    expected_scales: int | None = Field(default=None, ge=0)


class ScoreRange(_Strict):
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> "ScoreRange":
        if not self.min < self.max:
            raise ValueError(f"min must be below max, got min={self.min:g} max={self.max:g}")
        return self


class Mapping(_Strict):
    competency: str
    weight: float
    match: Match
    label: str | None = None  # human-readable name of the competency; documentation only

    @field_validator("weight")
    @classmethod
    def _weight(cls, value: float) -> float:
        if not (0 < value <= 1):
            raise ValueError(f"weight must be in (0, 1], got {value:g}")
        return value

    @field_validator("competency")
    @classmethod
    def _uri_form(cls, value: str) -> str:
        if not (value.startswith(ESCO_SKILL_PREFIX) or ONET_ID.match(value)):
            raise ValueError(f"competency must be an ESCO skill URI ({ESCO_SKILL_PREFIX}...) "
                             f"or onet:<Element ID>, got {value!r}")
        return value


class Scale(_Strict):
    id: str = Field(pattern=IDENTIFIER)
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    theme: str
    range: ScoreRange
    direction: Direction
    trait: Trait
    kind: ScaleKind
    # Psychological detail (balance, stressors, life domains) that only some roles may see.
    sensitive: bool = False
    maps_to: list[Mapping] = Field(default_factory=list)
    note: str | None = None


class BlockValue(_Strict):
    id: str = Field(min_length=1)
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)


class Block(_Strict):
    id: str = Field(pattern=IDENTIFIER)
    label_nl: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    type: BlockType
    values: list[BlockValue] | None = None     # choice / choices only
    ordered: bool = False                      # values listed from lowest to highest step
    fields: list["Block"] | None = None        # record / record_list only
    sensitive: bool = False
    # The value is the client's profile (distance to work: WCM's client profile, the
    # Klantprofieltest's A1-B2); kept on the client for the caseload and management information.
    client_profile: bool = False
    note: str | None = None


class GateRule(_Strict):
    id: str = Field(pattern=IDENTIFIER)
    block: str
    values: list[str] = Field(min_length=1)
    status: GateStatus
    reason_nl: str = Field(min_length=1)
    reason_en: str = Field(min_length=1)


@dataclass(frozen=True)
class Gate:
    """A gate that fired for one client measurement."""
    status: GateStatus
    reason: str          # English; reason_nl carries the Dutch text
    rule_id: str
    reason_nl: str
    block: str
    value: str


class InstrumentProfile(_Strict):
    id: str = Field(pattern=IDENTIFIER)
    version: str = Field(min_length=1)
    name: Name
    owner: str = Field(min_length=1)
    reference_mapping: bool
    reference_note: str | None = None
    description: str | None = None
    themes: list[Theme] = Field(min_length=1)
    scales: list[Scale] = Field(min_length=1)
    blocks: list[Block] = Field(default_factory=list)
    gates: list[GateRule] = Field(default_factory=list)
    _index: dict[str, Scale] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: Any) -> None:
        # Ids win over labels when a text is both (duplicate labels are reported by the checks).
        for sc in self.scales:
            self._index.setdefault(_norm(sc.id), sc)
        for sc in self.scales:
            for label in (sc.label_nl, sc.label_en):
                self._index.setdefault(_norm(label), sc)

    # -------------------------------------------------------- helpers for the ingest

    def scale(self, id_or_label: str) -> Scale:
        """The scale with this id, Dutch label or English label (case and spacing ignored)."""
        found = self._index.get(_norm(id_or_label))
        if found is None:
            raise KeyError(f"instrument {self.id!r} has no scale {id_or_label!r}")
        return found

    def normalise(self, scale: Scale | str, raw_score: float) -> float:
        """A raw score on the scale's range as a level in [0, 1], where 1 is always the best."""
        sc = scale if isinstance(scale, Scale) else self.scale(scale)
        value = float(raw_score)
        low, high = sc.range.min, sc.range.max
        if not math.isfinite(value) or not (low <= value <= high):
            raise ValueError(f"score {raw_score!r} is outside {self.id}:{sc.id} range [{low:g}, {high:g}]")
        level = (value - low) / (high - low)
        return level if sc.direction == "higher_is_better" else 1.0 - level

    @property
    def client_profile_block(self) -> str | None:
        return next((b.id for b in self.blocks if b.client_profile), None)

    def block(self, block_id: str) -> Block:
        for block in self.blocks:
            if block.id == block_id:
                return block
        raise KeyError(f"instrument {self.id!r} has no block {block_id!r}")

    def block_value(self, block_id: str, raw: str) -> str:
        """The canonical value id of a choice block, given its id or a label (case ignored)."""
        block = self.block(block_id)
        wanted = _norm(str(raw))
        for value in block.values or []:
            if wanted in (_norm(value.id), _norm(value.label_nl), _norm(value.label_en)):
                return value.id
        allowed = ", ".join(v.id for v in block.values or [])
        raise ValueError(f"{raw!r} is not a value of {self.id} block {block_id!r} (allowed: {allowed})")

    def evaluate_gates(self, blocks: dict[str, Any]) -> list[Gate]:
        """Gates fired by a measurement's blocks; not_matchable first. An absent block fires nothing
        (unknown is not a gate); a value the block does not allow raises ValueError."""
        fired = []
        for rule in self.gates:
            raw = blocks.get(rule.block)
            if raw is None:
                continue
            value = self.block_value(rule.block, raw)
            if value in rule.values:
                fired.append(Gate(rule.status, rule.reason_en, rule.id, rule.reason_nl, rule.block, value))
        return sorted(fired, key=lambda g: g.status != "not_matchable")


Block.model_rebuild()


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


# ---------------------------------------------------------------- errors

@dataclass(frozen=True)
class ProfileIssue:
    file: str
    path: str      # YAML path such as scales[3].range; empty for the whole file
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '<file>'}: {self.reason}"


class ProfileValidationError(ValueError):
    def __init__(self, issues: list[ProfileIssue]):
        self.issues = issues
        super().__init__(f"{len(issues)} problem(s) in instrument profiles:\n"
                         + "\n".join(f"  {issue}" for issue in issues))


# ---------------------------------------------------------------- loading

class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_profile(path: Path, known_competencies: set[str] | frozenset[str] | None = None) -> InstrumentProfile:
    """Parses and validates one profile file; raises ProfileValidationError listing every problem."""
    profile, issues = _parse(Path(path), known_competencies)
    if issues:
        raise ProfileValidationError(issues)
    assert profile is not None
    return profile


@lru_cache(maxsize=1)
def shipped_profiles() -> dict[str, InstrumentProfile]:
    """The shipped profiles, parsed once per process (~0.2 s) and shared: the service reads them
    on every client page and observation (names, sensitive scales, education levels). Read only."""
    return load_profiles()


def load_profiles(folder: Path | str | None = None,
                  known_competencies: set[str] | frozenset[str] | None = None) -> dict[str, InstrumentProfile]:
    """All profiles in `folder` (default: the shipped ones) by instrument id. With
    `known_competencies`, every mapped competency URI must be in that set. Problems in all files
    are collected and raised together as one ProfileValidationError."""
    folder = Path(folder) if folder is not None else PROFILES_DIR
    if not folder.is_dir():
        raise ProfileValidationError([ProfileIssue(str(folder), "", "not a folder")])
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise ProfileValidationError([ProfileIssue(str(folder), "", "no .yaml instrument profiles found")])
    profiles: dict[str, InstrumentProfile] = {}
    origin: dict[str, Path] = {}
    issues: list[ProfileIssue] = []
    for path in files:
        profile, file_issues = _parse(path, known_competencies)
        issues.extend(file_issues)
        if profile is None:
            continue
        if profile.id in profiles:
            issues.append(ProfileIssue(str(path), "id", f"duplicate instrument id {profile.id!r}: "
                                                        f"already defined in {origin[profile.id].name}"))
            continue
        profiles[profile.id], origin[profile.id] = profile, path
    if issues:
        raise ProfileValidationError(issues)
    return profiles


def _parse(path: Path, known: set[str] | frozenset[str] | None) -> tuple[InstrumentProfile | None, list[ProfileIssue]]:
    name = str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as exc:
        return None, [ProfileIssue(name, "", f"cannot read file: {exc}")]
    except yaml.YAMLError as exc:
        return None, [ProfileIssue(name, "", _yaml_reason(exc))]
    if not isinstance(data, dict):
        return None, [ProfileIssue(name, "", "the file must contain one YAML mapping (instrument profile)")]
    try:
        profile = InstrumentProfile.model_validate(data)
    except ValidationError as exc:
        return None, [ProfileIssue(name, _loc_path(err["loc"]), _reason(err)) for err in exc.errors()]
    return profile, [ProfileIssue(name, p, r) for p, r in semantic_issues(profile, known)]


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    # The parser notices an unclosed bracket or quote later than where it opened: say both.
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    opened = (f" ({context} at line {start.line + 1})"
              if context and start is not None and mark is not None and start.line != mark.line else "")
    return f"YAML syntax error{where}: {problem}{opened}"


def _loc_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reason(err: dict) -> str:
    kind = err["type"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        return f"unknown value {err.get('input')!r}: {err['msg'].removeprefix('Input should be ')}".replace(
            ": ", ": expected ", 1)
    msg = err["msg"].removeprefix("Value error, ")
    return msg


# ---------------------------------------------------------------- semantic checks (pure)

def semantic_issues(profile: InstrumentProfile,
                    known: set[str] | frozenset[str] | None = None) -> list[tuple[str, str]]:
    """(yaml path, reason) for every rule that a field-by-field parse cannot check."""
    issues: list[tuple[str, str]] = []
    issues += _duplicates("themes", [t.id for t in profile.themes], "theme id")
    issues += _duplicates("scales", [s.id for s in profile.scales], "scale id")
    issues += _duplicate_labels(profile.scales)
    issues += _theme_issues(profile)
    issues += _mapping_issues(profile.scales, known)
    issues += _duplicates("blocks", [b.id for b in profile.blocks], "block id")
    for i, block in enumerate(profile.blocks):
        issues += _block_issues(f"blocks[{i}]", block)
    issues += _client_profile_issues(profile.blocks)
    issues += _duplicates("gates", [g.id for g in profile.gates], "gate rule id")
    issues += _gate_issues(profile)
    if profile.reference_mapping and not profile.reference_note:
        issues.append(("reference_note", "a reference mapping must say why (reference_note)"))
    return issues


def _client_profile_issues(blocks: list[Block]) -> list[tuple[str, str]]:
    marked = [i for i, b in enumerate(blocks) if b.client_profile]
    out = [(f"blocks[{i}].client_profile", f"only one block can be the client profile (also blocks[{marked[0]}])")
           for i in marked[1:]]
    out += [(f"blocks[{i}].client_profile", "the client profile must be a choice block")
            for i in marked if blocks[i].type != "choice"]
    return out


def _duplicates(where: str, ids: list[str], what: str) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    out = []
    for i, ident in enumerate(ids):
        if ident in seen:
            out.append((f"{where}[{i}].id", f"duplicate {what} {ident!r} (first at {where}[{seen[ident]}])"))
        else:
            seen[ident] = i
    return out


def _duplicate_labels(scales: list[Scale]) -> list[tuple[str, str]]:
    # Scales are looked up by id or label, so every one of those must point at one scale only.
    owner: dict[str, int] = {}
    out = []
    for i, sc in enumerate(scales):
        for field in ("label_nl", "label_en"):
            key = _norm(getattr(sc, field))
            if key in owner and owner[key] != i:
                out.append((f"scales[{i}].{field}",
                            f"label {getattr(sc, field)!r} is already used by scales[{owner[key]}]"))
            owner.setdefault(key, i)
        owner.setdefault(_norm(sc.id), i)
    return out


def _theme_issues(profile: InstrumentProfile) -> list[tuple[str, str]]:
    declared = {t.id for t in profile.themes}
    out = [(f"scales[{i}].theme", f"unknown theme {sc.theme!r} (declared: {', '.join(sorted(declared))})")
           for i, sc in enumerate(profile.scales) if sc.theme not in declared]
    for i, theme in enumerate(profile.themes):
        found = sum(1 for sc in profile.scales if sc.theme == theme.id)
        if theme.expected_scales is not None and found != theme.expected_scales:
            out.append((f"themes[{i}].expected_scales",
                        f"theme {theme.id!r} declares {theme.expected_scales} scales, the file has {found}"))
    return out


def _mapping_issues(scales: list[Scale], known: set[str] | frozenset[str] | None) -> list[tuple[str, str]]:
    out = []
    for i, sc in enumerate(scales):
        seen: set[str] = set()
        for j, mapping in enumerate(sc.maps_to):
            path = f"scales[{i}].maps_to[{j}].competency"
            if mapping.competency in seen:
                out.append((path, f"competency {mapping.competency} is mapped twice from this scale"))
            seen.add(mapping.competency)
            if known is not None and mapping.competency not in known:
                out.append((path, f"unknown competency URI {mapping.competency!r} "
                                  "(not an ESCO 1.2.0 skill nor an O*NET Skill/Knowledge/Work Style)"))
    return out


def _block_issues(path: str, block: Block) -> list[tuple[str, str]]:
    out = []
    has_values = block.type in ("choice", "choices")
    has_fields = block.type in ("record", "record_list")
    if has_values and not block.values:
        out.append((f"{path}.values", f"a {block.type} block needs a non-empty list of values"))
    if not has_values and block.values is not None:
        out.append((f"{path}.values", f"a {block.type} block has no values (only choice/choices do)"))
    if has_fields and not block.fields:
        out.append((f"{path}.fields", f"a {block.type} block needs a non-empty list of fields"))
    if not has_fields and block.fields is not None:
        out.append((f"{path}.fields", f"a {block.type} block has no fields (only record/record_list do)"))
    out += _duplicates(f"{path}.values", [v.id for v in block.values or []], "value id")
    out += _duplicates(f"{path}.fields", [f.id for f in block.fields or []], "field id")
    for k, field in enumerate(block.fields or []):
        out += _block_issues(f"{path}.fields[{k}]", field)
    return out


def _gate_issues(profile: InstrumentProfile) -> list[tuple[str, str]]:
    blocks = {b.id: b for b in profile.blocks}
    out = []
    for i, rule in enumerate(profile.gates):
        block = blocks.get(rule.block)
        if block is None:
            out.append((f"gates[{i}].block", f"unknown block {rule.block!r}"))
            continue
        if block.type != "choice":
            out.append((f"gates[{i}].block", f"gates need a choice block, {rule.block!r} is {block.type}"))
            continue
        allowed = [v.id for v in block.values or []]
        for k, value in enumerate(rule.values):
            if value not in allowed:
                out.append((f"gates[{i}].values[{k}]",
                            f"unknown value {value!r} of block {rule.block!r} (allowed: {', '.join(allowed)})"))
    return out


# ---------------------------------------------------------------- known competency URIs

ONET_DESCRIPTOR_FILES = ("Skills.txt", "Knowledge.txt", "Work Styles.txt")


@lru_cache(maxsize=4)
def known_competency_uris(data_dir: Path | str | None = None) -> frozenset[str]:
    """Every atlas competency URI, read from the reference data files (no Neo4j): ESCO 1.2.0
    skills (skills_uri_text.csv) and O*NET Skills, Knowledge and Work Styles as onet:<Element ID>."""
    if data_dir is None:
        from graph_schema.settings import settings
        data_dir = settings().data_dir
    from competency_atlas.sources import locate  # the atlas' own rule for versioned source folders
    folders = locate(Path(data_dir))
    uris: set[str] = set()
    with open(folders.esco / "skills_uri_text.csv", newline="", encoding="utf-8") as fh:
        uris.update(row["id"] for row in csv.DictReader(fh))
    for name in ONET_DESCRIPTOR_FILES:
        with open(folders.onet / name, newline="", encoding="utf-8") as fh:
            uris.update(f"onet:{row['Element ID']}" for row in csv.DictReader(fh, delimiter="\t"))
    return frozenset(uris)
