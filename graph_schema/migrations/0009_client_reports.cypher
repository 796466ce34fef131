// Client reports (api/report.py): one ReportVersion per client and content hash, so that two
// saves of the same report at the same moment cannot make two versions; acknowledgements are
// found per client (and erased with it).
CREATE CONSTRAINT report_version_key IF NOT EXISTS FOR (v:ReportVersion) REQUIRE (v.client_key, v.hash) IS UNIQUE;
CREATE INDEX acknowledgement_client IF NOT EXISTS FOR (a:Acknowledgement) ON (a.client_key);
