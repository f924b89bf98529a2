"""SQL for the audit trail: the chain, its head, the rows it covers, and the signed checkpoints."""

CHAIN_PAGE = """
select e.id, e.record_id, e.chain_seq, e.prev_hash, e.hash, sha256(e.prev_hash || record_event_content(e)) as recomputed
from record_events e where e.chain_seq > $1 order by e.chain_seq limit $2
"""

CHAIN_HEAD = "select seq, hash from event_chain_head"

# Records whose row no longer hashes to what their last event says it left behind (edited without
# an event), or that have no event at all.
ROW_MISMATCHES = """
select r.id, e.chain_seq, e.row_hash is null as unsealed
from records r
left join lateral (select x.chain_seq, x.row_hash from record_events x where x.record_id = r.id
                   order by x.id desc limit 1) e on true
where e.row_hash is distinct from sha256(record_row_content(r))
order by r.id
limit $1
"""

ROW_MISMATCH_COUNT = """
select count(*) from records r
left join lateral (select x.row_hash from record_events x where x.record_id = r.id order by x.id desc limit 1) e on true
where e.row_hash is distinct from sha256(record_row_content(r))
"""

CHECKPOINTS = "select seq, hash, at, kid, signature from audit_checkpoints order by seq, id"

# The checkpoints a review system copies: newest last, from a sequence number on.
CHECKPOINTS_PAGE = """
select seq, hash, at, kid, signature from audit_checkpoints where seq > $1 order by seq, id limit $2
"""

LAST_CHECKPOINT_SEQ = "select max(seq) from audit_checkpoints"

INSERT_CHECKPOINT = """
insert into audit_checkpoints (seq, hash, at, kid, signature) values ($1, $2, $3, $4, $5)
"""
