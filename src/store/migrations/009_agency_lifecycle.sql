-- Agency lifecycle (Decision 09/2025/QĐ-TTg closes the codes of merged provinces; Resolution 60-NQ/TW ends
-- the district level): a closed agency keeps its row forever, with the date its closure took effect and its
-- successors, so old codes stay resolvable for documents, follow-ups and statuses that still name them.
alter table agencies add column closed_on date
--;
alter table agencies add column successors text[] not null default '{}'
--;
alter table agencies add column closure_note text
--;
-- A delivery leg to a successor records the closed code the package was addressed to.
alter table deliveries add column addressed_to text
