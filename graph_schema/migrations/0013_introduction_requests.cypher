// An employer desk's introduction requests are found by client and vacancy (asking, answering, the
// desk's shortlist saying what it asked) and by client (a coach's caseload): without an index each
// of those read every request.
CREATE INDEX introduction_request_client_vacancy IF NOT EXISTS FOR (n:IntroductionRequest) ON (n.client_key, n.vacancy_id);
CREATE INDEX introduction_request_client IF NOT EXISTS FOR (n:IntroductionRequest) ON (n.client_key);
