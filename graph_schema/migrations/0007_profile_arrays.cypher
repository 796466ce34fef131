// Client profiles move from (:Client)-[:HAS_COMPETENCY]->(:Competency) relationships to parallel
// arrays on the client (format and reasons: matcher/profile_store.py). Profiles written by older
// versions are converted here, then their relationships removed; idempotent (a converted client
// has no HAS_COMPETENCY left). One transaction: fine for the demo and test graphs; a large
// production graph re-derives profiles faster by re-ingesting its measurements.
MATCH (c:Client) WHERE EXISTS { (c)-[:HAS_COMPETENCY]->() }
CALL (c) {
  MATCH (c)-[h:HAS_COMPETENCY]->(k:Competency)
  WITH h, k ORDER BY k.uri
  WITH collect(k.uri) AS uris, collect(h) AS hs
  WITH uris, hs, reduce(acc = [], h IN hs | acc + [s IN coalesce(h.sources, []) WHERE NOT s IN acc]) AS sources
  WITH uris, hs, sources,
       [h IN hs | [s IN coalesce(h.sources, []) | [i IN range(0, size(sources) - 1) WHERE sources[i] = s][0]]] AS refs
  SET c.profile_competencies = uris,
      c.profile_levels = [h IN hs | toFloat(coalesce(h.level, 0.0))],
      c.profile_confidences = [h IN hs | toFloat(coalesce(h.confidence, 0.0))],
      c.profile_as_of = [h IN hs | coalesce(h.as_of, date())],
      c.profile_inferred = [h IN hs | coalesce(h.inferred, false)],
      c.profile_traits = [h IN hs | coalesce(h.trait, 'trainable')],
      c.profile_sources = sources,
      c.profile_source_refs = reduce(acc = [], r IN refs | acc + r),
      c.profile_source_ends = [i IN range(0, size(refs) - 1) | reduce(n = 0, j IN range(0, i) | n + size(refs[j]))]
  WITH hs
  UNWIND hs AS h
  DELETE h
};
