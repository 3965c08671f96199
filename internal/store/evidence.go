package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// evidencePurpose labels the data keys that seal evidence files.
const evidencePurpose = "evidence"

// ErrEvidenceTampered is returned when a stored evidence file fails its
// integrity check on the way out: the ciphertext does not open, or the
// plaintext's SHA-256 is not the one recorded at upload. Nothing is served,
// and the attempt is audited as evidence.tamper_detected.
var ErrEvidenceTampered = errors.New("the stored file failed its integrity check and was not served")

// EvidenceFile is a file to store as a version of evidence. Limit is the
// size limit (assess.DefaultMaxEvidenceSize when 0).
type EvidenceFile struct {
	Filename string
	Data     []byte
	Limit    int64
}

// evidenceAAD binds a sealed version to its organisation, evidence and
// version number, so that sealed bytes moved to another row do not open.
func evidenceAAD(orgID, id int64, version int) []byte {
	return fmt.Appendf(nil, "safeguard evidence org=%d evidence=%d version=%d", orgID, id, version)
}

func evidenceObject(id int64) string { return fmt.Sprintf("evidence:%d", id) }

const evidenceColumns = `id, org_id, title, description, kind, url, current_version, retired_at, retired_by, created_by, created_at, updated_at`

func scanEvidence(row interface{ Scan(...any) error }) (assess.Evidence, error) {
	var e assess.Evidence
	var kind string
	err := row.Scan(&e.ID, &e.OrgID, &e.Title, &e.Description, &kind, &e.URL, &e.CurrentVersion,
		timeValue{&e.RetiredAt}, &e.RetiredBy, &e.CreatedBy, timeValue{&e.CreatedAt}, timeValue{&e.UpdatedAt})
	e.Kind = assess.EvidenceKind(kind)
	return e, err
}

