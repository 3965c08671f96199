package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// invitationLifetime is how long an invitation link works.
const invitationLifetime = 72 * time.Hour

// adminFlags are the flags of the administrative commands: where the
// deployment is, and its public address for links.
type adminFlags struct {
	*instanceFlags
	url string
}

func addAdminFlags(fs *flag.FlagSet) *adminFlags {
	f := &adminFlags{instanceFlags: addInstanceFlags(fs, defaultDataDir)}
	fs.StringVar(&f.url, "url", "http://127.0.0.1:8080", "the address people open Safeguard at, for invitation links")
	return f
}

// withInstance opens the deployment for an administrative command and closes
// it afterwards. The server may be running: SQLite and PostgreSQL both let a
// second process write beside it.
func (m *Main) withInstance(ctx context.Context, f *instanceFlags, fn func(in *instance) error) error {
	in, err := m.openInstance(ctx, f, openExisting, m.quietLogger())
	if err != nil {
		return err
	}
	defer in.Close()
	return fn(in)
}

// fieldsError turns field problems into one line for the terminal.
func fieldsError(err error) error {
	var verr validate.Error
	if errors.As(err, &verr) {
		return errors.New(verr.Error())
	}
	return err
}

func (m *Main) runOrg(ctx context.Context, args []string) error {
	const synopsis = "org add --slug SLUG --name NAME [--kind KIND] | org list [--format table|json]"
	const desc = "Manage organisations (the tenants). Kinds: provider, health_plan, clearinghouse,\n" +
		"hybrid, business_associate, subcontractor."
	sub, rest := subcommand(args)
	fs := m.newFlagSet("org "+sub, synopsis, desc)
	f := addInstanceFlags(fs, defaultDataDir)
	slug := fs.String("slug", "", "short name used in addresses, e.g. riverside")
	name := fs.String("name", "", "the organisation's name")
	kind := fs.String("kind", "provider", "what the organisation is under HIPAA")
	format := fs.String("format", "table", "output format: table or json")
	if err := m.parseFlags(fs, rest); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch sub {
	case "add":
		if *slug == "" || *name == "" {
			return usagef("org add: --slug and --name are required")
		}
		return m.withInstance(ctx, f, func(in *instance) error {
			o, err := in.db.CreateOrg(ctx, cliActor(), identity.Org{Slug: *slug, Name: *name, Kind: identity.OrgKind(*kind)})
			if err != nil {
				return fieldsError(err)
			}
			fmt.Fprintf(m.Stdout, "Added organisation %s (%s), id %d.\n", o.Name, o.Slug, o.ID)
			return nil
		})
	case "list":
		if err := checkFormat(*format, "table", "json"); err != nil {
			return err
		}
		return m.withInstance(ctx, f, func(in *instance) error {
			orgs, err := allPages(func(p store.Page) ([]store.OrgEntry, *store.Key, error) {
				return in.db.OrgPage(ctx, store.OrgQuery{}, p)
			})
			if err != nil {
				return err
			}
			if *format == "json" {
				out := []identity.OrgJSON{}
				for _, o := range orgs {
					out = append(out, o.JSON(""))
				}
				return writeJSON(m.Stdout, out)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SLUG\tNAME\tKIND")
			for _, o := range orgs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", o.Slug, o.Name, o.Kind)
			}
			return tw.Flush()
		})
	}
	return usagef("org: say add or list (run 'safeguard org --help')")
}

// subcommand splits "add --flag x" into "add" and the rest; flags-first or an
// empty command line yields "".
func subcommand(args []string) (string, []string) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", args
	}
	return args[0], args[1:]
}

