"""Writes the hostile-input corpus: crafted measurement and vacancy files with what each must give.

    python tests/hostile/make_corpus.py     # rewrites tests/hostile/{measurements,vacancies}/

Every file is one input class (encodings, separators, line ends, numbers JSON cannot hold, deep
nesting, empty and binary files, keys with quotes, slashes, control characters or right-to-left
marks, Cypher- and HTML-looking strings where strings go). `<kind>.expected.json` beside the folders says,
per file: how many records land, how many are rejected, and a text the report must name (a
field, a location or a reason). The 100 MB files are not committed: tests/test_hostile_input.py
writes them at run time (`large_cases`).
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import shutil
from pathlib import Path

HERE = Path(__file__).parent
SCRIPT = "<script>alert('x')</script>"
CYPHER = "x'}) MATCH (n) DETACH DELETE n //"


def expect(landed: int, rejected: int, names: str = "") -> dict:
    return {"landed": landed, "rejected": rejected, "names": names}


# ---------------------------------------------------------------- measurements

def measurement(key: str = "H-001", **fields) -> dict:
    base = {"client_key": key, "instrument": "abc", "instrument_version": "2024.1", "measured_at": "2024-04-12",
            "administered_by": "UWV Utrecht, coach C-17", "scores": {"Samenwerken": 7, "Initiatief": 5},
            "postcode": "3511 AB", "hours_available": 32}
    return {**base, **fields}


def js(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def raw_json(text: str) -> bytes:
    """JSON written by hand: what json.dumps would refuse or escape (NaN, 400 digits, surrogates)."""
    return text.encode("utf-8")


LONG_HEADER = "client_key,instrument,instrument_version,measured_at,administered_by,scale,score"


def long_csv(rows: list[str], header: str = LONG_HEADER, sep: str = ",", newline: str = "\n") -> str:
    return newline.join([header.replace(",", sep)] + [r.replace(",", sep) for r in rows]) + newline


def deep(levels: int, leaf="x") -> str:
    return "[" * levels + json.dumps(leaf) + "]" * levels


def measurement_cases() -> dict[str, tuple[bytes, dict]]:
    m = measurement
    ok = js(m())
    two = [m("H-001"), m("H-002")]
    row = "H-001,abc,2024.1,2024-04-12,UWV Utrecht,Samenwerken,7"
    row2 = "H-001,abc,2024.1,2024-04-12,UWV Utrecht,Initiatief,5"
    return {
        # encodings and line ends: valid content, so it lands
        "valid.json": (ok, expect(1, 0)),
        "bom_utf8.json": (codecs.BOM_UTF8 + ok, expect(1, 0)),
        "utf16_le_bom.json": (json.dumps(m(), ensure_ascii=False).encode("utf-16"), expect(1, 0)),
        "utf16_be_bom.jsonl": (codecs.BOM_UTF16_BE + "\n".join(json.dumps(x) for x in two).encode("utf-16-be"),
                               expect(2, 0)),
        "crlf.jsonl": ("\r\n".join(json.dumps(x) for x in two).encode() + b"\r\n", expect(2, 0)),
        "cr_only.jsonl": ("\r".join(json.dumps(x) for x in two).encode(), expect(2, 0)),
        "long.csv": (long_csv([row, row2]).encode(), expect(1, 0)),
        "dutch_excel.csv": (codecs.BOM_UTF8 + long_csv([row, row2], sep=";", newline="\r\n").encode(), expect(1, 0)),
        "dutch_excel_decimal_comma.csv": (long_csv([row, row2], sep=";").replace("Samenwerken;7", "Samenwerken;6,5")
                                          .encode(),
                                          expect(1, 0)),
        "quoted_newline.csv": (long_csv([row.replace("UWV Utrecht", '"UWV\nUtrecht"'), row2]).encode(),
                               expect(0, 1, "administered_by")),
        # not text
        "latin1.csv": (long_csv([row.replace("Utrecht", "Utrécht")]).encode("cp1252"), expect(0, 1, "not UTF-8")),
        "utf16_no_bom.json": (json.dumps(m()).encode("utf-16-le"), expect(0, 1, "NUL")),
        "binary.json": (bytes(range(256)) * 4, expect(0, 1, "not UTF-8")),
        "png.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), expect(0, 1, "not UTF-8")),
        "nul_bytes.csv": (long_csv([row]).encode().replace(b"UWV", b"U\x00V"), expect(0, 1, "NUL")),
        "gzip.jsonl": (b"\x1f\x8b\x08\x00" + bytes(range(200)), expect(0, 2, "not UTF-8")),  # per line
        "empty.json": (b"", expect(0, 1, "not valid JSON")),
        "empty.csv": (b"", expect(0, 1, "CSV")),
        "empty.jsonl": (b"", expect(0, 0)),
        "blank_lines.jsonl": (b"\n\n  \n" + ok + b"\n\n", expect(1, 0)),
        "whitespace.json": (b"   \n\t ", expect(0, 1, "not valid JSON")),
        "unknown_suffix.xlsx": (b"PK\x03\x04" + bytes(40), expect(0, 1, "unknown file type")),
        # numbers JSON cannot hold or we cannot store
        "nan_score.json": (raw_json(js(m()).decode().replace('"Samenwerken": 7', '"Samenwerken": NaN')),
                           expect(0, 1, "Samenwerken")),
        "infinity_score.json": (raw_json(js(m()).decode().replace('"Samenwerken": 7', '"Samenwerken": Infinity')),
                                expect(0, 1, "Samenwerken")),
        "minus_infinity_hours.json": (raw_json(js(m()).decode().replace('"hours_available": 32',
                                                                         '"hours_available": -Infinity')),
                                      expect(0, 1, "hours_available")),
        "digits_400_score.json": (raw_json(js(m()).decode().replace('"Samenwerken": 7',
                                                                     '"Samenwerken": ' + "9" * 400)),
                                  expect(0, 1, "Samenwerken")),
        "digits_400_block.json": (raw_json(js(m(blocks={"locus_of_control": 0})).decode().replace(
            '"locus_of_control": 0', '"locus_of_control": ' + "7" * 400)), expect(0, 1, "locus_of_control")),
        "float_1e400.json": (raw_json(js(m()).decode().replace('"Samenwerken": 7', '"Samenwerken": 1e400')),
                             expect(0, 1, "Samenwerken")),
        "digits_400_hours.csv": (long_csv([row + ",3511,1" + "0" * 399],
                                          header=LONG_HEADER + ",postcode,hours_available").encode(),
                                 expect(0, 1, "hours_available")),
        "score_out_of_range.json": (js(m(scores={"Samenwerken": -3})), expect(0, 1, "Samenwerken")),
        # nesting
        "deep_10000.json": (raw_json(deep(10_000)), expect(0, 1, "nested")),
        "deep_block_300.json": (raw_json(js(m(blocks={"cluster": 0})).decode().replace(
            '"cluster": 0', '"cluster": ' + deep(300))), expect(0, 1, "cluster")),
        "deep_line.jsonl": (ok + b"\n" + raw_json(deep(5000)).replace(b"\n", b"") + b"\n", expect(1, 1, "line 2")),
        # client keys outside the one rule (letters, digits, - _ ., at most 64)
        "key_quote.json": (js(m("H'001")), expect(0, 1, "client_key")),
        "key_double_quote.json": (js(m('H"001')), expect(0, 1, "client_key")),
        "key_slash.json": (js(m("../etc/passwd")), expect(0, 1, "client_key")),
        "key_backslash.json": (js(m("H\\001")), expect(0, 1, "client_key")),
        "key_space.json": (js(m("H 001")), expect(0, 1, "client_key")),
        "key_control.json": (js(m("H\u0007001")), expect(0, 1, "client_key")),
        "key_rtl_mark.json": (js(m("H-001\u202e")), expect(0, 1, "client_key")),
        "key_zero_width.json": (js(m("H\u200b001")), expect(0, 1, "client_key")),
        "key_nul.json": (raw_json(js(m()).decode().replace('"H-001"', '"H\\u0000001"')), expect(0, 1, "client_key")),
        "key_surrogate.json": (raw_json(js(m()).decode().replace('"H-001"', '"H\\ud800"')),
                               expect(0, 1, "client_key")),
        "key_65_chars.json": (js(m("H" * 65)), expect(0, 1, "client_key")),
        "key_emoji.json": (js(m("H-🙂")), expect(0, 1, "client_key")),
        "key_dotdot.json": (js(m("..")), expect(0, 1, "client_key")),
        "key_cypher.json": (js(m(CYPHER)), expect(0, 1, "client_key")),
        "key_html.json": (js(m(SCRIPT)), expect(0, 1, "client_key")),
        "key_number.json": (js(m(12345)), expect(0, 1, "client_key")),
        "key_64_chars_valid.json": (js(m("H" * 64)), expect(1, 0)),
        "key_in_csv_rtl.csv": (long_csv([row.replace("H-001", "\u202eH-001")]).encode(), expect(0, 1, "client_key")),
        # strings that look like code, where a free text goes: stored as given (pages escape them)
        "cypher_administered_by.json": (js(m(administered_by=CYPHER)), expect(1, 0)),
        "html_administered_by.json": (js(m(administered_by=SCRIPT)), expect(1, 0)),
        "html_identity.json": (js(m(identity={"name": SCRIPT, "email": CYPHER})), expect(1, 0)),
        "html_scale_name.json": (js(m(scores={SCRIPT: 7, "Samenwerken": 6})), expect(0, 1, "script")),
        "surrogate_administered_by.json": (raw_json(js(m()).decode().replace("coach C-17", "\\udfff")),
                                           expect(0, 1, "administered_by")),
        "nul_identity.json": (raw_json(js(m(identity={"name": "A"})).decode().replace('"A"', '"A\\u0000B"')),
                              expect(0, 1, "name")),
        "control_in_administered_by.json": (js(m(administered_by="coach\u001b[31m")), expect(0, 1, "administered_by")),
        "long_administered_by.json": (js(m(administered_by="x" * 100_000)), expect(0, 1, "administered_by")),
        # shapes
        "numbers_list.json": (js([1, 2, 3]), expect(0, 3, "object")),
        "string.json": (js("client_key"), expect(0, 1, "object")),
        "null.json": (b"null", expect(0, 1, "object")),
        # a key given twice: refused where it stands (json.loads kept the last, silently)
        "duplicate_key.json": (raw_json('{"client_key": "H-X", ' + js(m()).decode()[1:]), expect(0, 1, "given twice")),
        "unknown_field.json": (js(m(salary=1)), expect(0, 1, "salary")),
        "bad_date.json": (js(m(measured_at="2024-13-45")), expect(0, 1, "measured_at")),
        "mixed.jsonl": (b"\n".join([js(m("H-001")), b"{oops", js(m("H-002"))]), expect(2, 1, "line 2")),
        "missing_column.csv": (long_csv([row], header=LONG_HEADER.replace("client_key", "klant")).encode(),
                               expect(0, 1, "client_key")),
        # as Excel's "Unicode text" separates cells: read like `;` and `,`
        "tab_separated.csv": (long_csv([row]).replace(",", "\t").encode(), expect(1, 0)),
        # an unquoted separator in one row: that row's whole measurement is rejected, never landed in part
        "ragged.csv": (long_csv([row + ",extra,cells,here", row2]).encode(), expect(0, 1, "10 cells")),
        "ragged_other_client.csv": (long_csv([row + ",x", row2, row2.replace("H-001", "H-002")]).encode(),
                                    expect(1, 1, "not taken in part")),
        "bom_then_latin1.csv": (codecs.BOM_UTF8 + long_csv([row, row2]).encode().replace(b"Initiatief",
                                                                                        b"Initiati\xe9f"),
                                expect(0, 1, "0xe9 at offset 186")),
        "latin1_line.jsonl": (b"\n".join([js(m("H-001")), js(m("H-002", administered_by="Gemeente Zaandam")).replace(
            b"Zaandam", b"Z\xe4andam"), js(m("H-003"))]), expect(2, 1, "line 2")),
        "line_separator_in_string.jsonl": (js(m(administered_by="UWV\u2028Utrecht")) + b"\n" + js(m("H-002")),
                                           expect(1, 1, "administered_by")),
        "unclosed_quote.csv": (long_csv([row, '"H-002,abc']).encode(), expect(1, 1, "row 2")),
    }


# ---------------------------------------------------------------- vacancies

def posting(identifier: str = "HV-1", **fields) -> dict:
    base = {"@context": "https://schema.org/", "@type": "JobPosting", "identifier": identifier,
            "title": "Magazijnmedewerker", "description": "<p>Je verzamelt orders in ons magazijn.</p>",
            "datePosted": "2026-11-01", "validThrough": "2027-12-31", "inLanguage": "nl",
            "jobLocation": {"@type": "Place", "address": {"postalCode": "3511 AB", "addressLocality": "Utrecht"}}}
    return {**base, **fields}


VACANCY_HEADER = "identifier,title,description,postal_code,locality,date_posted,valid_through,hours_per_week"


def vacancy_csv(rows: list[str], sep: str = ",", newline: str = "\n") -> str:
    return newline.join([VACANCY_HEADER.replace(",", sep)] + rows) + newline


def vacancy_cases() -> dict[str, tuple[bytes, dict]]:
    p = posting
    ok = js(p())
    two = [p("HV-1"), p("HV-2")]
    row = "HV-1,Magazijnmedewerker,Orders verzamelen,3511 AB,Utrecht,2026-11-01,2027-12-31,32"
    row2 = "HV-2,Heftruckchauffeur,Pallets rijden,3511 AB,Utrecht,2026-11-01,2027-12-31,38"
    excel = io.StringIO()  # as Excel writes it: a cell holding the separator is quoted
    csv.writer(excel, delimiter=";", lineterminator="\r\n").writerow(
        ["HV-3", "Schoonmaker", "Kantoren schoonmaken; ook 's avonds", "3511 AB", "Utrecht", "2026-11-01",
         "2027-12-31", "24,5"])
    text = js(p()).decode()
    return {
        # encodings, separators, line ends
        "valid.json": (ok, expect(1, 0)),
        "list.json": (js(two), expect(2, 0)),
        "graph.json": (js({"@context": "https://schema.org/", "@graph": [
            {"@type": "Organization", "@id": "#org", "name": SCRIPT}, p(hiringOrganization={"@id": "#org"})]}),
            expect(1, 0)),
        "bom_utf8.json": (codecs.BOM_UTF8 + ok, expect(1, 0)),
        "utf16_le_bom.json": (json.dumps(two, ensure_ascii=False).encode("utf-16"), expect(2, 0)),
        "utf16_be_bom.csv": (codecs.BOM_UTF16_BE + vacancy_csv([row, row2]).encode("utf-16-be"), expect(2, 0)),
        "crlf.jsonl": (b"\r\n".join(js(x) for x in two) + b"\r\n", expect(2, 0)),
        "comma.csv": (vacancy_csv([row, row2]).encode(), expect(2, 0)),
        "dutch_excel.csv": (codecs.BOM_UTF8 + vacancy_csv([row.replace(",", ";"), excel.getvalue().rstrip()],
                                                          sep=";", newline="\r\n").encode(), expect(2, 0)),
        "jsonl_named_json.json": (b"\n".join(js(x) for x in two), expect(2, 0)),
        # not text
        "latin1.csv": (vacancy_csv([row.replace("Orders", "Orders für")]).encode("cp1252"), expect(0, 1, "not UTF-8")),
        "utf16_no_bom.jsonl": (json.dumps(p()).encode("utf-16-le"), expect(0, 1, "line 1")),
        "binary.json": (bytes(range(256)) * 4, expect(0, 1, "not UTF-8")),
        "png.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), expect(0, 1, "not UTF-8")),
        "zip.jsonl": (b"PK\x03\x04" + bytes(range(256)), expect(0, 2, "not UTF-8")),  # per line
        "empty.json": (b"", expect(0, 1, "malformed JSON")),
        "empty.csv": (b"", expect(0, 1, "CSV")),
        "empty.jsonl": (b"", expect(0, 0)),
        "header_only.csv": (vacancy_csv([]).encode(), expect(0, 0)),
        "whitespace.json": (b" \n\t", expect(0, 1, "malformed JSON")),
        "unknown_suffix.xml": (b"<jobs/>", expect(0, 1, "unknown file type")),
        # numbers
        "hours_nan.json": (raw_json(text.replace('"inLanguage"', '"hoursPerWeek": NaN, "inLanguage"')),
                           expect(0, 1, "hoursPerWeek")),
        "hours_infinity.json": (raw_json(text.replace('"inLanguage"', '"hoursPerWeek": Infinity, "inLanguage"')),
                                expect(0, 1, "hoursPerWeek")),
        "hours_400_digits.json": (raw_json(text.replace('"inLanguage"', '"hoursPerWeek": ' + "9" * 400 +
                                                        ', "inLanguage"')), expect(0, 1, "hoursPerWeek")),
        "hours_400_digits.csv": (vacancy_csv([row[:-2] + "9" * 400]).encode(), expect(0, 1, "hours")),
        "geo_nan_string.json": (js(p(jobLocation={"geo": {"latitude": "NaN", "longitude": "inf"}})), expect(1, 0)),
        "geo_nan_number.json": (raw_json(js(p(jobLocation={"geo": {"latitude": 0, "longitude": 5}})).decode()
                                         .replace('"latitude": 0', '"latitude": NaN')), expect(0, 1, "latitude")),
        "geo_400_digits.json": (js(p(jobLocation={"geo": {"latitude": "5" * 400, "longitude": "5" * 400}})),
                                expect(1, 0)),
        "geo_1e400.json": (raw_json(js(p(jobLocation={"geo": {"latitude": 0, "longitude": 5}})).decode()
                                    .replace('"latitude": 0', '"latitude": 1e400')), expect(0, 1, "latitude")),
        # nesting
        "deep_10000.json": (raw_json(deep(10_000)), expect(0, 1, "nested")),
        "title_nested_300.json": (raw_json(text.replace('"Magazijnmedewerker"', deep(300, "titel"))),
                                  expect(0, 1, "title")),
        "skills_nested_300.json": (raw_json(text.replace('"inLanguage"', '"skills": ' + deep(300, "heftruck") +
                                                         ', "inLanguage"')), expect(0, 1, "skills")),
        "deep_line.jsonl": (ok + b"\n" + raw_json(deep(5000)) + b"\n", expect(1, 1, "line 2")),
        # identifiers and text
        "id_control.json": (js(p("HV\u0007-1")), expect(0, 1, "identifier")),
        "id_rtl_mark.json": (js(p("HV-1\u202e")), expect(0, 1, "identifier")),
        "id_nul.json": (raw_json(text.replace('"HV-1"', '"HV\\u00001"')), expect(0, 1, "identifier")),
        "id_surrogate.json": (raw_json(text.replace('"HV-1"', '"HV\\ud800"')), expect(0, 1, "identifier")),
        "id_long.json": (js(p("V" * 300)), expect(0, 1, "identifier")),
        "id_cypher.json": (js(p(CYPHER)), expect(1, 0)),
        "id_slash_and_quotes.json": (js(p("a/b?c=\"d\"#e")), expect(1, 0)),
        "id_number.json": (js(p(12345)), expect(1, 0)),
        "title_script.json": (js(p(title=SCRIPT)), expect(1, 0)),
        "title_cypher.json": (js(p(title=CYPHER)), expect(1, 0)),
        "title_surrogate.json": (raw_json(text.replace("Magazijnmedewerker", "Magazijn\\udc00")), expect(0, 1, "title")),
        "title_nul.json": (raw_json(text.replace("Magazijnmedewerker", "Magazijn\\u0000")), expect(0, 1, "title")),
        "title_control.json": (js(p(title="Magazijn\u001b[2J")), expect(0, 1, "title")),
        "title_rtl_override.json": (js(p(title="\u202emedewerker")), expect(0, 1, "title")),
        "title_long.json": (js(p(title="x" * 10_000)), expect(0, 1, "title")),
        "description_script.json": (js(p(description=f"<p>Goed werk</p>{SCRIPT}<img src=x onerror=alert(1)>")),
                                    expect(1, 0)),
        "description_surrogate.json": (raw_json(text.replace("magazijn.", "magazijn \\ud83d")),
                                       expect(0, 1, "description")),
        "employer_script.json": (js(p(hiringOrganization={"@type": "Organization", "name": SCRIPT})), expect(1, 0)),
        "locality_cypher.json": (js(p(jobLocation={"address": {"postalCode": "3511 AB",
                                                               "addressLocality": CYPHER}})), expect(1, 0)),
        "csv_formula.csv": (vacancy_csv([row.replace("Orders verzamelen", "=HYPERLINK(\"\"http://x\"\")")]).encode(),
                            expect(1, 0)),
        # shapes
        "numbers_list.json": (js([1, 2]), expect(0, 2, "object")),
        "null.json": (b"null", expect(0, 1, "object")),
        "missing_title.json": (js({k: v for k, v in p().items() if k != "title"}), expect(0, 1, "title")),
        "bad_date.json": (js(p(datePosted="31-31-2026")), expect(0, 1, "datePosted")),
        "duplicate_ids.json": (js([p("HV-1"), p("HV-1", title="Anders")]), expect(1, 1, "identifier")),
        "mixed.jsonl": (b"\n".join([js(p("HV-1")), b"{oops", js(p("HV-2"))]), expect(2, 1, "line 2")),
        "ragged.csv": (vacancy_csv([row + ",extra,cells", row2]).encode(), expect(1, 1, "row 1")),
        "graph_nested_600.json": (raw_json(js({"@context": "https://schema.org/", "@graph": [
            {"@type": "Organization", "@id": "#org", "name": "Werkgever"},
            p(hiringOrganization={"@id": "#org"}, skills=0)]}).decode().replace('"skills": 0',
                                                                               '"skills": ' + deep(600, "x"))),
            expect(0, 1, "skills")),
        "line_separator_in_title.jsonl": (js(p(title="Magazijn\u2028medewerker")) + b"\n" + js(p("HV-2")),
                                          expect(1, 1, "title")),
        "short_row.csv": (vacancy_csv([row, "HV-9,Kok"]).encode(), expect(1, 1, "2 cells")),
        "nul_bytes.csv": (vacancy_csv([row]).encode().replace(b"Orders", b"Or\x00ders"), expect(0, 1, "NUL")),
    }


def write(folder: Path, cases: dict[str, tuple[bytes, dict]]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, (content, _) in cases.items():
        (folder / name).write_bytes(content)
    expected = {name: e for name, (_, e) in sorted(cases.items())}
    (folder.parent / f"{folder.name}.expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write(HERE / "measurements", measurement_cases())
    write(HERE / "vacancies", vacancy_cases())
    print(f"{len(measurement_cases())} measurement files, {len(vacancy_cases())} vacancy files")
