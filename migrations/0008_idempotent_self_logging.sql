-- Records made offline on a phone carry a key made on the device, so that sending one again (the
-- connection dropped before the answer came) finds the record made the first time.
alter table records add column client_key uuid;
create unique index records_person_client_key on records (person_id, client_key) where client_key is not null;
