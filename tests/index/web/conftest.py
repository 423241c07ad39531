"""The loopback website and sync options shared by the web-source tests."""

from __future__ import annotations

import pytest
from loopback_site import DOCX_TEXT, PDF_TEXT, ServedSite, guides_site, sample_docx, sample_pdf
from support import PATIENT_TIMEOUT_SECONDS, SMALL_CORPUS

from index.web.fetch import Limits
from index.web.sync import SyncOptions, user_agent


@pytest.fixture
def served():
    served = ServedSite(guides_site(SMALL_CORPUS, sample_pdf(PDF_TEXT), sample_docx("Fiche hackathon", DOCX_TEXT)))
    yield served
    served.close()


@pytest.fixture
def site(served):
    return served.site


@pytest.fixture
def options(tmp_path):
    return SyncOptions(corpus_dir=tmp_path / "corpus", state_dir=tmp_path / "state",
                       user_agent=user_agent("mailto:innovation@example.org"),
                       limits=Limits(max_page_bytes=200_000, max_total_bytes=50_000_000, timeout_seconds=PATIENT_TIMEOUT_SECONDS))

