package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
)

// `safeguard risk list --what flows|risks|tasks`: the data-flow inventory,
// the register and the plan, with names instead of IDs (asset names, the
// threat's title, owners' email addresses, levels in words).

// assetNamesOf are the names of the organisation's assets by ID.
func assetNamesOf(ctx context.Context, db *store.DB, orgID int64) (map[int64]string, error) {
	list, err := allAssets(ctx, db, orgID)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(list))
	for _, a := range list {
		names[a.ID] = a.Name
	}
	return names, nil
}

// listTable writes rows as a table, CSV or JSON (jsonValue).
func (m *Main) listTable(format string, header []string, rows [][]string, jsonValue any) error {
	switch format {
	case "json":
		return writeJSON(m.Stdout, jsonValue)
	case "csv":
		cw := csv.NewWriter(m.Stdout)
		lower := make([]string, len(header))
		for i, h := range header {
			lower[i] = strings.ReplaceAll(strings.ToLower(h), " ", "_")
		}
		if err := cw.Write(lower); err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(r); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = oneLine(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

type flowLine struct {
	risk.Flow
	FromName string `json:"from_name"`
	ToName   string `json:"to_name"`
}

func (m *Main) flowList(ctx context.Context, db *store.DB, o identity.Org, format string) error {
	names, err := assetNamesOf(ctx, db, o.ID)
	if err != nil {
		return err
	}
	flows, err := collect(func(p store.Page) ([]risk.Flow, *store.Key, error) { return db.Flows(ctx, o.ID, store.FlowFilter{}, p) })
	if err != nil {
		return err
	}
	lines := make([]flowLine, len(flows))
	var rows [][]string
	for i, f := range flows {
		lines[i] = flowLine{Flow: f, FromName: f.From.Name(names), ToName: f.To.Name(names)}
		rows = append(rows, []string{fmt.Sprint(f.ID), lines[i].FromName, lines[i].ToName, f.Channel.Label(), f.InTransit.Label(), f.Frequency, f.Volume})
	}
	if err := m.listTable(format, []string{"ID", "FROM", "TO", "CHANNEL", "ENCRYPTED IN TRANSIT", "FREQUENCY", "VOLUME"}, rows, lines); err != nil {
		return err
	}
	if len(flows) == 0 && format == "table" {
		fmt.Fprintf(m.Stderr, "%s has no data flows recorded.\n", o.Name)
	}
	return nil
}

type riskLine struct {
	risk.Risk
	Level       string   `json:"level"`
	Assets      []string `json:"assets"`
	ThreatTitle string   `json:"threat_title"`
	OwnerEmail  string   `json:"owner_email,omitempty"`
}

func (m *Main) riskRegisterList(ctx context.Context, db *store.DB, o identity.Org, ms cliMembers, format string) error {
	names, err := assetNamesOf(ctx, db, o.ID)
	if err != nil {
		return err
	}
	scales, err := db.Scales(ctx, o.ID)
	if err != nil {
		return err
	}
	byID := map[int64]risk.Scale{}
	for _, sc := range scales {
		byID[sc.ID] = sc
	}
	threats := map[string]string{}
	cat, err := catalog.Default()
	if err != nil {
		return err
	}
	lib, err := risk.Shipped(cat)
	if err != nil {
		return err
	}
	own, err := db.Threats(ctx, o.ID)
	if err != nil {
		return err
	}
	for _, t := range append(lib.Threats, own...) {
		threats[t.Key] = t.Title
	}
	rs, err := collect(func(p store.Page) ([]risk.Risk, *store.Key, error) { return db.Risks(ctx, o.ID, store.RiskFilter{}, p) })
	if err != nil {
		return err
	}
	lines := make([]riskLine, len(rs))
	var rows [][]string
	for i, r := range rs {
		l := riskLine{Risk: r, Level: "not rated", ThreatTitle: cmpOr(threats[r.Threat], r.Threat), OwnerEmail: ms.emailOf(r.OwnerID), Assets: []string{}}
		if sc, ok := byID[r.ScaleID]; ok {
			if lv, ok := sc.Level(r.Current); ok {
				l.Level = sc.Levels[lv].Label
			}
		}
		for _, id := range r.AssetIDs {
			l.Assets = append(l.Assets, cmpOr(names[id], fmt.Sprintf("asset %d", id)))
		}
		lines[i] = l
		rows = append(rows, []string{fmt.Sprint(r.ID), r.Title, l.Level, strings.Join(l.Assets, "; "), l.ThreatTitle, l.OwnerEmail, string(r.Status)})
	}
	if err := m.listTable(format, []string{"ID", "TITLE", "LEVEL", "ASSETS", "THREAT", "OWNER", "STATUS"}, rows, lines); err != nil {
		return err
	}
	if len(rs) == 0 && format == "table" {
		fmt.Fprintf(m.Stderr, "%s's risk register is empty.\n", o.Name)
	}
	return nil
}

type taskLine struct {
	store.PlanTask
	OwnerEmail string `json:"owner_email,omitempty"`
	Overdue    bool   `json:"overdue"`
}

func (m *Main) taskList(ctx context.Context, db *store.DB, o identity.Org, ms cliMembers, format string) error {
	ts, err := collect(func(p store.Page) ([]store.PlanTask, *store.Key, error) {
		return db.Tasks(ctx, o.ID, store.TaskFilter{}, p)
	})
	if err != nil {
		return err
	}
	now := time.Now()
	lines := make([]taskLine, len(ts))
	var rows [][]string
	for i, t := range ts {
		lines[i] = taskLine{PlanTask: t, OwnerEmail: ms.emailOf(t.OwnerID), Overdue: t.Overdue(now)}
		due, overdue := "", "no"
		if !t.Due.IsZero() {
			due = t.Due.Format("2006-01-02")
		}
		if lines[i].Overdue {
			overdue = "yes"
		}
		rows = append(rows, []string{fmt.Sprint(t.ID), t.Title, t.RiskTitle, lines[i].OwnerEmail, due, strings.ReplaceAll(string(t.Status), "_", " "), overdue})
	}
	if err := m.listTable(format, []string{"ID", "TASK", "RISK", "OWNER", "DUE", "STATUS", "OVERDUE"}, rows, lines); err != nil {
		return err
	}
	if len(ts) == 0 && format == "table" {
		fmt.Fprintf(m.Stderr, "%s's risk management plan has no tasks.\n", o.Name)
	}
	return nil
}