func checkFormat(got string, allowed ...string) error {
	for _, a := range allowed {
		if got == a {
			return nil
		}
	}
	return usagef("--format %q: want %s", got, strings.Join(allowed, " or "))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (m *Main) runUser(ctx context.Context, args []string) error {
	const synopsis = "user add|list|disable|enable|reset-password|reset-mfa [flags] [EMAIL]"
	const desc = "Manage user accounts. Accounts are disabled, never deleted: the audit log refers to them.\n\n" +
		"  add      --email E [--name N] [--admin] [--org SLUG --role ROLE] [--password-stdin]\n" +
		"           without --password-stdin, prints a one-time invitation link (valid 72 hours)\n" +
		"  list     [--format table|json]\n" +
		"  disable  EMAIL   ends the user's sessions and revokes their tokens at once\n" +
		"  reset-password EMAIL   clears the password, ends sessions, prints a one-time link\n" +
		"  reset-mfa EMAIL   removes the user's authenticator app, passkeys and recovery codes; ends sessions\n" +
		"  enable   EMAIL"
	sub, rest := subcommand(args)
	fs := m.newFlagSet("user "+sub, synopsis, desc)
	f := addAdminFlags(fs)
	email := fs.String("email", "", "the user's email address (user add)")
	name := fs.String("name", "", "the user's name")
	admin := fs.Bool("admin", false, "make the user a platform administrator")
	org := fs.String("org", "", "add the user to this organisation")
	role := fs.String("role", "", "the user's role in --org: owner, security_officer, contributor, auditor or viewer")
	pwStdin := fs.Bool("password-stdin", false, "read the user's password from standard input instead of printing an invitation")
	format := fs.String("format", "table", "output format of user list: table or json")
	if err := m.parseFlags(fs, rest); err != nil {
		return err
	}
	switch sub {
	case "add":
		if err := noArgs(fs); err != nil {
			return err
		}
		if *email == "" {
			return usagef("user add: --email is required")
		}
		if (*org == "") != (*role == "") {
			return usagef("user add: --org and --role go together")
		}
		var r identity.Role
		if *role != "" {
			var err error
			if r, err = identity.ParseRole(*role); err != nil {
				return usagef("user add: --role: %v", err)
			}
		}
		var password string
		if *pwStdin {
			line, err := bufio.NewReader(m.Stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read password: %w", err)
			}
			password = strings.TrimRight(line, "\r\n")
			if err := identity.CheckPassword(password, *email, *name); err != nil {
				return err
			}
		}
		return m.withInstance(ctx, f.instanceFlags, func(in *instance) error {
			return m.addUser(ctx, in, f.url, identity.User{Email: *email, Name: *name, Admin: *admin}, *org, r, password)
		})
	case "list":
		if err := noArgs(fs); err != nil {
			return err
		}
		if err := checkFormat(*format, "table", "json"); err != nil {
			return err
		}
		return m.withInstance(ctx, f.instanceFlags, func(in *instance) error { return m.listUsers(ctx, in, *format) })
	case "reset-password":
		target := *email
		if fs.NArg() == 1 && target == "" {
			target = fs.Arg(0)
		}
		if target == "" || fs.NArg() > 1 {
			return usagef("user reset-password: give the user's EMAIL")
		}
		return m.withInstance(ctx, f.instanceFlags, func(in *instance) error {
			u, err := in.db.UserByEmail(ctx, target)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no user with email %s", target)
			} else if err != nil {
				return err
			}
			if err := in.db.SetPassword(ctx, cliActor(), u.ID, "", false, 0); err != nil {
				return err
			}
			link, err := invite(ctx, in.db, cliActor(), u.ID, f.url)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Cleared the password of %s and ended their sessions. Send them this one-time link (valid for %s):\n  %s\n", u.Email, invitationLifetime, link)
			return nil
		})
	case "reset-mfa":
		return m.resetMFA(ctx, f.instanceFlags, fs, *email)
	case "disable", "enable":
		target := *email
		if fs.NArg() == 1 && target == "" {
			target = fs.Arg(0)
		} else if fs.NArg() > 0 {
			return usagef("user %s: give one EMAIL", sub)
		}
		if target == "" {
			return usagef("user %s: give the user's EMAIL", sub)
		}
		return m.withInstance(ctx, f.instanceFlags, func(in *instance) error {
			u, err := in.db.UserByEmail(ctx, target)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no user with email %s", target)
			} else if err != nil {
				return err
			}
			if err := in.db.SetUserDisabled(ctx, cliActor(), u.ID, sub == "disable"); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%sd %s.\n", strings.ToUpper(sub[:1])+sub[1:], u.Email)
			return nil
		})
	}
	return usagef("user: say add, list, disable or enable (run 'safeguard user --help')")
}

// addUser creates a user, with a password or an invitation link.
func (m *Main) addUser(ctx context.Context, in *instance, baseURL string, u identity.User, orgSlug string, role identity.Role, password string) error {
	n := store.NewUser{User: u, Role: role}
	if orgSlug != "" {
		o, err := in.db.Org(ctx, orgSlug)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no organisation %q (see 'safeguard org list')", orgSlug)
		} else if err != nil {
			return err
		}
		n.OrgID = o.ID
	}
	if password != "" {
		hash, err := m.hasher().Hash(ctx, password)
		if err != nil {
			return err
		}
		n.PasswordHash = hash
	}
	created, err := in.db.CreateUser(ctx, cliActor(), n)
	if err != nil {
		return fieldsError(err)
	}
	fmt.Fprintf(m.Stdout, "Added user %s (id %d).\n", created.Email, created.ID)
	if password != "" {
		return nil
	}
	link, err := invite(ctx, in.db, cliActor(), created.ID, baseURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Send them this one-time link to choose a password (valid for %s):\n  %s\n", invitationLifetime, link)
	return nil
}

