"""The words of the client report (page and PDF), Dutch first at B1 level: short sentences, no
jargon, no codes. The report's body uses the report's own language (stored with the version); the
coach's tools around it use the screen's language."""
from __future__ import annotations

from api.pages.views import day, local_time, number, shown_gate, unbroken  # noqa: F401  (as on the other pages)
from api.report import ABOUT_CLIENT
from matcher.presenters import fit_text
from matcher.scoring import DEFAULT_RADIUS_KM

WORDS: dict[str, tuple[str, str]] = {
    "report": ("Rapportage", "Report"),
    "report_for": ("Rapportage voor klant", "Report for client"),
    "intro": ("Dit rapport is voor u en uw coach. Het laat zien wat we weten en wat de volgende stappen zijn.",
              "This report is for you and your coach. It shows what we know and what the next steps are."),
    "measured_h": ("Wat is er gemeten?", "What was measured?"),
    "on": ("op", "on"),
    "by": ("afgenomen door", "by"),
    "nothing_measured": ("Er is nog niets gemeten.", "Nothing has been measured yet."),
    "strengths_h": ("Waar bent u goed in?", "What are you good at?"),
    "no_strengths": ("Er is nog te weinig gemeten om dit te zeggen.", "Too little has been measured to say."),
    "develop_h": ("Wat kunt u nog leren?", "What can you still learn?"),
    "develop_intro": ("Dit zijn uw ontwikkelpunten. Wat het meest nodig is, staat bovenaan.",
                      "These are the competencies to develop. The most needed come first."),
    "essential": ("noodzakelijk", "essential"),
    "optional": ("wenselijk", "optional"),
    "vacancies_within": ("vacatures binnen", "vacancies within"),  # the gap's reach, the client's travel radius
    "vacancy_within": ("vacature binnen", "vacancy within"),
    "needed_for": ("Nodig voor", "Needed for"),
    "no_develop": ("Er zijn geen ontwikkelpunten gevonden.", "No competencies to develop were found."),
    "not_measured": ("Nog niet gemeten, maar wel nodig voor dit werk", "Not measured yet, but needed for this work"),
    "work_h": ("Welk werk past bij u?", "Which work suits you?"),
    "occupations_h": ("Beroepen", "Occupations"),
    "vacancies_h": ("Vacatures", "Vacancies"),
    "no_work": ("Er is nu geen werk om voor te stellen.", "There is no work to suggest now."),
    "match": ("Match", "Fit"),
    "decision": ("Besluit van de coach", "Coach's decision"),
    "follow": ("volgen", "follow"),
    "override": ("afwijken", "override"),
    "no_decision": ("nog geen besluit", "no decision yet"),
    "availability_h": ("Wanneer en waar kunt u werken?", "When and where can you work?"),
    "hours": ("Uren per week", "Hours per week"),
    "radius": ("Reisafstand", "Travel distance"),
    "radius_default": ("25 km (standaard)", "25 km (default)"),
    "education": ("Opleiding", "Education"),
    "preferences": ("Wensen", "Wishes"),
    "not_recorded": ("nog niet vastgelegd", "not yet recorded"),
    "sensitive_h": ("Gevoelige gegevens", "Sensitive information"),
    "sensitive_withheld": ("Dit rapport heeft gevoelige gegevens. Alleen de coach van de klant ziet ze.",
                           "This report holds sensitive information. Only the client's coach sees it."),
    "sensitive_note": ("De coach heeft gekozen om deze gegevens in dit rapport te zetten.",
                       "The coach chose to include this information in this report."),
    "gate": ("Plaatsbaarheid", "Placeability"),
    "gate_matchable": ("plaatsbaar", "matchable"),
    "gate_needs_support": ("met ondersteuning", "needs support"),
    "gate_not_matchable": ("niet plaatsbaar", "not matchable"),
    "gate_unknown": ("nog niet bepaald", "not yet known"),
    "agreements_h": ("Afspraken en volgende stappen", "Agreements and next steps"),
    "no_agreements": ("Er zijn nog geen afspraken vastgelegd.", "No agreements have been recorded yet."),
    "acks_h": ("Gezien en besproken", "Seen and discussed"),
    "role_coach": ("Coach", "Coach"),
    "role_client": ("Klant", "Client"),
    "ack_missing": ("nog niet gezien en besproken", "not yet seen and discussed"),
    "ack_done": ("gezien en besproken op", "seen and discussed on"),
    "ack_by": ("door", "by"),
    "ack_with": ("samen met coach", "together with coach"),
    "ack_older": ("alleen een andere versie, op", "only another version, on"),
    "changed": ("Dit rapport is veranderd nadat het is gezien en besproken. Coach en klant moeten het "
                "opnieuw bekijken en bevestigen.",
                "This report changed after it was seen and discussed. Coach and client need to look at it "
                "again and confirm."),
    "changed_what": ("Veranderd", "Changed"),
    "changed_advice_only": ("Alleen het werk om u heen is veranderd: vacatures, beroepen en wat daarvoor nodig is. "
                            "Uw metingen, sterke punten, beschikbaarheid en afspraken zijn gelijk gebleven.",
                            "Only the work around you changed: vacancies, occupations and what they need. "
                            "Your measurements, strengths, availability and agreements stayed the same."),
    "part_measured": ("metingen", "measurements"),
    "part_strengths": ("sterke punten", "strengths"),
    "part_availability": ("beschikbaarheid", "availability"),
    "part_agreements": ("afspraken", "agreements"),
    "part_sensitive": ("gevoelige gegevens", "sensitive information"),
    "part_occupations": ("beroepen", "occupations"),
    "part_vacancies": ("vacatures", "vacancies"),
    "part_develop": ("ontwikkelpunten", "competencies to develop"),
    "part_not_measured": ("wat nog niet gemeten is", "what is not measured yet"),
    "complete": ("Coach en klant hebben deze versie gezien en besproken.",
                 "Coach and client have seen and discussed this version."),
    "version": ("Versie (controlegetal)", "Version (checksum)"),
    "page": ("Pagina", "Page"),
    # The coach's tools (screen language).
    "tools_h": ("Voor de coach", "For the coach"),
    "agreements_label": ("Afspraken en volgende stappen", "Agreements and next steps"),
    "include_sensitive": ("toon gevoelige gegevens in dit rapport", "show sensitive information in this report"),
    "include_sensitive_help": ("Balans, stressoren, regie, leefgebieden en plaatsbaarheid. "
                               "Standaard staan ze er niet in.",
                               "Balance, stressors, locus of control, life domains and placeability. "
                               "Left out by default."),
    "report_lang": ("Taal van het rapport", "Language of the report"),
    "dutch": ("Nederlands", "Dutch"),
    "english": ("Engels", "English"),
    "save": ("Rapport opslaan", "Save report"),
    "save_help": ("Opslaan maakt een nieuwe versie als er iets veranderd is. Daarna is opnieuw bevestigen nodig.",
                  "Saving makes a new version if anything changed. It then needs to be confirmed again."),
    "ack_as_coach": ("Gezien en besproken door de coach", "Seen and discussed by the coach"),
    "ack_as_client": ("Gezien en besproken door de klant", "Seen and discussed by the client"),
    "ack_client_help": ("De klant bevestigt samen met u, aan dit scherm.",
                        "The client confirms with you, at this screen."),
    "pdf": ("Download als PDF", "Download as PDF"),
    "print_help": ("Afdrukken kan ook met Afdrukken in de browser (Ctrl+P).",
                   "You can also print with the browser's Print (Ctrl+P)."),
    "changed_meanwhile": ("Het rapport is net veranderd. Lees het opnieuw en bevestig dan.",
                          "The report has just changed. Read it again and then confirm."),
    "back": ("Terug naar de klant", "Back to the client"),
    "old_version": ("Dit is een eerdere versie van het rapport, zoals die is opgeslagen op",
                    "This is an earlier version of the report, as saved on"),
    "to_current": ("Naar het huidige rapport", "To the current report"),
    "see_version": ("bekijk die versie", "see that version"),
    "not_intact": ("Let op: de opgeslagen inhoud past niet meer bij het controlegetal.",
                   "Note: the stored content no longer matches its checksum."),
    "report_link": ("Rapportage", "Report"),
}


