package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// inventoryOrgs makes two organisations, a member of the first and a
// member of the second only.
func inventoryOrgs(t *testing.T, db *store.DB) (org, other identity.Org, member, outsider identity.User) {
	t.Helper()
	ctx := context.Background()
	var err error
	if org, err = db.CreateOrg(ctx, cli, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider}); err != nil {
		t.Fatal(err)
	}
	if other, err = db.CreateOrg(ctx, cli, identity.Org{Slug: "other", Name: "Other", Kind: identity.KindProvider}); err != nil {
		t.Fatal(err)
	}
	if member, err = db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "priya@example.org", Name: "Priya"}, OrgID: org.ID, Role: identity.RoleContributor}); err != nil {
		t.Fatal(err)
	}
	if outsider, err = db.CreateUser(ctx, cli, store.NewUser{User: identity.User{Email: "olaf@example.org", Name: "Olaf"}, OrgID: other.ID, Role: identity.RoleContributor}); err != nil {
		t.Fatal(err)
	}
	return org, other, member, outsider
}

func fieldProblems(t *testing.T, err error) validate.Error {
	t.Helper()
	var p validate.Error
	if !errors.As(err, &p) {
		t.Fatalf("error = %v, want field problems", err)
	}
	return p
}

func TestAssets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, other, member, outsider := inventoryOrgs(t, db)
		site, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: "Main clinic", Kind: "site"})
		if err != nil {
			t.Fatal(err)
		}
		elsewhere, err := db.CreateAsset(ctx, cli, other.ID, risk.Asset{Name: "Other clinic", Kind: "site"})
		if err != nil {
			t.Fatal(err)
		}
		laptop, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: "Front desk laptop", Kind: "workstation"})
		if err != nil {
			t.Fatal(err)
		}

		// Bad input, every field at once; nothing saved.
		before := auditActions(t, db, org.ID)["risk.asset.create"]
		_, err = db.CreateAsset(ctx, cli, org.ID, risk.Asset{Kind: "spaceship", Records: -1, AtRest: "maybe", OwnerID: outsider.ID, PlaceID: elsewhere.ID})
		p := fieldProblems(t, err)
		for _, f := range []string{"name", "kind", "records", "encrypted_at_rest", "owner_id", "place_id"} {
			if p[f] == "" {
				t.Errorf("CreateAsset(bad) problems = %v, want one on %s", p, f)
			}
		}
		if _, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: "x", Kind: "laptop", PlaceID: laptop.ID}); fieldProblems(t, err)["place_id"] == "" {
			t.Errorf("a place that is not a place: %v", err)
		}
		if n := auditActions(t, db, org.ID)["risk.asset.create"]; n != before {
			t.Errorf("audit entries after refused creates = %d, want %d", n, before)
		}

		a, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: " Billing laptop ", Kind: "laptop", OwnerID: member.ID, PlaceID: site.ID,
			EPHI: []string{"billing", " billing ", ""}, Records: 4000, Use: risk.Use{Maintains: true}, AtRest: risk.EncryptionNo})
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "Billing laptop" || a.Version != 1 || len(a.EPHI) != 1 || a.Hosting != risk.HostingOnSite {
			t.Errorf("created %+v", a)
		}
		got, err := db.Asset(ctx, org.ID, a.ID)
		if err != nil || got.OwnerID != member.ID || got.PlaceID != site.ID || !got.Use.Maintains || got.Records != 4000 || got.AtRest != risk.EncryptionNo {
			t.Errorf("Asset = %+v, %v", got, err)
		}
		if _, err := db.Asset(ctx, other.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Asset from another organisation: %v, want ErrNotFound", err)
		}

		// Update: a new version; a stale one is a conflict and saves nothing.
		got.AtRest, got.Notes = risk.EncryptionYes, "BitLocker turned on"
		up, err := db.UpdateAsset(ctx, cli, org.ID, got)
		if err != nil || up.Version != 2 {
			t.Fatalf("UpdateAsset = %+v, %v", up, err)
		}
		got.Notes = "stale"
		if _, err := db.UpdateAsset(ctx, cli, org.ID, got); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale UpdateAsset: %v, want ErrConflict", err)
		}
		if _, err := db.UpdateAsset(ctx, cli, other.ID, up); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateAsset in another organisation: %v, want ErrNotFound", err)
		}
		up.OwnerID = outsider.ID
		if _, err := db.UpdateAsset(ctx, cli, org.ID, up); fieldProblems(t, err)["owner_id"] == "" {
			t.Errorf("owner outside the organisation: %v", err)
		}
		hist, next, err := db.AssetHistory(ctx, org.ID, a.ID, store.Page{Limit: 1})
		if err != nil || len(hist) != 1 || hist[0].Asset.Version != 2 || hist[0].Asset.Notes != "BitLocker turned on" || next == nil {
			t.Fatalf("AssetHistory = %+v, %v, %v", hist, next, err)
		}
		hist, next, err = db.AssetHistory(ctx, org.ID, a.ID, store.Page{Limit: 1, After: *next})
		if err != nil || len(hist) != 1 || hist[0].Asset.Version != 1 || hist[0].Asset.AtRest != risk.EncryptionNo || next != nil {
			t.Fatalf("AssetHistory page 2 = %+v, %v, %v", hist, next, err)
		}
		if _, _, err := db.AssetHistory(ctx, other.ID, a.ID, store.Page{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AssetHistory from another organisation: %v", err)
		}
		if n := auditActions(t, db, org.ID)["risk.asset.update"]; n != 1 {
			t.Errorf("risk.asset.update entries = %d, want 1", n)
		}

		// Filters.
		for _, c := range []struct {
			f    store.AssetFilter
			want []string
		}{
			{store.AssetFilter{}, []string{"Billing laptop", "Front desk laptop", "Main clinic"}},
			{store.AssetFilter{Class: risk.ClassDevice}, []string{"Billing laptop", "Front desk laptop"}},
			{store.AssetFilter{Kind: "site"}, []string{"Main clinic"}},
			{store.AssetFilter{OwnerID: member.ID}, []string{"Billing laptop"}},
			{store.AssetFilter{Query: "LAPTOP"}, []string{"Billing laptop", "Front desk laptop"}},
			{store.AssetFilter{Query: "%"}, nil},
			{store.AssetFilter{EPHIOnly: true}, []string{"Billing laptop"}},
			{store.AssetFilter{Unencrypted: true}, []string{"Front desk laptop", "Main clinic"}},
			{store.AssetFilter{Hosting: risk.HostingCloud}, nil},
			{store.AssetFilter{Lifecycle: risk.LifecycleActive}, []string{"Billing laptop", "Front desk laptop", "Main clinic"}},
		} {
			list, _, err := db.Assets(ctx, org.ID, c.f, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, a := range list {
				names = append(names, a.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(c.want) {
				t.Errorf("Assets(%+v) = %v, want %v", c.f, names, c.want)
			}
		}
		counts, err := db.AssetCounts(ctx, org.ID)
		if err != nil || counts[risk.ClassDevice] != 2 || counts[risk.ClassPlace] != 1 || counts[risk.ClassSystem] != 0 {
			t.Errorf("AssetCounts = %v, %v", counts, err)
		}

		// Deleting: refused while something is placed there.
		if err := db.DeleteAsset(ctx, cli, org.ID, site.ID); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "Main clinic") {
			t.Errorf("DeleteAsset(place in use) = %v, want a conflict naming it", err)
		}
		if err := db.DeleteAsset(ctx, cli, other.ID, laptop.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAsset from another organisation: %v", err)
		}
		if err := db.DeleteAsset(ctx, cli, org.ID, laptop.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Asset(ctx, org.ID, laptop.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted asset: %v", err)
		}
		if n := auditActions(t, db, org.ID)["risk.asset.delete"]; n != 1 {
			t.Errorf("risk.asset.delete entries = %d, want 1", n)
		}
	})
}

func TestAssetPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, _, _, _ := inventoryOrgs(t, db)
		var in []risk.Asset
		for i := range 23 {
			// Names repeat, so that the keyset's ID breaks ties.
			in = append(in, risk.Asset{Name: fmt.Sprintf("Laptop %d", i%7), Kind: "laptop"})
		}
		if _, err := db.CreateAssets(ctx, cli, org.ID, in); err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		var p store.Page
		p.Limit = 5
		last := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			list, next, err := db.Assets(ctx, org.ID, store.AssetFilter{}, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range list {
				if seen[a.ID] {
					t.Errorf("asset %d seen twice", a.ID)
				}
				if a.Name < last {
					t.Errorf("%q after %q", a.Name, last)
				}
				seen[a.ID], last = true, a.Name
			}
			if next == nil {
				break
			}
			p.After = *next
		}
		if len(seen) != 23 {
			t.Errorf("paging saw %d assets, want 23", len(seen))
		}
	})
}

func TestCreateAssetsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, _, member, outsider := inventoryOrgs(t, db)
		rows := []risk.Asset{
			{Name: "EHR", Kind: "ehr", OwnerID: member.ID, Hosting: risk.HostingCloud},
			{Name: "", Kind: "laptop"},
			{Name: "Phone", Kind: "phone", OwnerID: outsider.ID},
			{Name: "Fax", Kind: "fax"},
			{Name: "Drive", Kind: "floppy", Records: -5},
		}
		_, err := db.CreateAssets(ctx, cli, org.ID, rows)
		var ie *store.ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("CreateAssets(bad rows) = %v, want *ImportError", err)
		}
		want := "[{2 name is required} {3 owner_id is not a member of this organisation} {5 kind"
		if got := fmt.Sprint(ie.Rows); !strings.HasPrefix(got, want) || len(ie.Rows) != 4 {
			t.Errorf("import problems = %v, want 4 starting %s", got, want)
		}
		if p := fieldProblems(t, err); p["3.owner_id"] == "" {
			t.Errorf("import problems as fields = %v", p)
		}
		if list, _, err := db.Assets(ctx, org.ID, store.AssetFilter{}, store.Page{}); err != nil || len(list) != 0 {
			t.Errorf("assets after a refused import = %d, %v; want none", len(list), err)
		}
		if n := auditActions(t, db, org.ID)["risk.asset.import"]; n != 0 {
			t.Errorf("audit of a refused import = %d", n)
		}
		out, err := db.CreateAssets(ctx, cli, org.ID, []risk.Asset{rows[0], rows[3]})
		if err != nil || len(out) != 2 || out[1].ID == 0 || out[1].Version != 1 {
			t.Fatalf("CreateAssets = %+v, %v", out, err)
		}
		if n := auditActions(t, db, org.ID)["risk.asset.import"]; n != 1 {
			t.Errorf("risk.asset.import entries = %d, want 1", n)
		}
		if h, _, err := db.AssetHistory(ctx, org.ID, out[0].ID, store.Page{}); err != nil || len(h) != 1 {
			t.Errorf("history of an imported asset = %v, %v", h, err)
		}
	})
}

