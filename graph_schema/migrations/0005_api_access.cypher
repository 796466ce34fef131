// API: CTC advisors as assignment targets (referrals), audit log by time and subject, decisions by advice.
CREATE CONSTRAINT ctc_advisor_id IF NOT EXISTS FOR (n:CtcAdvisor) REQUIRE n.id IS UNIQUE;
CREATE INDEX audit_at IF NOT EXISTS FOR (n:AuditEntry) ON (n.at);
CREATE INDEX audit_subject IF NOT EXISTS FOR (n:AuditEntry) ON (n.subject);
CREATE INDEX decision_advice IF NOT EXISTS FOR (n:Decision) ON (n.advice_ref);
CREATE INDEX client_region IF NOT EXISTS FOR (n:Client) ON (n.region_code);
