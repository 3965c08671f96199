package store

import (
	"context"
	"fmt"

	"github.com/safeguard-health/safeguard/internal/audit"
)

// EvidenceVersionRecords returns the audit entries that recorded the file
// versions of evidence id of organisation orgID, oldest first:
// evidence.upload for the first version, evidence.version for each later
// one. It reads them through the index audit_log_org_object.
func (db *DB) EvidenceVersionRecords(ctx context.Context, orgID, id int64) ([]audit.Record, error) {
	var out []audit.Record
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanAuditRecord, `SELECT `+auditColumnsFor(tx.db.dialect)+` FROM audit_log
			WHERE org_id = ? AND object = ? AND action IN ('evidence.upload', 'evidence.version') ORDER BY seq`, orgID, evidenceObject(id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit entries of evidence %d: %w", id, err)
	}
	return out, nil
}

// ProveAuditEntries calls fn with each entry of seqs and its inclusion proof
// against checkpoint c, all read in one transaction. c must be a checkpoint
// of this log (CheckpointAudit's), covering every entry of seqs.
func (db *DB) ProveAuditEntries(ctx context.Context, c audit.Checkpoint, seqs []int64, fn func(AuditProof) error) error {
	return db.view(ctx, func(tx *Tx) error {
		for _, seq := range seqs {
			p := AuditProof{Checkpoint: c}
			if err := tx.prove(ctx, seq, &p); err != nil {
				return fmt.Errorf("prove audit entry %d: %w", seq, err)
			}
			if err := fn(p); err != nil {
				return err
			}
		}
		return nil
	})
}
