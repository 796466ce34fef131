// Which vacancies an employer desk works for (api/access.py): the labour-market regions it serves,
// one node per desk subject, and who added a vacancy (set when a desk adds it, never changed).
CREATE CONSTRAINT desk_subject IF NOT EXISTS FOR (n:Desk) REQUIRE n.subject IS UNIQUE;
CREATE INDEX vacancy_region IF NOT EXISTS FOR (n:Vacancy) ON (n.region_code);
CREATE INDEX vacancy_added_by IF NOT EXISTS FOR (n:Vacancy) ON (n.added_by);
