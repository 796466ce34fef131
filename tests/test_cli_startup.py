"""Every `atlas-match` command starts by importing the whole command tree (api/cli.py): what only
some commands need loads inside them. `search occupation`, which an advisor waits for, fell from
1.93-1.95 s to 1.25-1.56 s when the match service (numba), the ingest and the instrument profiles
stopped loading with the tree (session 29)."""
from __future__ import annotations

import subprocess
import sys

LOADED_BY_THEIR_COMMANDS_ONLY = (
    "matcher.service", "numba",  # match, bench: the compiled index and its kernels
    "ingest.vacancy_ingest", "ingest.measurement_ingest",  # ingest
    "competency_atlas.instrument_profiles",  # instruments
)


def test_the_command_tree_loads_no_module_only_some_commands_need():
    code = ("import sys, api.cli; "
            f"print(' '.join(m for m in {LOADED_BY_THEIR_COMMANDS_ONLY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == []


def test_the_commands_that_need_them_still_find_them():
    """The lazily imported names exist where the commands import them (a rename would otherwise
    fail only when the command runs)."""
    from competency_atlas.instrument_profiles import ProfileValidationError, known_competency_uris, load_profiles
    from ingest.measurement_ingest import client_context, ingest_paths as ingest_measurements
    from ingest.vacancy_ingest import build_enricher, ingest_paths as ingest_vacancies
    from matcher.service import MatchService, NotFound

    assert all(callable(f) for f in (known_competency_uris, load_profiles, client_context, ingest_measurements,
                                     build_enricher, ingest_vacancies, MatchService))
    assert issubclass(ProfileValidationError, Exception) and issubclass(NotFound, Exception)