// invite makes an invitation for userID and returns its link.
func invite(ctx context.Context, db *store.DB, actor store.Actor, userID int64, baseURL string) (string, error) {
	secret, err := identity.NewSecret(identity.PrefixInvitation)
	if err != nil {
		return "", err
	}
	if _, err := db.CreateInvitation(ctx, actor, userID, identity.HashSecret(secret), invitationLifetime); err != nil {
		return "", err
	}
	return strings.TrimRight(baseURL, "/") + "/invite/" + secret, nil
}

func (m *Main) listUsers(ctx context.Context, in *instance, format string) error {
	users, err := allPages(func(p store.Page) ([]identity.User, *store.Key, error) { return in.db.UserPage(ctx, p) })
	if err != nil {
		return err
	}
	if format == "json" {
		out := []identity.UserJSON{}
		for _, u := range users {
			out = append(out, u.JSON())
		}
		return writeJSON(m.Stdout, out)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tADMIN\tSTATUS\tLAST SIGN-IN")
	for _, u := range users {
		status, last := "active", "never"
		if !u.Active() {
			status = "disabled"
		}
		if !u.LastLoginAt.IsZero() {
			last = u.LastLoginAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%t\t%s\t%s\n", u.ID, u.Email, u.Name, u.Admin, status, last)
	}
	return tw.Flush()
}

func (m *Main) runToken(ctx context.Context, args []string) error {
	const synopsis = "token create --user EMAIL [--org SLUG] --scope read|write|admin [--expires 720h] [--name NAME]"
	const desc = "Create an API token for a user and print it once. Use it as 'Authorization: Bearer <token>'.\n" +
		"An --org token works only in that organisation; the user's role there still applies.\n" +
		"API tokens cannot create tokens: make them here or on the account page in a browser."
	sub, rest := subcommand(args)
	fs := m.newFlagSet("token "+sub, synopsis, desc)
	f := addInstanceFlags(fs, defaultDataDir)
	email := fs.String("user", "", "the user the token acts as")
	org := fs.String("org", "", "limit the token to this organisation")
	scope := fs.String("scope", "", "read, write or admin")
	expires := fs.Duration("expires", 720*time.Hour, "how long the token works (at most 8784h)")
	name := fs.String("name", "", "a label for the token")
	if err := m.parseFlags(fs, rest); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if sub != "create" {
		return usagef("token: say create (run 'safeguard token --help')")
	}
	if *email == "" || *scope == "" {
		return usagef("token create: --user and --scope are required")
	}
	sc, err := identity.ParseScope(*scope)
	if err != nil {
		return usagef("token create: --scope: %v", err)
	}
	return m.withInstance(ctx, f, func(in *instance) error {
		u, err := in.db.UserByEmail(ctx, *email)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no user with email %s", *email)
		} else if err != nil {
			return err
		}
		if !u.Active() {
			return fmt.Errorf("user %s is disabled", u.Email)
		}
		t := store.Token{UserID: u.ID, Scope: sc, Name: *name}
		if *org != "" {
			o, err := in.db.Org(ctx, *org)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no organisation %q", *org)
			} else if err != nil {
				return err
			}
			if _, err := in.db.Membership(ctx, o.ID, u.ID); err != nil {
				return fmt.Errorf("%s is not a member of %s", u.Email, o.Slug)
			}
			t.OrgID = o.ID
		}
		secret, err := identity.NewSecret(identity.PrefixToken)
		if err != nil {
			return err
		}
		t, err = in.db.CreateToken(ctx, cliActor(), identity.HashSecret(secret), t, *expires)
		if err != nil {
			return fieldsError(err)
		}
		fmt.Fprintln(m.Stdout, secret)
		fmt.Fprintf(m.Stderr, "Token %d (%s, %s) for %s expires %s. It is shown only this once.\n",
			t.ID, t.Name, t.Scope, u.Email, t.ExpiresAt.Format(time.RFC3339))
		return nil
	})
}

// allPages reads a paged list to its end, for commands whose job is to
// print all of it.
func allPages[T any](read func(store.Page) ([]T, *store.Key, error)) ([]T, error) {
	var out []T
	p := store.Page{Limit: store.MaxPageLimit}
	for {
		items, next, err := read(p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == nil {
			return out, nil
		}
		p.After = *next
	}
}
