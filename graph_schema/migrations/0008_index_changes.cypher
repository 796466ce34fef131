// The change log behind live index updates (matcher/freshness.py): each bump of the match
// generation records which clients it changed, so a running index patches just those rows.
CREATE INDEX index_change_generation IF NOT EXISTS FOR (c:IndexChange) ON (c.generation);