func TestFlows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, other, _, _ := inventoryOrgs(t, db)
		ehr, err := db.CreateAsset(ctx, cli, org.ID, risk.Asset{Name: "Cloud EHR", Kind: "ehr"})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := db.CreateAsset(ctx, cli, other.ID, risk.Asset{Name: "Their EHR", Kind: "ehr"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			f     risk.Flow
			field string
		}{
			{risk.Flow{From: risk.Endpoint{AssetID: ehr.ID}, To: risk.Endpoint{AssetID: theirs.ID}, Channel: "sftp"}, "to.asset_id"},
			{risk.Flow{From: risk.Endpoint{AssetID: 999999}, To: risk.Endpoint{Party: "Lab"}, Channel: "sftp"}, "from.asset_id"},
			{risk.Flow{From: risk.Endpoint{AssetID: ehr.ID}, To: risk.Endpoint{Party: "Lab"}, Channel: "pigeon"}, "channel"},
			{risk.Flow{From: risk.Endpoint{AssetID: ehr.ID}, Channel: "sftp"}, "to"},
		} {
			if _, err := db.CreateFlow(ctx, cli, org.ID, c.f); fieldProblems(t, err)[c.field] == "" {
				t.Errorf("CreateFlow(%+v) = %v, want a problem on %s", c.f, err, c.field)
			}
		}
		if n := auditActions(t, db, org.ID)["risk.flow.create"]; n != 0 {
			t.Errorf("audit after refused flows = %d", n)
		}
		f, err := db.CreateFlow(ctx, cli, org.ID, risk.Flow{From: risk.Endpoint{AssetID: ehr.ID}, To: risk.Endpoint{Party: " Quest lab "}, Channel: "hl7", InTransit: risk.EncryptionNo})
		if err != nil || f.To.Party != "Quest lab" || f.Version != 1 {
			t.Fatalf("CreateFlow = %+v, %v", f, err)
		}
		entries, err := db.AuditEntries(ctx, org.ID, 10)
		if err != nil || !strings.Contains(entries[0].Summary, `"Cloud EHR"`) || !strings.Contains(entries[0].Summary, "Quest lab") {
			t.Errorf("flow audit = %+v, %v", entries[0], err)
		}
		if err := db.DeleteAsset(ctx, cli, org.ID, ehr.ID); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "data flow") {
			t.Errorf("DeleteAsset(with a flow) = %v, want a conflict", err)
		}
		f.InTransit = risk.EncryptionYes
		up, err := db.UpdateFlow(ctx, cli, org.ID, f)
		if err != nil || up.Version != 2 {
			t.Fatalf("UpdateFlow = %+v, %v", up, err)
		}
		if _, err := db.UpdateFlow(ctx, cli, org.ID, f); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale UpdateFlow: %v", err)
		}
		if _, err := db.Flow(ctx, other.ID, f.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Flow from another organisation: %v", err)
		}
		if h, next, err := db.FlowHistory(ctx, org.ID, f.ID, store.Page{}); err != nil || len(h) != 2 || h[0].Flow.InTransit != risk.EncryptionYes || next != nil {
			t.Errorf("FlowHistory = %+v, %v", h, err)
		}
		for i := range 6 {
			if _, err := db.CreateFlow(ctx, cli, org.ID, risk.Flow{From: risk.Endpoint{Party: fmt.Sprint("Patient ", i)}, To: risk.Endpoint{AssetID: ehr.ID}, Channel: "portal"}); err != nil {
				t.Fatal(err)
			}
		}
		seen := 0
		p := store.Page{Limit: 3}
		for {
			list, next, err := db.Flows(ctx, org.ID, store.FlowFilter{AssetID: ehr.ID}, p)
			if err != nil {
				t.Fatal(err)
			}
			seen += len(list)
			if next == nil {
				break
			}
			p.After = *next
		}
		if seen != 7 {
			t.Errorf("flows paged = %d, want 7", seen)
		}
		if list, _, err := db.Flows(ctx, org.ID, store.FlowFilter{Channel: "hl7"}, store.Page{}); err != nil || len(list) != 1 {
			t.Errorf("Flows(hl7) = %d, %v", len(list), err)
		}
		if list, _, err := db.Flows(ctx, org.ID, store.FlowFilter{Unencrypted: true}, store.Page{}); err != nil || len(list) != 6 {
			t.Errorf("Flows(unencrypted) = %d, %v", len(list), err)
		}
		if err := db.DeleteFlow(ctx, cli, other.ID, f.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteFlow from another organisation: %v", err)
		}
		if err := db.DeleteFlow(ctx, cli, org.ID, f.ID); err != nil {
			t.Fatal(err)
		}
		if n := auditActions(t, db, org.ID)["risk.flow.delete"]; n != 1 {
			t.Errorf("risk.flow.delete = %d", n)
		}
	})
}

