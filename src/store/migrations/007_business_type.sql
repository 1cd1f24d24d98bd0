-- QCVN 102 follow-up packages (Bussiness/BussinessDocType 1 recall, 2 update, 3 replacement) may carry the
-- DocumentId of the document they follow (the VPCP samples do): dedupe on (From, DocumentId, kind).
alter table documents add column business_type text not null default '0'
--;
alter table documents drop constraint documents_from_organ_document_id_key
--;
alter table documents add constraint documents_sender_document_kind unique (from_organ, document_id, business_type)
