"""The client report in a real browser (Debian's headless Chromium driven by Playwright, as in
test_pages_browser.py, whose fixtures and axe-core check this file reuses): the coach opens the
report from the client page, it passes the accessibility check, coach and client acknowledge it,
both acknowledgements show with the version's hash, the print view hides the coach's tools, and
the PDF link serves a PDF with the same hash. Screenshots go to <work dir>/screenshots/."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from test_pages_browser import chromium, live, look, shots, sign_in  # noqa: F401  (fixtures)


def test_coach_opens_the_report_and_coach_and_client_acknowledge_it(live, chromium, shots):
    base, tokens = live
    page = sign_in(chromium, base, tokens["coach"], "/klanten/K-1")
    page.click("a:text('Rapportage')")
    page.wait_for_url(base + "/klanten/K-1/rapport")
    report = page.locator("article.report")
    assert "Wat is er gemeten?" in report.inner_text() and "ABC-meting op 12-04-2024" in report.inner_text()
    digest = page.locator("code.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert page.locator(".ack-current").count() == 0
    look(page, shots, "coach-report")

    page.click("#ack-coach")
    page.wait_for_url(re.compile(r"/rapport#gezien$"))
    assert page.locator("dd.ack-coach.ack-current").count() == 1
    page.click("#ack-client")
    page.wait_for_url(re.compile(r"/rapport#gezien$"))
    assert page.locator(".ack-current").count() == 2
    acks = page.locator("section.acks").inner_text()
    assert "samen met coach coach-a" in acks and "hebben deze versie gezien en besproken" in acks
    assert page.locator("code.hash").inner_text() == digest  # the same version
    look(page, shots, "coach-report-acknowledged")

    # Paper: the coach's tools and the top bar are not printed.
    page.emulate_media(media="print")
    assert not page.locator("section.tools").is_visible() and not page.locator("header.top").is_visible()
    page.screenshot(path=str(shots / "coach-report-print.png"), full_page=True)
    printed = page.pdf(format="A4", print_background=True)  # Chromium's own print of the page
    (shots / "coach-report-print.pdf").write_bytes(printed)
    assert 1 <= len(PdfReader(io.BytesIO(printed)).pages) <= 2
    page.emulate_media(media="screen")

    # New agreements make a new version: the report says so and asks for new acknowledgements.
    page.fill("#agreements", "Dinsdag samen de vacature van de bakker bekijken.")
    page.click("#save-report")
    page.wait_for_url(base + "/klanten/K-1/rapport")
    assert "Dit rapport is veranderd" in page.locator("article.report").inner_text()
    assert page.locator("code.hash").inner_text() != digest
    look(page, shots, "coach-report-changed")
    page.locator("dd.ack-coach a").click()  # the version that was seen and discussed, as it was
    page.wait_for_url(re.compile(r"/rapport\?versie=" + digest + "$"))
    assert page.locator("code.hash").inner_text() == digest and page.locator(".ack-current").count() == 2
    look(page, shots, "coach-report-version")

    pdf = page.request.get(base + "/klanten/K-1/rapport.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.close()
