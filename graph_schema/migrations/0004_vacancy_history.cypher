// Vacancy ingest: earlier versions of a re-published vacancy, and distance queries on vacancies.
CREATE CONSTRAINT vacancy_version_key IF NOT EXISTS FOR (n:VacancyVersion) REQUIRE n.key IS UNIQUE;
CREATE POINT INDEX vacancy_location IF NOT EXISTS FOR (n:Vacancy) ON (n.location);
CREATE INDEX vacancy_valid_through IF NOT EXISTS FOR (n:Vacancy) ON (n.valid_through);