func (tx *Tx) evidence(ctx context.Context, orgID, id int64) (assess.Evidence, error) {
	e, err := scanEvidence(tx.queryRow(ctx, `SELECT `+evidenceColumns+` FROM evidence WHERE org_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return assess.Evidence{}, fmt.Errorf("evidence %d: %w", id, ErrNotFound)
	}
	return e, err
}

// sealedVersion is a file version ready to insert: inspected, and with a
// fresh data key to seal it under.
type sealedVersion struct {
	v       assess.EvidenceVersion
	data    []byte
	dk      crypt.DataKey
	kekID   string
	wrapped []byte
}

func prepareVersion(keys *crypt.Keyring, f EvidenceFile) (sealedVersion, error) {
	v, err := assess.InspectFile(f.Filename, f.Data, f.Limit)
	if err != nil {
		return sealedVersion{}, err
	}
	if keys == nil {
		return sealedVersion{}, errors.New("no keyring to seal evidence with")
	}
	dk, kekID, wrapped, err := keys.NewDataKey()
	if err != nil {
		return sealedVersion{}, err
	}
	return sealedVersion{v: v, data: f.Data, dk: dk, kekID: kekID, wrapped: wrapped}, nil
}

// insertVersion seals and stores version number n of evidence e.
func (tx *Tx) insertVersion(ctx context.Context, actor Actor, e assess.Evidence, n int, s sealedVersion) (assess.EvidenceVersion, error) {
	keyID, err := tx.createDataKey(ctx, actor, WrappedKey{KEKID: s.kekID, Wrapped: s.wrapped, Purpose: evidencePurpose})
	if err != nil {
		return assess.EvidenceVersion{}, err
	}
	sealed, err := s.dk.Seal(s.data, evidenceAAD(e.OrgID, e.ID, n))
	if err != nil {
		return assess.EvidenceVersion{}, err
	}
	v := s.v
	v.Version, v.UploadedBy, v.UploadedAt = n, actor.Name, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO evidence_versions (evidence_id, version, filename, content_type, size, sha256, data_key_id, sealed, uploaded_by, uploaded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, n, v.Filename, v.ContentType, v.Size, v.SHA256, keyID, sealed, v.UploadedBy, v.UploadedAt); err != nil {
		return assess.EvidenceVersion{}, fmt.Errorf("store evidence version: %w", err)
	}
	if _, err := tx.exec(ctx, `UPDATE evidence SET current_version = ?, updated_at = ? WHERE id = ?`, n, tx.now, e.ID); err != nil {
		return assess.EvidenceVersion{}, err
	}
	return v, nil
}

// CreateEvidence records a new piece of evidence for an organisation: a
// link (e.Kind link, with e.URL), or a file whose first version is f.
func (db *DB) CreateEvidence(ctx context.Context, actor Actor, keys *crypt.Keyring, orgID int64, e assess.Evidence, f *EvidenceFile) (assess.Evidence, error) {
	e.Normalize()
	e.OrgID = orgID
	p := validate.Error{}
	maps(p, e.Validate())
	var s sealedVersion
	if e.Kind == assess.EvidenceFile {
		if f == nil {
			p.Add("file", "is required: choose a file to upload")
		} else {
			var err error
			s, err = prepareVersion(keys, *f)
			var fp validate.Error
			if errors.As(err, &fp) {
				maps(p, fp)
			} else if err != nil {
				return assess.Evidence{}, fmt.Errorf("create evidence: %w", err)
			}
		}
	} else if f != nil {
		p.Add("file", "is only for file evidence; a link has no file")
	}
	if err := p.Err(); err != nil {
		return assess.Evidence{}, err
	}
	err := db.update(ctx, func(tx *Tx) error {
		e.CreatedBy, e.CreatedAt, e.UpdatedAt, e.CurrentVersion = actor.Name, tx.now, tx.now, 0
		var err error
		e.ID, err = tx.insert(ctx, `INSERT INTO evidence (org_id, title, description, kind, url, current_version, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)`, orgID, e.Title, e.Description, string(e.Kind), e.URL, e.CreatedBy, tx.now, tx.now)
		if err != nil {
			return err
		}
		if e.Kind == assess.EvidenceLink {
			return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "evidence.link", Object: evidenceObject(e.ID),
				Summary: fmt.Sprintf("added link %q to %s", e.Title, e.URL)})
		}
		v, err := tx.insertVersion(ctx, actor, e, 1, s)
		if err != nil {
			return err
		}
		e.CurrentVersion = 1
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "evidence.upload", Object: evidenceObject(e.ID),
			Summary: fmt.Sprintf("uploaded %q: %s, %s, %d bytes, SHA-256 %s", e.Title, v.Filename, v.ContentType, v.Size, v.SHA256)})
	})
	if err != nil {
		return assess.Evidence{}, fmt.Errorf("create evidence: %w", err)
	}
	return e, nil
}

// AddEvidenceVersion stores a new version of a file; earlier versions are
// kept. Retired evidence and links take no versions (ErrConflict).
func (db *DB) AddEvidenceVersion(ctx context.Context, actor Actor, keys *crypt.Keyring, orgID, id int64, f EvidenceFile) (assess.EvidenceVersion, error) {
	s, err := prepareVersion(keys, f)
	if err != nil {
		return assess.EvidenceVersion{}, err
	}
	var v assess.EvidenceVersion
	err = db.update(ctx, func(tx *Tx) error {
		e, err := tx.evidence(ctx, orgID, id)
		if err != nil {
			return err
		}
		if e.Kind != assess.EvidenceFile {
			return conflict("A link has no file versions.")
		}
		if e.Retired() {
			return conflict("The evidence is retired and takes no new versions.")
		}
		if v, err = tx.insertVersion(ctx, actor, e, e.CurrentVersion+1, s); err != nil {
			return err
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "evidence.version", Object: evidenceObject(id),
			Summary: fmt.Sprintf("uploaded version %d of %q: %s, %s, %d bytes, SHA-256 %s", v.Version, e.Title, v.Filename, v.ContentType, v.Size, v.SHA256)})
	})
	if isUniqueViolation(err) {
		err = conflict("Another version was uploaded at the same time; reload and try again.")
	}
	if err != nil {
		return assess.EvidenceVersion{}, fmt.Errorf("add evidence version: %w", err)
	}
	return v, nil
}

// EvidenceList returns the organisation's evidence, newest first, retired
// evidence included.
func (db *DB) EvidenceList(ctx context.Context, orgID int64) ([]assess.Evidence, error) {
	out := []assess.Evidence{}
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanEvidence, `SELECT `+evidenceColumns+` FROM evidence WHERE org_id = ? ORDER BY id DESC`, orgID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list evidence: %w", err)
	}
	return out, nil
}

// Evidence returns one piece of the organisation's evidence, or ErrNotFound
// (also for another organisation's).
func (db *DB) Evidence(ctx context.Context, orgID, id int64) (assess.Evidence, error) {
	var e assess.Evidence
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		e, err = tx.evidence(ctx, orgID, id)
		return err
	})
	return e, err
}

// EvidenceVersions returns a page of the versions of a file, newest first,
// and the key of the next (older) page, or nil on the last.
func (db *DB) EvidenceVersions(ctx context.Context, orgID, id int64, p Page) ([]assess.EvidenceVersion, *Key, error) {
	size := p.size()
	query := `SELECT version, filename, content_type, size, sha256, uploaded_by, uploaded_at
			FROM evidence_versions WHERE evidence_id = ?`
	args := []any{id}
	if !p.After.IsZero() {
		query += ` AND version < ?`
		args = append(args, p.After.ID)
	}
	query += ` ORDER BY version DESC LIMIT ?`
	args = append(args, size+1)
	out := []assess.EvidenceVersion{}
	err := db.view(ctx, func(tx *Tx) error {
		if _, err := tx.evidence(ctx, orgID, id); err != nil {
			return err
		}
		var err error
		out, err = queryAll(ctx, tx, scanEvidenceVersion, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	out, next := cut(out, size, func(v assess.EvidenceVersion) Key { return Key{ID: int64(v.Version)} })
	return out, next, nil
}

func scanEvidenceVersion(s scanner) (assess.EvidenceVersion, error) {
	var v assess.EvidenceVersion
	err := s.Scan(&v.Version, &v.Filename, &v.ContentType, &v.Size, &v.SHA256, &v.UploadedBy, timeValue{&v.UploadedAt})
	return v, err
}

// OpenEvidence decrypts one version of a file for download and verifies the
// SHA-256 recorded at upload. The download is audited in the same
// transaction. If the ciphertext does not open or the digest differs, it
// returns ErrEvidenceTampered and no bytes, and audits
// evidence.tamper_detected.
func (db *DB) OpenEvidence(ctx context.Context, actor Actor, keys *crypt.Keyring, orgID, id int64, version int) (assess.EvidenceVersion, []byte, error) {
	if keys == nil {
		return assess.EvidenceVersion{}, nil, errors.New("open evidence: no keyring to open it with")
	}
	var v assess.EvidenceVersion
	var data []byte
	var tampered bool
	err := db.update(ctx, func(tx *Tx) error {
		e, err := tx.evidence(ctx, orgID, id)
		if err != nil {
			return err
		}
		var sealed, wrapped []byte
		var kekID string
		err = tx.queryRow(ctx, `SELECT v.version, v.filename, v.content_type, v.size, v.sha256, v.uploaded_by, v.uploaded_at, v.sealed, d.kek_id, d.wrapped
			FROM evidence_versions v JOIN data_keys d ON d.id = v.data_key_id WHERE v.evidence_id = ? AND v.version = ?`, id, version).
			Scan(&v.Version, &v.Filename, &v.ContentType, &v.Size, &v.SHA256, &v.UploadedBy, timeValue{&v.UploadedAt}, &sealed, &kekID, &wrapped)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("version %d of evidence %d: %w", version, id, ErrNotFound)
		} else if err != nil {
			return err
		}
		object := fmt.Sprintf("evidence:%d/v%d", id, version)
		why := ""
		dk, err := keys.Unwrap(kekID, wrapped)
		if errors.Is(err, crypt.ErrUnknownKEK) {
			// The keyring lacks the key: a configuration problem, not tampering.
			return fmt.Errorf("%s: %w", object, err)
		} else if err != nil {
			why = "its wrapped data key was altered"
		} else if data, err = dk.Open(sealed, evidenceAAD(orgID, id, version)); err != nil {
			why = "the stored ciphertext did not decrypt (altered, or moved from another record)"
		} else {
			sum := sha256.Sum256(data)
			got := hex.EncodeToString(sum[:])
			if subtle.ConstantTimeCompare([]byte(got), []byte(strings.ToLower(v.SHA256))) != 1 || int64(len(data)) != v.Size {
				why = fmt.Sprintf("the SHA-256 of the decrypted file is %s, not the %s recorded at upload", got, v.SHA256)
			}
		}
		if why != "" {
			tampered, data = true, nil
			return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "evidence.tamper_detected", Object: object,
				Summary: fmt.Sprintf("download of %q (%s) refused: %s", e.Title, v.Filename, why)})
		}
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "evidence.download", Object: object,
			Summary: fmt.Sprintf("downloaded %q version %d (%s, %d bytes, SHA-256 verified)", e.Title, version, v.Filename, v.Size)})
	})
	if err != nil {
		return assess.EvidenceVersion{}, nil, fmt.Errorf("open evidence: %w", err)
	}
	if tampered {
		return assess.EvidenceVersion{}, nil, fmt.Errorf("version %d of evidence %d: %w", version, id, ErrEvidenceTampered)
	}
	return v, data, nil
}

// RetireEvidence marks evidence as no longer current. It is kept, with its
// versions, and stays linked where it was linked.
func (db *DB) RetireEvidence(ctx context.Context, actor Actor, orgID, id int64) (assess.Evidence, error) {
	var e assess.Evidence
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if e, err = tx.evidence(ctx, orgID, id); err != nil {
			return err
		}
		if e.Retired() {
			return conflictf("The evidence was already retired on %s.", e.RetiredAt.Format("2 Jan 2006"))
		}
		if _, err := tx.exec(ctx, `UPDATE evidence SET retired_at = ?, retired_by = ?, updated_at = ? WHERE id = ?`, tx.now, actor.Name, tx.now, id); err != nil {
			return err
		}
		e.RetiredAt, e.RetiredBy, e.UpdatedAt = tx.now, actor.Name, tx.now
		return tx.appendAudit(ctx, actor, audit.Entry{OrgID: orgID, Action: "evidence.retire", Object: evidenceObject(id),
			Summary: fmt.Sprintf("retired %q (kept, no longer current)", e.Title)})
	})
	if err != nil {
		return assess.Evidence{}, fmt.Errorf("retire evidence: %w", err)
	}
	return e, nil
}

// checkEvidenceIDs refuses, as a problem on evidence_ids, evidence that does
// not exist or belongs to another organisation.
func (tx *Tx) checkEvidenceIDs(ctx context.Context, orgID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	want = slices.Compact(want)
	if len(want) > 500 {
		return validate.Error{"evidence_ids": "must list at most 500 pieces of evidence"}
	}
	args := []any{orgID}
	for _, id := range want {
		args = append(args, id)
	}
	rows, err := tx.query(ctx, `SELECT id FROM evidence WHERE org_id = ? AND id IN (?`+strings.Repeat(", ?", len(want)-1)+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	found := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		found[id] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var missing []string
	for _, id := range want {
		if !found[id] {
			missing = append(missing, fmt.Sprint(id))
		}
	}
	if len(missing) > 0 {
		return validate.Error{"evidence_ids": "names evidence this organisation does not have: " + strings.Join(missing, ", ")}
	}
	return nil
}

// withEvidenceCheck adds to err, the result of validating a response, the
// problems with the evidence it links; it returns err alone when err is not
// a list of field problems.
func (tx *Tx) withEvidenceCheck(ctx context.Context, orgID int64, ids []int64, err error) error {
	var p validate.Error
	if err != nil && !errors.As(err, &p) {
		return err
	}
	cerr := tx.checkEvidenceIDs(ctx, orgID, ids)
	var cp validate.Error
	if cerr != nil && !errors.As(cerr, &cp) {
		return cerr
	}
	all := validate.Error{}
	maps(all, err)
	maps(all, cerr)
	return all.Err()
}

// EvidenceUse is one assessment response that links a piece of evidence.
type EvidenceUse struct {
	AssessmentID   int64  `json:"assessment_id"`
	AssessmentName string `json:"assessment_name"`
	Status         string `json:"assessment_status"`
	Citation       string `json:"citation"`
}

// EvidenceUsePage returns a page of the current responses that link
// evidence id, newest assessment first (by ID), then by citation, and the
// key of the next page (the assessment ID and citation), or nil on the
// last. It reads the links from assess_response_evidence.
func (db *DB) EvidenceUsePage(ctx context.Context, orgID, id int64, p Page) ([]EvidenceUse, *Key, error) {
	size := p.size()
	query, args := evidenceUsePageSQL(orgID, id, p.After, size)
	out := []EvidenceUse{}
	err := db.view(ctx, func(tx *Tx) error {
		if _, err := tx.evidence(ctx, orgID, id); err != nil {
			return err
		}
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u EvidenceUse
			if err := rows.Scan(&u.AssessmentID, &u.AssessmentName, &u.Status, &u.Citation); err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("evidence uses: %w", err)
	}
	out, next := cut(out, size, func(u EvidenceUse) Key { return Key{Sort: u.Citation, ID: u.AssessmentID} })
	return out, next, nil
}

// evidenceUsePageSQL is EvidenceUsePage's query, served by the index
// assess_response_evidence_uses (evidence_id, assessment_id DESC, citation).
func evidenceUsePageSQL(orgID, id int64, after Key, size int) (string, []any) {
	query := `SELECT a.id, a.name, a.status, l.citation
		FROM assess_response_evidence l JOIN assessments a ON a.id = l.assessment_id
		WHERE l.evidence_id = ? AND a.org_id = ?`
	args := []any{id, orgID}
	if !after.IsZero() {
		query += ` AND (l.assessment_id < ? OR (l.assessment_id = ? AND l.citation > ?))`
		args = append(args, after.ID, after.ID, after.Sort)
	}
	return query + ` ORDER BY l.assessment_id DESC, l.citation LIMIT ?`, append(args, size+1)
}

// EvidenceSearch is what EvidenceSearchPage looks for: evidence whose title
// holds every word of Text (case-insensitively, at most maxSearchWords
// words), and with Current only evidence that is not retired.
type EvidenceSearch struct {
	Text    string
	Current bool
}

// maxSearchWords bounds the words of a search, each a LIKE condition.
const maxSearchWords = 8

// EvidenceSearchPage returns a page of the organisation's evidence that
// matches s, newest first, and the key of the next page, or nil on the
// last. It reads only the organisation's rows (the index evidence_org,
// org_id then id), so a search never sees another organisation's evidence.
func (db *DB) EvidenceSearchPage(ctx context.Context, orgID int64, s EvidenceSearch, p Page) ([]assess.Evidence, *Key, error) {
	size := p.size()
	query, args := evidenceSearchSQL(orgID, s, p.After, size)
	out := []assess.Evidence{}
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = queryAll(ctx, tx, scanEvidence, query, args...)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("search evidence: %w", err)
	}
	out, next := cut(out, size, func(e assess.Evidence) Key { return Key{ID: e.ID} })
	return out, next, nil
}

func evidenceSearchSQL(orgID int64, s EvidenceSearch, after Key, size int) (string, []any) {
	query := `SELECT ` + evidenceColumns + ` FROM evidence WHERE org_id = ?`
	args := []any{orgID}
	words := strings.Fields(strings.ToLower(s.Text))
	for _, w := range words[:min(len(words), maxSearchWords)] {
		query += ` AND lower(title) LIKE ? ESCAPE '\'`
		args = append(args, "%"+likeEscaper.Replace(w)+"%")
	}
	if s.Current {
		query += ` AND retired_at IS NULL`
	}
	if !after.IsZero() {
		query += ` AND id < ?`
		args = append(args, after.ID)
	}
	return query + ` ORDER BY id DESC LIMIT ?`, append(args, size+1)
}

// likeEscaper makes a word match itself in a LIKE pattern with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// EvidenceByIDs returns the organisation's evidence among ids, in the order
// of ids; IDs of evidence it does not have (another organisation's) are
// left out.
func (db *DB) EvidenceByIDs(ctx context.Context, orgID int64, ids []int64) ([]assess.Evidence, error) {
	out := []assess.Evidence{}
	if len(ids) == 0 {
		return out, nil
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	want = slices.Compact(want)
	if len(want) > MaxPageLimit {
		want = want[:MaxPageLimit]
	}
	args := []any{orgID}
	for _, id := range want {
		args = append(args, id)
	}
	var found []assess.Evidence
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		found, err = queryAll(ctx, tx, scanEvidence, `SELECT `+evidenceColumns+` FROM evidence WHERE org_id = ? AND id IN (?`+strings.Repeat(", ?", len(want)-1)+`)`, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("evidence by id: %w", err)
	}
	byID := map[int64]assess.Evidence{}
	for _, e := range found {
		byID[e.ID] = e
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if e, ok := byID[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, e)
		}
	}
	return out, nil
}
