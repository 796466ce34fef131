"""How many records each ingest writes per transaction, by default.

Apart from the ingest modules so that the commands can show them without loading the ingest
(its models and readers, ~0.1 s every `atlas-match` command would otherwise pay)."""

VACANCIES = 100
MEASUREMENTS = 2000
