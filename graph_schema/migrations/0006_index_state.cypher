// The generation counter that tells API replicas their in-memory match index is stale.
CREATE CONSTRAINT index_state_id IF NOT EXISTS FOR (n:IndexState) REQUIRE n.id IS UNIQUE;
