"""SQL for rule sets."""

# The newest version of each rule set is the one in force.
RULE_SETS_IN_FORCE = """
select distinct on (name) id, name, version, title, definition, loaded_at
from rule_sets order by name, version desc
"""

NEXT_VERSION = "select coalesce(max(version), 0) + 1 from rule_sets where name = $1"

INSERT_RULE_SET = """
insert into rule_sets (name, version, title, definition, source_text, checksum, loaded_by)
values ($1, $2, $3, $4, $5, $6, $7)
returning id
"""

LATEST_CHECKSUM = "select checksum from rule_sets where name = $1 order by version desc limit 1"

LATEST_RULE_SET_ID = "select coalesce(max(id), 0) from rule_sets"

LIST_RULE_SETS = "select name, version, title, loaded_at, loaded_by, checksum from rule_sets order by name, version"

# One loader at a time, so that two loads cannot both pass the overlap check.
LOCK_RULES = "select pg_advisory_xact_lock(7215300001)"
