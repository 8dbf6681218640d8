-- device room: the X.509 certificate pinned for a device (DER), when one was uploaded with x509 credentials.
-- Null for x509 devices that any certificate of a trusted CA with their CN may authenticate, and for other kinds.
-- (V10 belongs to a parallel branch; Flyway applies V11 after V9 on a fresh database.)
ALTER TABLE devices ADD COLUMN x509_certificate VARBINARY(16384);
