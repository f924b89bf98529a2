-- Each machine client's own ceiling of requests per second (null: the service default,
-- CE_CLIENT_RATE_LIMIT), counted across every API process.
alter table api_clients add column requests_per_second integer check (requests_per_second > 0);
