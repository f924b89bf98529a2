-- The hash chain, cheaper per event: the head is locked once per statement and written once at its
-- end, instead of read and rewritten for every row (a 1,000-record batch rewrote it 1,000 times).
-- Between the rows of one statement the running head lives in a transaction-local setting, which
-- PostgreSQL also rolls back with a failed savepoint. The chained content is unchanged, so
-- `ce-service audit verify` checks old and new events alike.

create or replace function chain_record_event() returns trigger language plpgsql as $$
declare
    running text := current_setting('ce.chain_head', true);
    seq bigint;
    prev bytea;
begin
    if running is null or running = '' then
        -- First row of the statement: the row lock makes concurrent writers chain one after the other.
        select h.seq, h.hash into seq, prev from event_chain_head h where only_row for update;
    else
        seq := split_part(running, ':', 1)::bigint;
        prev := decode(split_part(running, ':', 2), 'hex');
    end if;
    new.chain_seq := seq + 1;
    new.prev_hash := prev;
    new.hash := sha256(prev || record_event_content(new));
    perform set_config('ce.chain_head', new.chain_seq::text || ':' || encode(new.hash, 'hex'), true);
    return new;
end $$;

create function write_event_chain_head() returns trigger language plpgsql as $$
declare
    running text := current_setting('ce.chain_head', true);
begin
    if running is not null and running <> '' then
        update event_chain_head set seq = split_part(running, ':', 1)::bigint,
            hash = decode(split_part(running, ':', 2), 'hex') where only_row;
        perform set_config('ce.chain_head', '', true);
    end if;
    return null;
end $$;

create trigger record_events_chain_head after insert on record_events
    for each statement execute function write_event_chain_head();

-- Records pointing at a record that superseded them: found (and checked on delete) by index.
create index records_superseded_by on records (superseded_by) where superseded_by is not null;