def words(lang: str):
    i = 1 if lang == "en" else 0

    def w(key: str) -> str:
        return WORDS[key][i] if key in WORDS else key

    w.lang = lang if lang == "en" else "nl"  # for numbers in the report's own language
    return w


def when(iso: str | None) -> str:
    """A stored UTC time as Dutch local date and time: '30-11-2026 11:05'."""
    if not iso:
        return ""
    t = local_time(iso)
    return t.strftime("%d-%m-%Y %H:%M") if t else iso


def fit(row: dict, lang: str) -> str:
    """'72 % (55–85 %), 60 % gemeten, 20 % afgeleid' from the report's rounded percentages, each
    figure kept with its unit as on the other pages (the page and the PDF wrap lines too)."""
    return unbroken(fit_text(row["fit"] / 100, row["low"] / 100, row["high"] / 100, row["measured"] / 100, lang,
                             (row.get("inferred") or 0) / 100))


def decision_line(d: dict | None, w) -> str:
    """'afwijken (reisafstand): Geen auto.' or 'nog geen besluit'."""
    if not d:
        return w("no_decision")
    reason = f" ({d['reason']})" if d.get("reason") else ""
    return w(d["choice"]) + reason + (f": {d['text']}" if d.get("text") else "")


def measured_line(m: dict, w) -> str:
    return f"{m['what']} {w('on')} {day(m['date'])}" + (f", {w('by')} {m['by']}" if m.get("by") else "")


def develop_line(d: dict, w) -> str:
    kind = w("essential") if d["essential"] else w("optional")
    opens = opens_text(d, w)
    return f"{d['label']} ({kind})" + (f": {opens}" if opens else "")


def opens_text(d: dict, w) -> str:
    """"+3 vacatures binnen 30 km" for a point to develop; nothing when it opens none (a row of
    "+0" says nothing the client can use)."""
    if not d.get("opens"):
        return ""
    within = w("vacancy_within" if d["opens"] == 1 else "vacancies_within")  # words, not content: the hash stays
    return f"+{d['opens']} {within} {number(d.get('reach_km') or DEFAULT_RADIUS_KM, w.lang)} km"


def changed_line(state: dict, w) -> str:
    """Why the report must be confirmed again, and what changed since it was seen: the coach can
    tell the client whether anything about them changed or only the work on offer."""
    parts = state.get("changed_parts") or []
    if not parts:
        return w("changed")
    if not set(parts) & set(ABOUT_CLIENT):
        return f"{w('changed')} {w('changed_advice_only')}"
    return f"{w('changed')} {w('changed_what')}: {', '.join(w('part_' + p) for p in parts)}."


def ack_line(state: dict, role: str, w) -> str:
    """How a role's acknowledgement reads under the report."""
    r = state["roles"][role]
    a = r["ack"]
    if a is None:
        return w("ack_missing")
    if not r["current"]:
        return f"{w('ack_older')} {when(a['at'])}"
    who = f"{w('ack_by')} {a['by']}" if role == "coach" else f"{w('ack_with')} {a['present']}"
    return f"{w('ack_done')} {when(a['at'])}, {who}"
