-- One row: the next sequence number. Sequencers lock it, so numbering is serial and gap-free.
CREATE TABLE jiban_event_sequencer (
  id INTEGER NOT NULL PRIMARY KEY,
  next_seq BIGINT NOT NULL
) ENGINE=InnoDB;
