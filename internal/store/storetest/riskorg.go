package storetest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/risk"
	"github.com/safeguard-health/safeguard/internal/store"
)

// RiskSize is how much of a risk analysis RiskOrg generates.
type RiskSize struct {
	Assets, Flows, Risks, Tasks int
}

// LargeRiskOrg is issue 13's large organisation: 10,000 assets, 40,000
// flows, 20,000 risks and a task for each.
var LargeRiskOrg = RiskSize{Assets: 10_000, Flows: 40_000, Risks: 20_000, Tasks: 20_000}

// RiskOrg gives organisation orgID a generated risk analysis of size n,
// written through the store's own methods, so that every row has its
// version and the audit log its entries with the real hash chain: the
// assets in two imports (the places first: an import may only place an
// asset in a place already saved), each flow, risk and task in its own
// change, by eight writers at once. owners are members of the
// organisation; assets, risks and tasks are shared among them. It reports
// each stage's time on progress (nil: not at all).
func RiskOrg(ctx context.Context, db *store.DB, actor store.Actor, orgID int64, owners []int64, n RiskSize, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	if len(owners) == 0 {
		return fmt.Errorf("risk org: no owners")
	}
	owner := func(i int) int64 { return owners[i%len(owners)] }
	kinds := risk.Kinds()
	var places, others []risk.Asset
	nPlaces := max(1, n.Assets/50)
	for i := range n.Assets {
		if i < nPlaces {
			kind := risk.Kind("site")
			if i%4 != 0 {
				kind = "room"
			}
			places = append(places, risk.Asset{Name: fmt.Sprintf("%s %04d", kind.Label()[:4], i), Kind: kind, OwnerID: owner(i)})
			continue
		}
		kind := kinds[i%len(kinds)]
		for kind.Class() == risk.ClassPlace {
			i++
			kind = kinds[i%len(kinds)]
		}
		a := risk.Asset{Name: fmt.Sprintf("%s %05d", kind.Label(), i), Kind: kind, OwnerID: owner(i),
			Use: risk.Use{Creates: i%2 == 0, Maintains: i%3 == 0, Transmits: i%5 == 0}, Records: (i % 7) * 100,
			AtRest:  []risk.Encryption{risk.EncryptionYes, risk.EncryptionNo, risk.EncryptionPartial, risk.EncryptionUnknown}[i%4],
			Hosting: []risk.Hosting{risk.HostingOnSite, risk.HostingCloud, risk.HostingBusinessAssociate}[i%3]}
		if a.Hosting == risk.HostingBusinessAssociate {
			a.Vendor = fmt.Sprintf("Vendor %02d", i%40)
		}
		others = append(others, a)
	}
	t0 := time.Now()
	saved, err := db.CreateAssets(ctx, actor, orgID, places)
	if err != nil {
		return err
	}
	for i := range others {
		if i%3 != 0 {
			others[i].PlaceID = saved[i%len(saved)].ID
		}
	}
	rest, err := db.CreateAssets(ctx, actor, orgID, others)
	if err != nil {
		return err
	}
	assets := append(saved, rest...)
	fmt.Fprintf(progress, "  %d assets in %v\n", len(assets), time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	channels := risk.Channels()
	err = parallel(8, n.Flows, func(i int) error {
		f := risk.Flow{From: risk.Endpoint{AssetID: assets[(i*7919)%len(assets)].ID}, To: risk.Endpoint{AssetID: assets[(i*104729+1)%len(assets)].ID},
			Channel: channels[i%len(channels)], InTransit: []risk.Encryption{risk.EncryptionYes, risk.EncryptionNo, risk.EncryptionUnknown}[i%3]}
		if f.From.AssetID == f.To.AssetID || i%10 == 0 {
			f.To = risk.Endpoint{Party: fmt.Sprintf("Laboratory %02d", i%30)}
		}
		_, err := db.CreateFlow(ctx, actor, orgID, f)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "  %d flows in %v\n", n.Flows, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	sc, err := db.OrgScale(ctx, orgID)
	if err != nil {
		return err
	}
	lib, err := shipped()
	if err != nil {
		return err
	}
	nl, ni := len(sc.Likelihood), len(sc.Impact)
	riskIDs := make([]int64, n.Risks)
	err = parallel(8, n.Risks, func(i int) error {
		in := risk.Rating{Likelihood: 1 + (i*7)%nl, Impact: 1 + (i*11)%ni}
		cur := risk.Rating{Likelihood: max(1, in.Likelihood-i%2), Impact: in.Impact}
		th, vu := lib.Threats[i%len(lib.Threats)], lib.Vulnerabilities[i%len(lib.Vulnerabilities)]
		r := risk.Risk{Title: fmt.Sprintf("%s through %s (%05d)", th.Title, vu.Title, i),
			AssetIDs: []int64{assets[(i*31)%len(assets)].ID, assets[(i*131+5)%len(assets)].ID},
			Threat:   th.Key, Vulnerability: vu.Key, Inherent: in, Current: cur, OwnerID: owner(i),
			LikelihoodWhy: "Seen at similar practices.", ImpactWhy: "Many records are held there."}
		switch i % 10 {
		case 7:
			r.Status, r.Treatment.Strategy = risk.StatusTreated, risk.StrategyMitigate
		case 8:
			r.Status, r.Treatment.Strategy, r.Treatment.Party = risk.StatusTreated, risk.StrategyTransfer, "Cyber insurer"
		case 9:
			r.Status, r.Treatment.Strategy = risk.StatusClosed, risk.StrategyAvoid
		}
		saved, err := db.CreateRisk(ctx, actor, orgID, r)
		riskIDs[i] = saved.ID
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "  %d risks in %v\n", n.Risks, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	statuses := []risk.TaskStatus{risk.TaskTodo, risk.TaskDoing, risk.TaskDone, risk.TaskTodo}
	err = parallel(8, n.Tasks, func(i int) error {
		t := risk.Task{RiskID: riskIDs[i%len(riskIDs)], Title: fmt.Sprintf("Task %05d", i), OwnerID: owner(i + 1),
			Due: today.AddDate(0, 0, i%365-120), Status: statuses[i%len(statuses)]}
		_, err := db.CreateTask(ctx, actor, orgID, t)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "  %d tasks in %v\n", n.Tasks, time.Since(t0).Round(time.Millisecond))
	return nil
}

func shipped() (risk.Library, error) {
	cat, err := catalog.Default()
	if err != nil {
		return risk.Library{}, err
	}
	return risk.Shipped(cat)
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error.
func parallel(workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
