package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
)

// reportPurpose labels the data keys that seal stored reports.
const reportPurpose = "report"

// ReportFile is a generated report to keep.
type ReportFile struct {
	Name         string
	Format       string
	Part         string
	AssessmentID int64
	AnalysisID   int64
	Draft        bool
	ContentType  string
	Data         []byte
}

// StoredReport is a kept report, without its bytes.
type StoredReport struct {
	ID           int64     `json:"id"`
	OrgID        int64     `json:"org_id"`
	Name         string    `json:"name"`
	Format       string    `json:"format"`
	Part         string    `json:"part"`
	AssessmentID int64     `json:"assessment_id,omitempty"`
	AnalysisID   int64     `json:"analysis_id,omitempty"`
	Draft        bool      `json:"draft"`
	ContentType  string    `json:"content_type"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	RetainUntil  time.Time `json:"retain_until"`
}

// reportAAD binds sealed report bytes to their organisation and digest,
// so that bytes moved to another organisation's row, or to another
// report's, do not open.
func reportAAD(orgID int64, sum string) []byte {
	return fmt.Appendf(nil, "safeguard report org=%d sha256=%s", orgID, sum)
}

const reportColumns = `id, org_id, name, format, part, assessment_id, analysis_id, draft, content_type, size, sha256, created_by, created_at, retain_until`

func scanReport(row interface{ Scan(...any) error }) (StoredReport, error) {
	var r StoredReport
	var as, an sql.NullInt64
	err := row.Scan(&r.ID, &r.OrgID, &r.Name, &r.Format, &r.Part, &as, &an, &r.Draft, &r.ContentType, &r.Size, &r.SHA256,
		&r.CreatedBy, timeValue{&r.CreatedAt}, timeValue{&r.RetainUntil})
	r.AssessmentID, r.AnalysisID = as.Int64, an.Int64
	return r, err
}

// SaveReport keeps a generated report, sealed, with its SHA-256 and a
// retention date six years on; the audit entry commits with it.
func (db *DB) SaveReport(ctx context.Context, actor Actor, keys *crypt.Keyring, orgID int64, f ReportFile) (StoredReport, error) {
	if keys == nil {
		return StoredReport{}, errors.New("save report: no keyring to seal it with")
	}
	dk, kekID, wrapped, err := keys.NewDataKey()
	if err != nil {
		return StoredReport{}, fmt.Errorf("save report: %w", err)
	}
	sum := sha256.Sum256(f.Data)
	r := StoredReport{OrgID: orgID, Name: f.Name, Format: f.Format, Part: f.Part, AssessmentID: f.AssessmentID, AnalysisID: f.AnalysisID,
		Draft: f.Draft, ContentType: f.ContentType, Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:]), CreatedBy: actor.Name}
	err = db.update(ctx, func(tx *Tx) error {
		keyID, err := tx.createDataKey(ctx, actor, WrappedKey{KEKID: kekID, Wrapped: wrapped, Purpose: reportPurpose})
		if err != nil {
			return err
		}
		r.CreatedAt, r.RetainUntil = tx.now, tx.now.AddDate(assess.RetentionYears, 0, 0)
		sealed, err := dk.Seal(f.Data, reportAAD(orgID, r.SHA256))
		if err != nil {
			return err
		}
		if r.ID, err = tx.insert(ctx, `INSERT INTO reports (org_id, name, format, part, assessment_id, analysis_id, draft, content_type, size, sha256, data_key_id, sealed, created_by, created_at, retain_until)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, orgID, r.Name, r.Format, r.Part, nullID(r.AssessmentID), nullID(r.AnalysisID),
			r.Draft, r.ContentType, r.Size, r.SHA256, keyID, sealed, r.CreatedBy, r.CreatedAt, r.RetainUntil); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "report.generate", Object: fmt.Sprintf("report:%d", r.ID),
			Summary: fmt.Sprintf("generated %q (%s, %d bytes, SHA-256 %s)", r.Name, r.Format, r.Size, r.SHA256)})
	})
	if err != nil {
		return StoredReport{}, fmt.Errorf("save report: %w", err)
	}
	return r, nil
}

// Reports returns a page of the organisation's kept reports, newest first,
// and the key of the next page, or nil on the last.
func (db *DB) Reports(ctx context.Context, orgID int64, p Page) ([]StoredReport, *Key, error) {
	var out []StoredReport
	var next *Key
	err := db.view(ctx, func(tx *Tx) error {
		q := `SELECT ` + reportColumns + ` FROM reports WHERE org_id = ?`
		args := []any{orgID}
		if !p.After.IsZero() {
			q += ` AND id < ?`
			args = append(args, p.After.ID)
		}
		q += ` ORDER BY id DESC LIMIT ?`
		args = append(args, p.size()+1)
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanReport(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) > p.size() {
			out = out[:p.size()]
			next = &Key{ID: out[len(out)-1].ID}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list reports of org %d: %w", orgID, err)
	}
	return out, next, nil
}

// OpenReport decrypts a kept report for download, checks its SHA-256 and
// audits the download in the same transaction. A report that fails the
// check is not served (ErrEvidenceTampered) and the attempt is audited.
func (db *DB) OpenReport(ctx context.Context, actor Actor, keys *crypt.Keyring, orgID, id int64) (StoredReport, []byte, error) {
	if keys == nil {
		return StoredReport{}, nil, errors.New("open report: no keyring to open it with")
	}
	var r StoredReport
	var data []byte
	var tampered bool
	err := db.update(ctx, func(tx *Tx) error {
		var sealed, wrapped []byte
		var kekID string
		var err error
		r, err = scanReport(tx.queryRow(ctx, `SELECT `+reportColumns+` FROM reports WHERE org_id = ? AND id = ?`, orgID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("report %d: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT r.sealed, d.kek_id, d.wrapped FROM reports r JOIN data_keys d ON d.id = r.data_key_id WHERE r.id = ?`, id).
			Scan(&sealed, &kekID, &wrapped); err != nil {
			return err
		}
		object := fmt.Sprintf("report:%d", id)
		why := ""
		dk, err := keys.Unwrap(kekID, wrapped)
		if errors.Is(err, crypt.ErrUnknownKEK) {
			return fmt.Errorf("%s: %w", object, err)
		} else if err != nil {
			why = "its wrapped data key was altered"
		} else if data, err = dk.Open(sealed, reportAAD(orgID, r.SHA256)); err != nil {
			why = "the stored ciphertext did not decrypt"
		} else {
			sum := sha256.Sum256(data)
			if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(r.SHA256)) != 1 {
				why = "its SHA-256 is not the one recorded when it was generated"
			}
		}
		if why != "" {
			tampered, data = true, nil
			return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "report.tamper_detected", Object: object,
				Summary: fmt.Sprintf("download of %q refused: %s", r.Name, why)})
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "report.download", Object: object,
			Summary: fmt.Sprintf("downloaded %q (%s, %d bytes, SHA-256 verified)", r.Name, r.Format, r.Size)})
	})
	if err != nil {
		return StoredReport{}, nil, fmt.Errorf("open report: %w", err)
	}
	if tampered {
		return StoredReport{}, nil, fmt.Errorf("report %d: %w", id, ErrEvidenceTampered)
	}
	return r, data, nil
}
