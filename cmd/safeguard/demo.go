package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/safeguard-health/safeguard/internal/demo"
)

const defaultDemoDir = "./safeguard-demo"

func (m *Main) runDemo(ctx context.Context, args []string) error {
	fs := m.newFlagSet("demo", "demo [--addr HOST:PORT] [--data DIR] [--keep] [serve flags]",
		"Create a fresh demo data folder holding Riverside Family Practice, a sample\n"+
			"covered entity, and Harbor Medical Billing, its business associate; then serve it.\n"+
			"An existing demo folder is wiped and made anew (unless --keep); a folder that is\n"+
			"not a demo is never touched.")
	f := addServeFlags(fs, defaultDemoDir)
	keep := fs.Bool("keep", false, "reuse an existing demo folder as it is instead of starting afresh")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	dir, err := filepath.Abs(f.data)
	if err != nil {
		return err
	}
	if f.db != "" {
		return usagef("demo: --db is not allowed: the demo keeps its own SQLite file in --data, so it never writes demo data into a real database")
	}
	fresh, err := prepareDemoDir(dir, *keep)
	if err != nil {
		return err
	}
	if fresh {
		if err := m.loadDemo(ctx, f, dir); err != nil {
			os.RemoveAll(dir)
			return err
		}
	}
	return m.serve(ctx, f, true)
}

// prepareDemoDir makes dir ready for a demo and reports whether it is fresh
// (needs the demo data loaded). It refuses a folder that holds anything but a
// demo.
func prepareDemoDir(dir string, keep bool) (bool, error) {
	marker := filepath.Join(dir, demoMarkerName)
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return false, fmt.Errorf("demo data folder %s: %w", dir, errors.Unwrap(err))
	case fileExists(marker) && keep:
		return false, nil
	case fileExists(marker):
		if err := os.RemoveAll(dir); err != nil {
			return false, fmt.Errorf("clear the old demo in %s: %w", dir, err)
		}
	case len(entries) > 0:
		return false, fmt.Errorf("%s is %w and not empty; refusing to overwrite it: pick another --data", dir, errNotDemo)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("create demo data folder %s: %w", dir, errors.Unwrap(err))
	}
	if err := os.WriteFile(marker, []byte("This folder holds a Safeguard demo; 'safeguard demo' may wipe it.\n"), 0o600); err != nil {
		return false, fmt.Errorf("mark demo data folder: %w", err)
	}
	return true, nil
}

// loadDemo creates the demo's database and loads the sample organisations.
func (m *Main) loadDemo(ctx context.Context, f *serveFlags, dir string) error {
	in, err := m.openInstance(ctx, f.instanceFlags, openOrCreate, m.quietLogger())
	if err != nil {
		return err
	}
	defer in.Close()
	creds, err := demo.Load(ctx, in.db, m.hasher(), in.keys)
	if err != nil {
		return err
	}
	if err := in.db.SetSetting(ctx, demo.Actor, "instance.demo", "true"); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Demo data folder %s created with %d organisations.\n", dir, len(demo.Orgs))
	fmt.Fprintln(m.Stdout, "Demo users (shown only now; the first must choose a new password at sign-in):")
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	for _, c := range creds {
		what := string(c.Role) + " of " + c.OrgSlug
		if c.Admin {
			what = "platform admin, " + what
		}
		note := c.Note
		if c.OneTime {
			note = "(one-time password)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Email, c.Password, what, note)
	}
	return tw.Flush()
}
