"""The client report as a PDF with fpdf2 (pure Python: no browser, no system libraries, no fonts
from elsewhere). Built from the same content as the page, with the version's hash on every page
and the acknowledgements of that version. A4, one or two pages.

The PDF uses the standard Helvetica and Courier fonts (nothing embedded), in the Windows-1252
encoding: every Dutch letter (ë, é, ï) and the dashes fit; a character outside it is shown as '?'.
"""
from __future__ import annotations

from fpdf import FPDF

from api.pages.report_words import (ack_line, changed_line, day, decision_line, develop_line, fit, measured_line,
                                    number, shown_gate, words)
from api.pages.views import WORD_JOINER

ENCODING = "windows-1252"
LINE = 5.2


def _safe(text: str) -> str:
    # fpdf2 breaks lines at spaces only, so the pages' word joiner (not in Windows-1252) can go
    return str(text).replace(WORD_JOINER, "").encode(ENCODING, errors="replace").decode(ENCODING)


class _Report(FPDF):
    def __init__(self, digest: str, w):
        super().__init__(format="A4")
        self.core_fonts_encoding = ENCODING
        self.digest, self.w_ = digest, w

    def footer(self):
        self.set_y(-13)
        self.set_font("Helvetica", size=7.5)
        self.set_text_color(90, 90, 90)
        label = _safe(f"{self.w_('version')}: ")
        self.cell(self.get_string_width(label) + 1, 4, label)
        self.set_font("Courier", size=7.5)
        self.cell(self.get_string_width(self.digest) + 2, 4, self.digest)
        self.set_font("Helvetica", size=7.5)
        self.cell(0, 4, _safe(f"{self.w_('page')} {self.page_no()}/{{nb}}"), align="R")


def render(content: dict, digest: str, state: dict) -> bytes:
    w = words(content["lang"])
    pdf = _Report(digest, w)
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(_safe(f"{w('report_for')} {content['client']}"))
    pdf.set_creator("Competentie-atlas")
    pdf.set_lang(content["lang"])
    pdf.add_page()

    def heading(text: str, size: float = 12.5) -> None:
        pdf.ln(1.5)
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(0, size * 0.5, _safe(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)

    def para(text: str, style: str = "", size: float = 10) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, LINE, _safe(text), new_x="LMARGIN", new_y="NEXT")

    def items(lines: list[str]) -> None:
        pdf.set_font("Helvetica", size=10)
        for line in lines:
            pdf.set_x(pdf.l_margin + 2)
            pdf.multi_cell(0, LINE, _safe("- " + line), new_x="LMARGIN", new_y="NEXT")

    heading(f"{w('report_for')} {content['client']}", 16)
    para(w("intro"))
    if state["changed"]:
        para(changed_line(state, w), "B")

    heading(w("measured_h"))
    items([measured_line(m, w) for m in content["measured"]] or [w("nothing_measured")])

    heading(w("strengths_h"))
    items([f"{s['label']}: {s['word']}" for s in content["strengths"]] or [w("no_strengths")])

    heading(w("develop_h"))
    if content["develop"]:
        para(w("develop_intro"))
        items([develop_line(d, w) + (f". {w('needed_for')}: {', '.join(d['for'])}" if d["for"] else "")
               for d in content["develop"]])
    else:
        para(w("no_develop"))
    if content.get("not_measured"):
        para(f"{w('not_measured')}: {', '.join(content['not_measured'])}.")

    heading(w("work_h"))
    if not content["occupations"] and not content["vacancies"]:
        para(w("no_work"))
    for title, rows in ((w("occupations_h"), content["occupations"]), (w("vacancies_h"), content["vacancies"])):
        if rows:
            para(title, "B")
            items([_work_line(r, w, content["lang"]) for r in rows])

    heading(w("availability_h"))
    a = content["availability"]
    items([f"{w('hours')}: {number(a['hours'], content['lang']) if a['hours'] is not None else w('not_recorded')}",
           f"{w('radius')}: {str(a['radius']) + ' km' if a['radius'] is not None else w('radius_default')}",
           f"{w('education')}: {a['education'] or w('not_recorded')}",
           f"{w('preferences')}: {a['preferences'] or w('not_recorded')}"])

    s = content.get("sensitive")
    if s is not None:
        heading(w("sensitive_h"))
        para(w("sensitive_note"), "I")
        lines = [f"{w('gate')}: {w('gate_' + shown_gate(s['gate'], s.get('gate_measured')))}" + (f" ({'; '.join(s['gate_reasons'])})"
                                                               if s["gate_reasons"] else "")]
        lines += [f"{b['what']}, {day(b['date'])}: {'; '.join(b['items'])}" for b in s["blocks"]]
        items(lines)
    elif content.get("sensitive_withheld"):
        heading(w("sensitive_h"))
        para(w("sensitive_withheld"), "I")

    heading(w("agreements_h"))
    para(content["agreements"] or w("no_agreements"))

    heading(w("acks_h"))
    items([f"{w('role_' + role)}: {ack_line(state, role, w)}" for role in ("coach", "client")])
    if state["complete"]:
        para(w("complete"))
    elif state["changed"]:
        para(changed_line(state, w), "B")
    pdf.ln(1)
    pdf.set_font("Helvetica", size=8.5)
    pdf.cell(0, 4.5, _safe(f"{w('version')}:"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Courier", size=8.5)
    pdf.cell(0, 4.5, digest, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _work_line(r: dict, w, lang: str) -> str:
    km = f"{r['km']} km" if r.get("km") is not None else None
    where = ", ".join(p for p in (r.get("employer"), r.get("place"), km) if p)
    head = r["title"] + (f" ({where})" if where else "")
    return f"{head}. {w('match')}: {fit(r, lang)}. {w('decision')}: {decision_line(r['decision'], w)}"