func TestOwnThreatsAndVulnerabilities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, other, _, _ := inventoryOrgs(t, db)
		_, err := db.CreateThreat(ctx, cli, org.ID, risk.Threat{Source: "aliens", Entries: []string{"164.999"}})
		p := fieldProblems(t, err)
		if p["title"] == "" || p["source"] == "" || p["entries.0"] == "" {
			t.Errorf("CreateThreat(bad) problems = %v", p)
		}
		th, err := db.CreateThreat(ctx, cli, org.ID, risk.Threat{Source: risk.SourceHumanIntentional, Title: "Tailgating into the records room", Entries: []string{"164.310(a)(1)"}})
		if err != nil || !strings.HasPrefix(th.Key, "org:") || !th.Own {
			t.Fatalf("CreateThreat = %+v, %v", th, err)
		}
		v, err := db.CreateVulnerability(ctx, cli, org.ID, risk.Vulnerability{Title: "Records room door propped open"})
		if err != nil || !strings.HasPrefix(v.Key, "org:") {
			t.Fatalf("CreateVulnerability = %+v, %v", v, err)
		}
		if _, err := db.CreateVulnerability(ctx, cli, org.ID, risk.Vulnerability{}); fieldProblems(t, err)["title"] == "" {
			t.Errorf("CreateVulnerability(no title) = %v", err)
		}
		if ts, err := db.Threats(ctx, org.ID); err != nil || len(ts) != 1 || ts[0].Key != th.Key || ts[0].Entries[0] != "164.310(a)(1)" {
			t.Errorf("Threats = %+v, %v", ts, err)
		}
		if ts, err := db.Threats(ctx, other.ID); err != nil || len(ts) != 0 {
			t.Errorf("Threats of another organisation = %+v, %v", ts, err)
		}
		if vs, err := db.Vulnerabilities(ctx, org.ID); err != nil || len(vs) != 1 || vs[0].Title != v.Title {
			t.Errorf("Vulnerabilities = %+v, %v", vs, err)
		}
		acts := auditActions(t, db, org.ID)
		if acts["risk.threat.create"] != 1 || acts["risk.vulnerability.create"] != 1 {
			t.Errorf("audit = %v", acts)
		}
		lib, err := risk.Shipped(mustCatalog(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			org     int64
			key     string
			threat  bool
			want    bool
			explain string
		}{
			{org.ID, th.Key, true, true, "own threat"},
			{other.ID, th.Key, true, false, "another organisation's threat"},
			{org.ID, lib.Threats[0].Key, true, true, "shipped threat"},
			{org.ID, "no-such-threat", true, false, "unknown key"},
			{org.ID, "org:x", true, false, "bad own key"},
			{org.ID, v.Key, false, true, "own vulnerability"},
			{other.ID, v.Key, false, false, "another organisation's vulnerability"},
			{org.ID, lib.Vulnerabilities[0].Key, false, true, "shipped vulnerability"},
		} {
			exists := db.VulnerabilityExists
			if c.threat {
				exists = db.ThreatExists
			}
			if got, err := exists(ctx, c.org, c.key); err != nil || got != c.want {
				t.Errorf("exists(%s: %s) = %v, %v; want %v", c.explain, c.key, got, err, c.want)
			}
		}
	})
}

func mustCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
