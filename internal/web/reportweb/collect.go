package reportweb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/report"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Choice is what a report is made from.
type Choice struct {
	// AssessmentID picks an assessment; 0 takes the current one (the newest
	// not yet final, else the last final).
	AssessmentID int64
	// AnalysisID picks a documented risk analysis; 0 reports the inventory,
	// register and plan as they stand (marked DRAFT).
	AnalysisID int64
	Part       report.Part
	// AssetID is the asset of a one-asset report.
	AssetID    int64
	PreparedBy string
	Now        time.Time
}

// Collect reads what a report of org shows from db and builds its model.
// Another organisation's assessment, analysis or asset is not found.
func Collect(ctx context.Context, db *store.DB, cat *catalog.Catalog, org identity.Org, c Choice) (*report.Model, error) {
	src, err := collect(ctx, db, cat, org, c)
	if err != nil {
		return nil, err
	}
	return report.Build(src)
}

func collect(ctx context.Context, db *store.DB, cat *catalog.Catalog, org identity.Org, c Choice) (report.Source, error) {
	src := report.Source{Now: c.Now, PreparedBy: c.PreparedBy, Part: c.Part, AssetID: c.AssetID, Catalog: cat,
		OrgSlug: org.Slug, OrgName: org.Name, OrgKind: org.Kind.Label()}
	if src.Now.IsZero() {
		src.Now = time.Now()
	}
	if zone, err := time.LoadLocation(org.TimeZone); err == nil && org.TimeZone != "" {
		src.Zone = zone
	}
	var err error
	if src.Profile, err = db.OrgProfile(ctx, org.ID); err != nil {
		return src, err
	}
	if src.Sheet, err = sheetOf(ctx, db, org.ID, c.AssessmentID); err != nil {
		return src, err
	}
	if c.AnalysisID != 0 {
		an, err := db.Analysis(ctx, org.ID, c.AnalysisID)
		if errors.Is(err, store.ErrNotFound) {
			return src, validate.Error{"analysis_id": "is not a risk analysis of this organisation"}
		} else if err != nil {
			return src, err
		}
		if an.Status != risk.AnalysisFinal || an.Snapshot == nil {
			return src, validate.Error{"analysis_id": "is not signed off yet: choose a final analysis, or none to report the register as it stands"}
		}
		src.Analysis, src.Snapshot = &an.Analysis, *an.Snapshot
	} else {
		s, _, err := db.LiveSnapshot(ctx, org.ID, math.MaxInt)
		if err != nil {
			return src, err
		}
		src.Snapshot = s
		// The register as it stands is the analysis in progress, when
		// there is one: its name and scope head the report (as a draft).
		list, _, err := db.Analyses(ctx, org.ID, store.Page{Limit: 5})
		if err != nil {
			return src, err
		}
		if i := slices.IndexFunc(list, func(a store.AnalysisRecord) bool { return a.Status == risk.AnalysisDraft }); i >= 0 {
			src.Analysis = &list[i].Analysis
		}
	}
	if src.Library, err = library(ctx, db, cat, org.ID); err != nil {
		return src, err
	}
	members, err := db.Members(ctx, org.ID)
	if err != nil {
		return src, err
	}
	src.People = make(map[int64]string, len(members))
	for _, m := range members {
		src.People[m.User.ID] = cmp.Or(m.User.Name, m.User.Email)
	}
	if src.Evidence, err = evidence(ctx, db, org.ID); err != nil {
		return src, err
	}
	if cp, err := db.LatestAuditCheckpoint(ctx); err == nil && cp.TreeSize > 0 {
		src.Checkpoint = &cp
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return src, err
	}
	if c.Part == report.PartAsset && !slices.ContainsFunc(src.Snapshot.Assets, func(a risk.Asset) bool { return a.ID == c.AssetID }) {
		return src, validate.Error{"asset_id": "is not an asset of this organisation's inventory"}
	}
	return src, nil
}

// sheetOf reads assessment id, or the current one when id is 0 (nil when
// the organisation has none).
func sheetOf(ctx context.Context, db *store.DB, orgID, id int64) (*assess.Sheet, error) {
	if id == 0 {
		return db.CurrentSheet(ctx, orgID)
	}
	sh, err := db.AssessmentSheet(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, validate.Error{"assessment_id": "is not an assessment of this organisation"}
	} else if err != nil {
		return nil, err
	}
	return &sh, nil
}

// library is the shipped threat library with the organisation's own
// threats and vulnerabilities added.
func library(ctx context.Context, db *store.DB, cat *catalog.Catalog, orgID int64) (risk.Library, error) {
	lib, err := risk.Shipped(cat)
	if err != nil {
		return lib, err
	}
	own, err := db.Threats(ctx, orgID)
	if err != nil {
		return lib, err
	}
	lib.Threats = append(slices.Clone(lib.Threats), own...)
	vs, err := db.Vulnerabilities(ctx, orgID)
	if err != nil {
		return lib, err
	}
	lib.Vulnerabilities = append(slices.Clone(lib.Vulnerabilities), vs...)
	return lib, nil
}

// evidence lists the organisation's current evidence with the newest
// version of each file.
func evidence(ctx context.Context, db *store.DB, orgID int64) ([]report.EvidenceSource, error) {
	items, err := db.EvidenceList(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []report.EvidenceSource
	for _, it := range items {
		if it.Retired() {
			continue
		}
		es := report.EvidenceSource{Item: it}
		if it.Kind == assess.EvidenceFile {
			vs, _, err := db.EvidenceVersions(ctx, orgID, it.ID, store.Page{Limit: 1})
			if err != nil {
				return nil, fmt.Errorf("evidence %d: %w", it.ID, err)
			}
			if len(vs) > 0 {
				es.Version = vs[0]
			}
		}
		out = append(out, es)
	}
	return out, nil
}
