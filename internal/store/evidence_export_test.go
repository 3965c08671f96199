package store

import "context"

// FlipEvidenceByteForTest alters one byte of the stored ciphertext of a
// version of evidence, as someone with write access to the database could.
func FlipEvidenceByteForTest(ctx context.Context, db *DB, id int64, version, at int) error {
	var sealed []byte
	if err := db.write.QueryRowContext(ctx, db.rebind(`SELECT sealed FROM evidence_versions WHERE evidence_id = ? AND version = ?`), id, version).Scan(&sealed); err != nil {
		return err
	}
	sealed[at%len(sealed)] ^= 0x01
	_, err := db.write.ExecContext(ctx, db.rebind(`UPDATE evidence_versions SET sealed = ? WHERE evidence_id = ? AND version = ?`), sealed, id, version)
	return err
}
