// The counter of changes to who may see which client (graph_schema/access_state.py): one node.
CREATE CONSTRAINT access_state_id IF NOT EXISTS FOR (n:AccessState) REQUIRE n.id IS UNIQUE;
// Counting starts here: until the node exists no process holds a caseload between requests.
MERGE (s:AccessState {id: 'access'}) ON CREATE SET s.generation = 0, s.epoch = randomUUID();
