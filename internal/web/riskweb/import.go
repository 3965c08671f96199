package riskweb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/risk/assetfile"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/web"
)

// Importing the inventory from a spreadsheet (CSV or XLSX), and exporting
// it.
//
// The page keeps no file between the check and the import: Safeguard's
// replicas share nothing but the database, and a file held in one
// replica's memory (or a token naming it) would be lost behind a load
// balancer. Each post carries the file again with the mapping chosen, and
// is read afresh, so nothing the client sends is trusted beyond the file
// itself. A small script (assetimport.js) keeps the chosen file in the
// page, so that a person picks it once; without scripts they choose it
// again to import it.

func (h *Handler) registerImport(s *web.Server) {
	read, write := identity.PermOrgRead, identity.PermOrgWrite
	const page, api = "/orgs/{org}", "/api/v1/orgs/{org}"

	s.Route("GET "+page+"/inventory/import", write, h.importPage)
	s.UploadRoute("POST "+page+"/inventory/import", write, h.importSubmit)
	s.Route("GET "+page+"/inventory/export.csv", read, h.exportFile(assetfile.CSV))
	s.Route("GET "+page+"/inventory/export.xlsx", read, h.exportFile(assetfile.XLSX))
	s.Route("GET "+page+"/inventory/template.csv", read, h.templateFile(assetfile.CSV))
	s.Route("GET "+page+"/inventory/template.xlsx", read, h.templateFile(assetfile.XLSX))
	s.FileRoute("POST "+api+"/assets/import", write, h.apiImport)
	s.Doc("POST "+api+"/assets/import", web.APIDoc{Summary: "Import assets from a CSV or XLSX file sent as the body (422 with every problem, and nothing saved)", Response: importAnswer{}, Status: http.StatusCreated,
		Consumes: []string{"text/csv", xlsxType}, Query: []web.Param{{Name: "dry_run", Description: "true: check and answer 200 with what would be added, saving nothing"},
			{Name: "map", Description: "column mapping: Header=field,…"}}})
	s.Route("GET "+api+"/assets/export", read, h.apiExport)
	s.Doc("GET "+api+"/assets/export", web.APIDoc{Summary: "Export the assets as CSV or XLSX", Produces: []string{"text/csv", xlsxType}, Query: []web.Param{{Name: "format", Description: "csv (default) or xlsx"}}})
}

// xlsxType is the media type of an XLSX workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// importFields are the fields a column of a file may fill, in the order
// the mapping offers them.
func importFields() []assetfile.Column {
	return append(assetfile.Columns(), assetfile.ColUse)
}

// members is who may own an imported asset: the organisation's members,
// by email (folded to lower case) and by ID.
type members struct {
	byEmail map[string]int64
	email   map[int64]string
}

func (h *Handler) members(ctx context.Context, orgID int64) (members, error) {
	list, err := h.s.DB().Members(ctx, orgID)
	if err != nil {
		return members{}, err
	}
	m := members{byEmail: map[string]int64{}, email: map[int64]string{}}
	for _, x := range list {
		m.byEmail[strings.ToLower(x.User.Email)] = x.User.ID
		m.email[x.User.ID] = x.User.Email
	}
	return m, nil
}

// owner resolves an owner's email to a member of the organisation only.
func (m members) owner(email string) (int64, bool) {
	id, ok := m.byEmail[strings.ToLower(strings.TrimSpace(email))]
	return id, ok
}

func (m members) emailOf(id int64) string { return m.email[id] }

// importRun is what one read of a file found, and, when asked and nothing
// was wrong, the assets it saved.
type importRun struct {
	Result assetfile.Result
	Saved  []risk.Asset
}

