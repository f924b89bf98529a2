-- Platforms get a name people read (the administrator's page shows it, never the configuration name), and a
-- failed pull keeps what went wrong as a kind the page says in Chinese, with the tries it took; last_error keeps
-- the words the log has, shown only as technical details.
alter table platforms add column display_name text check (display_name is null or length(display_name) between 1 and 100);
alter table platforms add column last_error_kind text check (last_error_kind in (
    'timeout', 'connection', 'busy', 'server', 'malformed', 'too_large', 'token', 'refused', 'unknown'));
alter table platforms add column last_error_tries integer;

-- The provincial platform most installations pull from.
update platforms set display_name = '贵州省专业技术人员继续教育平台' where name = 'gzjxjy' and display_name is null;

-- Errors recorded before this migration: their kind as fetch.py wrote them.
update platforms set
    last_error_kind = case
        when last_error like 'timed out%' then 'timeout'
        when last_error like 'connection failed%' then 'connection'
        when last_error like 'HTTP 429%' then 'busy'
        when last_error ~ '^HTTP 5\d\d' then 'server'
        when last_error ~ '^HTTP 40[13]\M' then 'token'
        when last_error ~ '^HTTP 4\d\d' then 'refused'
        when last_error like 'the page is larger%' then 'too_large'
        when last_error like 'not a page of results%' or last_error like 'malformed JSON%' then 'malformed'
        else 'unknown' end,
    last_error_tries = substring(last_error from '\((\d+) tries\)$')::integer
where last_error is not null;
