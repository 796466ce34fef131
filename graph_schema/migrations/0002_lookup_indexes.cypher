// Lookup indexes for the properties queries filter on.
CREATE INDEX occupation_isco IF NOT EXISTS FOR (n:Occupation) ON (n.isco_code);
CREATE INDEX competency_kind IF NOT EXISTS FOR (n:Competency) ON (n.kind);
CREATE INDEX label_lang IF NOT EXISTS FOR (n:Label) ON (n.lang);
CREATE INDEX measurement_client IF NOT EXISTS FOR (n:Measurement) ON (n.client_key);
CREATE INDEX vacancy_status IF NOT EXISTS FOR (n:Vacancy) ON (n.status);
CREATE INDEX client_gate IF NOT EXISTS FOR (n:Client) ON (n.gate);
CREATE INDEX audit_client IF NOT EXISTS FOR (n:AuditEntry) ON (n.client_key);
