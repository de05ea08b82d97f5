-- The list endpoint pages newest first; this keeps it an index scan as the table grows.
CREATE INDEX notes_created_at_idx ON notes (created_at DESC, id DESC);
