"""Reader for the official ESCO ↔ O*NET-SOC crosswalk (a preamble of key/value lines, then a header)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from competency_atlas.sources._csv import SourceError, read_table, require_values

HEADER_START = "O*NET Id,"
MATCH_TYPES = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "exactISCO")


def _header_line(path: Path) -> int:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle):
            if line.startswith(HEADER_START):
                return number
            if number > 100:
                break
    raise SourceError(f"{path}: no header line starting with {HEADER_START!r} in the first 100 lines")


def read_crosswalk(path: Path) -> pd.DataFrame:
    """onet_code, esco_uri (an occupation URI, or an ISCO group URI for exactISCO), match_type."""
    header = _header_line(path)
    frame = read_table(path, ["O*NET Id", "ESCO or ISCO URI", "Type of Match"], skiprows=header)
    frame = frame[frame["O*NET Id"].str.strip() != ""].reset_index(drop=True)
    require_values(frame, path, ["ESCO or ISCO URI", "Type of Match"], header_lines=header + 1)
    match = frame["Type of Match"].str.strip()
    bad = frame.index[~match.isin(MATCH_TYPES)]
    if len(bad):
        row = int(bad[0]) + 1
        raise SourceError(f"{path}: row {row} (line {row + header + 1}): field 'Type of Match' is "
                          f"{frame.at[bad[0], 'Type of Match']!r}, expected one of {MATCH_TYPES}")
    return pd.DataFrame({"onet_code": frame["O*NET Id"].str.strip(),
                         "esco_uri": frame["ESCO or ISCO URI"].str.strip(), "match_type": match})


VDAB_FILE = "vdab_competent_competences_esco.csv"
ESCO_NL_PROVENANCE = "esco-1.0.3-nl"  # ESCO's own Dutch preferred labels, as the VDAB mapping cites them


def read_esco_dutch_skill_labels(folder: Path) -> pd.DataFrame:
    """uri, label_nl: ESCO's Dutch preferred skill labels (v1.0.3) as cited by the VDAB Competent
    mapping (its column 'Classification 1 PrefLabel'); one label per skill. Missing file: none."""
    path = folder / VDAB_FILE
    if not path.is_file():
        return pd.DataFrame({"uri": [], "label_nl": []})
    with path.open(encoding="utf-8-sig") as handle:
        header = next(n for n, line in enumerate(handle) if line.startswith("Classification 1 URI,"))
    frame = read_table(path, ["Classification 1 PrefLabel", "Classification 1 URL"], skiprows=header)
    out = pd.DataFrame({"uri": frame["Classification 1 URL"].str.strip(),
                        "label_nl": frame["Classification 1 PrefLabel"].str.strip()})
    out = out[out["uri"].str.startswith("http://data.europa.eu/esco/skill/") & (out["label_nl"] != "")]
    return out.drop_duplicates("uri").reset_index(drop=True)
