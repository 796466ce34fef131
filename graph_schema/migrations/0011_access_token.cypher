// A random token per state of who may see whom (graph_schema/access_state.py): caseloads are held
// under it, so the first one is drawn here rather than at the first assignment.
MATCH (s:AccessState {id: 'access'}) SET s.token = coalesce(s.token, randomUUID());
