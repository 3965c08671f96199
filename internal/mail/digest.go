package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/safeguard-health/safeguard/internal/store"
)

// digestText is the body of a digest: names, dates and links, never the
// details behind them (a reason, a note, anything about a patient), so that
// the mail is harmless if it goes astray.
var digestText = template.Must(template.New("digest").Parse(`Hello,

Here is your {{.Frequency}} summary from Safeguard for {{.Period}}.
{{range .Orgs}}
{{.Name}}
{{range .Items}}
  * {{.Message}}
    {{.Link}}
{{end}}{{end}}
To see the details, sign in to Safeguard. To choose what these summaries
cover and how often they come, go to {{.Prefs}}.
`))

type digestOrg struct {
	Name  string
	Items []digestItem
}

type digestItem struct{ Message, Link string }

type digestData struct {
	Frequency string
	Period    string
	Orgs      []digestOrg
	Prefs     string
}

// periodKey names the period a digest of frequency f covers at now: the
// UTC day, or the ISO week.
func periodKey(f store.Frequency, now time.Time) (key, label string) {
	now = now.UTC()
	if f == store.Weekly {
		y, w := now.ISOWeek()
		return fmt.Sprintf("digest:weekly:%04d-W%02d", y, w), fmt.Sprintf("week %d of %d", w, y)
	}
	return "digest:daily:" + now.Format(time.DateOnly), now.Format("Monday 2 January 2006")
}

// SendDigests emails each member the digests due at now: for each of the
// daily and weekly frequencies, the reminders standing now of the kinds the
// member wants that often. A member gets one digest of a frequency per
// period (day or ISO week), whichever replica sends it and however often
// this runs; one with nothing to report gets none. It returns how many
// digests were sent; mail that fails is tried again on the next run.
func (s *Sender) SendDigests(ctx context.Context, db *store.DB, now time.Time, log *slog.Logger) (int, error) {
	reminders, err := db.Reminders(ctx, now, nil)
	if err != nil {
		return 0, err
	}
	prefs, err := db.DigestRecipients(ctx)
	if err != nil {
		return 0, err
	}
	byUser := map[int64][]store.Reminder{}
	for _, r := range reminders {
		byUser[r.UserID] = append(byUser[r.UserID], r)
	}
	users := make([]int64, 0, len(byUser))
	for id := range byUser {
		users = append(users, id)
	}
	sort.Slice(users, func(i, j int) bool { return users[i] < users[j] })
	sent := 0
	var errs []error
	for _, id := range users {
		p, ok := prefs[id]
		if !ok {
			continue
		}
		for _, f := range []store.Frequency{store.Daily, store.Weekly} {
			var items []store.Reminder
			for _, r := range byUser[id] {
				if p[r.Kind] == f {
					items = append(items, r)
				}
			}
			if len(items) == 0 {
				continue
			}
			ok, err := s.sendDigest(ctx, db, id, f, now, items)
			if err != nil {
				if ctx.Err() != nil {
					return sent, ctx.Err()
				}
				log.WarnContext(ctx, "digest not sent", slog.Int64("user", id), slog.String("frequency", string(f)), slog.Any("err", err))
				errs = append(errs, err)
				continue
			}
			if ok {
				sent++
			}
		}
	}
	if len(errs) > 0 {
		return sent, fmt.Errorf("%d digests not sent: %w", len(errs), errors.Join(errs...))
	}
	return sent, nil
}

// sendDigest claims the period's key for the user, then mails; a failed
// mail gives the key back so that the next run tries again.
func (s *Sender) sendDigest(ctx context.Context, db *store.DB, userID int64, f store.Frequency, now time.Time, items []store.Reminder) (bool, error) {
	key, label := periodKey(f, now)
	claimed, err := db.ClaimSent(ctx, userID, key)
	if err != nil || !claimed {
		return false, err
	}
	subject, body, err := s.digest(f, label, items)
	if err == nil {
		err = s.Send(ctx, items[0].Email, subject, body)
	}
	if err != nil {
		if uerr := db.UnclaimSent(context.WithoutCancel(ctx), userID, key); uerr != nil {
			return false, errors.Join(err, uerr)
		}
		return false, err
	}
	return true, nil
}

// digest renders one digest's subject and body.
func (s *Sender) digest(f store.Frequency, period string, items []store.Reminder) (string, string, error) {
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].OrgName != items[j].OrgName {
			return items[i].OrgName < items[j].OrgName
		}
		return items[i].Due.Before(items[j].Due)
	})
	d := digestData{Frequency: string(f), Period: period, Prefs: s.baseURL + "/account#email"}
	for _, r := range items {
		if n := len(d.Orgs); n == 0 || d.Orgs[n-1].Name != r.OrgName {
			d.Orgs = append(d.Orgs, digestOrg{Name: r.OrgName})
		}
		o := &d.Orgs[len(d.Orgs)-1]
		o.Items = append(o.Items, digestItem{Message: r.Message, Link: s.baseURL + r.Link})
	}
	var b strings.Builder
	if err := digestText.Execute(&b, d); err != nil {
		return "", "", err
	}
	noun := "reminders"
	if len(items) == 1 {
		noun = "reminder"
	}
	return fmt.Sprintf("Safeguard: your %s summary (%d %s)", f, len(items), noun), b.String(), nil
}
