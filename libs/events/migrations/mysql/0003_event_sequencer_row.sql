INSERT INTO jiban_event_sequencer (id, next_seq) VALUES (1, 1);
