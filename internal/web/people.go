package web

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/assess"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
)

// People are the people behind the actors a page shows. Records and the
// audit log name who acted as "user:12" ("user:12/token:3" through an API
// token), which a person reads as a name; a page looks them up once, for
// the actors it shows (Server.People), and shows People.Name. The JSON API
// and the exports keep the recorded actor.
type People struct {
	names, emails map[int64]string
}

// People looks up the users that actors (and user:<id> mentions in them)
// name.
func (s *Server) People(ctx context.Context, actors ...string) (People, error) {
	var ids []int64
	for _, a := range actors {
		for _, m := range userMention.FindAllStringSubmatch(a, -1) {
			if id, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	p := People{names: map[int64]string{}, emails: map[int64]string{}}
	if len(ids) == 0 {
		return p, nil
	}
	var err error
	if p.emails, err = s.db.UserEmails(ctx, ids); err != nil {
		return People{}, err
	}
	if p.names, err = s.db.UserNames(ctx, ids); err != nil {
		return People{}, err
	}
	return p, nil
}

var userMention = regexp.MustCompile(`\buser:(\d+)\b`)

// person is how a page names user id: the name, or the email where there
// is no name; "a deleted account" where there is neither.
func (p People) person(id int64, withEmail bool) string {
	name, email := p.names[id], p.emails[id]
	switch {
	case email == "":
		return "a deleted account"
	case name == "" || name == email:
		return email
	case withEmail:
		return name + " (" + email + ")"
	}
	return name
}

// Name is what a page shows for a recorded actor: the person's name, "…
// through an API token" for a token, and a plain description of the
// actors that are not people.
func (p People) Name(actor string) string { return p.name(actor, false) }

// NameEmail is Name with the person's email beside the name, for the audit
// log, where who exactly acted matters.
func (p People) NameEmail(actor string) string { return p.name(actor, true) }

func (p People) name(actor string, withEmail bool) string {
	base, rest, _ := strings.Cut(actor, "/")
	if id, ok := strings.CutPrefix(base, "user:"); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			who := p.person(n, withEmail)
			if t, ok := strings.CutPrefix(rest, "token:"); ok {
				who += " through API token " + t
			} else if rest != "" {
				who += " (" + rest + ")"
			}
			return who
		}
	}
	switch {
	case actor == "":
		return ""
	case actor == "system":
		return "Safeguard itself"
	case actor == "anonymous":
		return "someone not signed in"
	case strings.HasPrefix(actor, "system:"):
		return "Safeguard itself (" + strings.TrimPrefix(actor, "system:") + ")"
	case strings.HasPrefix(actor, "demo:"):
		return "the demo's sample data"
	case strings.HasPrefix(actor, "cli:"):
		return "the command line, as " + strings.TrimPrefix(actor, "cli:")
	}
	return actor
}

// textLabels are the stored keys a recorded text (an audit summary) may
// hold, as a person reads them.
var textLabels = func() map[string]string {
	m := map[string]string{}
	for _, r := range identity.Roles {
		m[string(r)] = strings.ToLower(roleWord(r))
	}
	for _, s := range assess.ResponseStatuses() {
		m[string(s)] = strings.ToLower(s.Label())
	}
	for _, k := range identity.OrgKinds {
		m[string(k)] = strings.ToLower(k.Label())
	}
	for _, o := range catalog.Outcomes() {
		m[string(o)] = strings.ToLower(OutcomeLabel(o))
	}
	m[string(assess.StatusInReview)] = "in review"
	return m
}()

// roleWord is a role's short name, for running text.
func roleWord(r identity.Role) string {
	label, _, _ := strings.Cut(r.Label(), " (")
	return label
}

var keyWord = regexp.MustCompile(`\b[a-z]+(?:_[a-z]+)+\b`)

// Text is a recorded text as a person reads it: people named by user:<id>
// are named, and stored keys such as not_implemented or security_officer
// are given in words. Words without an underscore are left, as they are
// ordinary words too.
func (p People) Text(s string) string {
	s = userMention.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.ParseInt(m[len("user:"):], 10, 64)
		return p.person(n, false)
	})
	return keyWord.ReplaceAllStringFunc(s, func(k string) string {
		if label, ok := textLabels[k]; ok {
			return label
		}
		return k
	})
}

// OutcomeLabel is an addressable decision's outcome (§164.306(d)(3)) as a
// person reads it.
func OutcomeLabel(o catalog.Outcome) string {
	switch o {
	case catalog.OutcomeImplemented:
		return "Implemented as specified"
	case catalog.OutcomeAlternative:
		return "Equivalent alternative implemented"
	case catalog.OutcomeNotImplemented:
		return "Neither implemented, reason documented"
	}
	return string(o)
}
