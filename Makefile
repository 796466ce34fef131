# The two commands a newcomer needs (see README.md):
#   make demo   set up (without the test browser), provision Neo4j, load the demo and run the main job
#   make test   set everything up and run the test suite against a real Neo4j
.PHONY: setup demo test audit

setup:
	bash scripts/setup.sh

# The demo serves the pages but does not test them: no headless browser installed for it.
demo:
	bash scripts/setup.sh --without-browser
	.venv/bin/atlas-match demo run

# Two workers, a whole test module at a time each, each worker with its own local Neo4j
# (tests/conftest.py); one process when NEO4J_URI names the one server all tests would share.
TEST_WORKERS ?= $(if $(NEO4J_URI),0,2)

test: setup audit
	.venv/bin/pytest -n $(TEST_WORKERS) --dist loadfile

# Known vulnerabilities of the locked packages (scripts/audit.py): fails on one found; says plainly
# when the vulnerability service cannot be reached.
audit: setup
	.venv/bin/python scripts/audit.py
