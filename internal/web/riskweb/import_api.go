package riskweb

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/risk/assetfile"
	"github.com/safeguard-health/safeguard/internal/web"
)

// The import and export of the API:
//
//	POST /api/v1/orgs/{org}/assets/import?dry_run=true|false[&map=Header=field,…]
//	GET  /api/v1/orgs/{org}/assets/export?format=csv|xlsx
//
// The import's body is the file itself (Content-Type text/csv or the XLSX
// type). Rows that cannot be imported answer 422 with every problem in
// "rows", and nothing is saved; a dry run that finds none answers 200 with
// what it would add; an import 201 with the assets it created.

// importAnswer is the API's answer to an import or its dry run.
type importAnswer struct {
	Error    *web.ErrorDetail            `json:"error,omitempty"`
	DryRun   bool                        `json:"dry_run"`
	WouldAdd int                         `json:"would_add"`
	Rows     []assetfile.Problem         `json:"rows"`
	Columns  map[assetfile.Column]string `json:"columns"`
	Ignored  []string                    `json:"ignored,omitempty"`
	Items    []risk.Asset                `json:"items,omitempty"`
}

func (h *Handler) apiImport(w http.ResponseWriter, r *http.Request) error {
	a := web.OrgOf(r.Context())
	q := r.URL.Query()
	dry := false
	if s := q.Get("dry_run"); s != "" {
		var err error
		if dry, err = strconv.ParseBool(s); err != nil {
			return &web.HTTPError{Code: http.StatusBadRequest, Msg: "dry_run must be true or false."}
		}
	}
	mapping, err := assetfile.ParseMapping(q.Get("map"))
	if err != nil {
		return &web.HTTPError{Code: http.StatusBadRequest, Msg: upperFirst(err.Error()) + "."}
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/") || strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return &web.HTTPError{Code: http.StatusUnsupportedMediaType,
			Msg: "Send the file itself as the body, with Content-Type text/csv or " + xlsxType + "."}
	}
	body := bufio.NewReader(r.Body)
	head, _ := body.Peek(4) // a shorter body is read as CSV, and refused as empty
	run, err := h.runImport(r, a.Org.ID, body, formatOf(ct, "", head), mapping, dry)
	if err != nil {
		return err
	}
	res := run.Result
	out := importAnswer{DryRun: dry, WouldAdd: len(res.Assets), Rows: res.Problems, Columns: res.Columns, Ignored: res.Ignored}
	switch {
	case !res.OK():
		out.Error = &web.ErrorDetail{Code: "invalid", RequestID: web.RequestID(r.Context()),
			Message: fmt.Sprintf("%s cannot be imported; nothing was saved.", rowsCount(res.Problems))}
		h.s.WriteJSON(w, r, http.StatusUnprocessableEntity, out)
	case dry:
		h.s.WriteJSON(w, r, http.StatusOK, out)
	default:
		out.Items = run.Saved
		h.s.WriteJSON(w, r, http.StatusCreated, out)
	}
	return nil
}

// rowsCount says how many rows the problems are on ("3 rows", "the
// file").
func rowsCount(probs []assetfile.Problem) string {
	rows := map[int]bool{}
	for _, p := range probs {
		rows[p.Row] = true
	}
	if len(rows) == 1 && rows[1] {
		return "The file"
	}
	delete(rows, 1)
	if len(rows) == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", len(rows))
}

func (h *Handler) apiExport(w http.ResponseWriter, r *http.Request) error {
	switch f := r.URL.Query().Get("format"); f {
	case "", "csv":
		return h.writeExport(w, r, assetfile.CSV)
	case "xlsx":
		return h.writeExport(w, r, assetfile.XLSX)
	default:
		return &web.HTTPError{Code: http.StatusBadRequest, Msg: fmt.Sprintf("format %q: want csv or xlsx.", f)}
	}
}