// runImport reads a file for the organisation and, unless dry, saves its
// assets all or none. A row the store refuses (an owner who left the
// organisation since the read) is a problem of that row, and nothing is
// saved. The error is for a file that cannot be read at all (a
// problem.Error kind of validation) or a fault.
func (h *Handler) runImport(r *http.Request, orgID int64, file io.Reader, f assetfile.Format, mapping map[assetfile.Column]string, dry bool) (importRun, error) {
	ms, err := h.members(r.Context(), orgID)
	if err != nil {
		return importRun{}, err
	}
	res, err := assetfile.Read(file, f, assetfile.Options{Mapping: mapping, Owner: ms.owner})
	if err != nil {
		return importRun{}, &web.HTTPError{Code: http.StatusUnprocessableEntity, Msg: upperFirst(err.Error()) + ".", Err: err}
	}
	run := importRun{Result: res}
	if dry || !res.OK() {
		return run, nil
	}
	saved, err := h.s.DB().CreateAssets(r.Context(), h.s.Actor(r), orgID, res.Assets)
	var ie *store.ImportError
	if errors.As(err, &ie) {
		run.Result.Problems = storeProblems(res, ie)
		return run, nil
	}
	if err != nil {
		return importRun{}, err
	}
	run.Saved = saved
	return run, nil
}

// storeProblems turns the store's refusal of an import into problems of
// the file's rows and columns.
func storeProblems(res assetfile.Result, ie *store.ImportError) []assetfile.Problem {
	out := []assetfile.Problem{}
	for _, p := range ie.Rows {
		row := p.Row
		if p.Row >= 1 && p.Row <= len(res.Rows) {
			row = res.Rows[p.Row-1]
		}
		col := fieldColumn(p.Field)
		header := res.Columns[col]
		if header == "" && col != "" {
			header = col.Header()
		}
		out = append(out, assetfile.Problem{Row: row, Column: header, Message: upperFirst(p.Message)})
	}
	return out
}

// fieldColumn is the column of a field of risk.Asset ("owner_id" →
// owner).
func fieldColumn(field string) assetfile.Column {
	f, _, _ := strings.Cut(field, ".")
	switch f {
	case "owner_id":
		return assetfile.ColOwner
	case "place_id":
		return assetfile.ColLocation
	}
	if slices.Contains(importFields(), assetfile.Column(f)) {
		return assetfile.Column(f)
	}
	return ""
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// formatOf is the format of a file from its media type, its name and its
// first bytes.
func formatOf(contentType, name string, head []byte) assetfile.Format {
	if strings.HasPrefix(contentType, xlsxType) {
		return assetfile.XLSX
	}
	return assetfile.FormatOf(name, head)
}

// allAssets reads the organisation's whole inventory a page at a time.
func (h *Handler) allAssets(ctx context.Context, orgID int64) ([]risk.Asset, error) {
	list, _, err := store.Collect(func(p store.Page) ([]risk.Asset, *store.Key, error) {
		return h.s.DB().Assets(ctx, orgID, store.AssetFilter{}, p)
	}, 0)
	return list, err
}

// writeExport writes the organisation's inventory in format f as a
// download.
func (h *Handler) writeExport(w http.ResponseWriter, r *http.Request, f assetfile.Format) error {
	a := web.OrgOf(r.Context())
	list, err := h.allAssets(r.Context(), a.Org.ID)
	if err != nil {
		return err
	}
	ms, err := h.members(r.Context(), a.Org.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if f == assetfile.XLSX {
		err = assetfile.WriteXLSX(&buf, list, ms.emailOf)
	} else {
		err = assetfile.WriteCSV(&buf, list, ms.emailOf)
	}
	if err != nil {
		return fmt.Errorf("export the inventory: %w", err)
	}
	name := fmt.Sprintf("%s-inventory-%s.%s", a.Org.Slug, h.s.DB().Now().Format("2006-01-02"), f)
	download(w, name, f, buf.Bytes())
	return nil
}

func download(w http.ResponseWriter, name string, f assetfile.Format, data []byte) {
	ct := "text/csv; charset=utf-8"
	if f == assetfile.XLSX {
		ct = xlsxType
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(data) //nolint:errcheck // the client went away; nothing to do
}

func (h *Handler) exportFile(f assetfile.Format) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return h.writeExport(w, r, f) }
}

func (h *Handler) templateFile(f assetfile.Format) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var buf bytes.Buffer
		if err := assetfile.WriteTemplate(&buf, f); err != nil {
			return fmt.Errorf("write the template: %w", err)
		}
		download(w, "inventory-template."+string(f), f, buf.Bytes())
		return nil
	}
}
