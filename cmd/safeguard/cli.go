package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/problem"
)

// Exit codes shared by every subcommand.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// Main holds what a run of the binary needs from its surroundings, so that tests
// can run it in-process with their own streams and environment.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// LookupEnv reads the environment; tests replace it.
	LookupEnv func(string) (string, bool)
	// Listening, when set, is called by serve and demo with the address the
	// server listens on, once it accepts connections.
	Listening func(addr string)
	// Hasher hashes passwords; nil means identity.DefaultHasher. Tests set
	// a cheaper one.
	Hasher *identity.Hasher
}

func (m *Main) hasher() *identity.Hasher {
	if m.Hasher == nil {
		m.Hasher = identity.DefaultHasher()
	}
	return m.Hasher
}

// NewMain returns a Main wired to the process's standard streams and environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv}
}

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

func (m *Main) commands() map[string]command {
	return map[string]command{
		"serve":   {"run the web UI and JSON API", m.runServe},
		"demo":    {"create a demo data folder with a sample organisation, then serve it", m.runDemo},
		"init":    {"create a data folder (keys, database) and apply migrations", m.runInit},
		"migrate": {"apply database migrations and report the schema version", m.runMigrate},
		"keys":    {"show or rotate the key-encryption key (keys status|rotate)", m.runKeys},
		"org":     {"add and list organisations", m.runOrg},
		"user":    {"add, list, disable and enable users; reset passwords and second factors", m.runUser},
		"token":   {"create API tokens", m.runToken},
		"catalog": {"browse the Security Rule catalogue (list, show, diff, faq, search, export, import)", m.runCatalog},
		"audit":   {"verify, checkpoint, prove and export the tamper-evident audit log", m.runAudit},
		"assess":  {"list, show and export compliance assessments (list|show|export)", m.runAssess},
		"risk":    {"list, export and import the ePHI inventory (list|export|import)", m.runRisk},
		"doctor":  {"check an installation (permissions, keys, TLS, schema, checkpoints, backups, clock, disk) and say what to fix", m.runDoctor},
		"report":  {"write the Security Rule report (pdf, docx, xlsx, html, csv, json, oscal) or the evidence binder", m.runReport},
		"backup":  {"write an encrypted backup of the deployment while it runs", m.runBackup},
		"restore": {"restore a backup into an empty data folder or database, verify it and record the drill", m.runRestore},
		"version": {"print the version", m.runVersion},
		"help":    {"show help for a command", m.runHelp},

		"migrate-db": {"copy a whole instance between SQLite and PostgreSQL, verified (migrate-db --from --to)", m.runMigrateDB},
	}
}

// Run executes one command line and returns the process exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		m.printUsage(m.Stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		m.printUsage(m.Stdout)
		return exitOK
	}
	cmd, ok := m.commands()[name]
	if !ok {
		fmt.Fprintf(m.Stderr, "safeguard: unknown command %q (run 'safeguard help')\n", name)
		return exitUsage
	}
	err := cmd.run(ctx, args[1:])
	return m.exitCode(err)
}

func (m *Main) exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(m.Stderr, "safeguard: %s\n", ue.msg)
		return exitUsage
	case errors.Is(err, errCheckFailed):
		// The command has already said what failed.
		return exitFailed
	case isProblem(err):
		// A problem's message is written for people: it is all they see.
		p, _ := problem.As(err)
		fmt.Fprintf(m.Stderr, "safeguard: %s\n", p.Message)
		return exitFailed
	default:
		fmt.Fprintf(m.Stderr, "safeguard: %s\n", oneLine(err.Error()))
		return exitFailed
	}
}

// isProblem reports whether err carries a problem.Error. Every kind of
// problem is a failed operation (exit 1): the command line itself was right.
func isProblem(err error) bool {
	_, ok := problem.As(err)
	return ok
}

// errCheckFailed ends a command that has already printed why it failed.
var errCheckFailed = errors.New("check failed")

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...)}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func (m *Main) printUsage(w io.Writer) {
	fmt.Fprintln(w, "Safeguard: the HIPAA Security Rule, run as a program.")
	fmt.Fprintln(w, "\nUsage: safeguard <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	cmds := m.commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'safeguard <command> --help' for a command's flags.")
	fmt.Fprintln(w, "Every flag can also be set as SAFEGUARD_<FLAG> (dashes become underscores),")
	fmt.Fprintln(w, "e.g. SAFEGUARD_DATA=/srv/safeguard. A flag on the command line wins.")
	fmt.Fprintln(w, "\nExit codes: 0 success, 1 the operation or check failed, 2 usage error.")
}

func (m *Main) runHelp(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.printUsage(m.Stdout)
		return nil
	}
	cmd, ok := m.commands()[args[0]]
	if !ok || args[0] == "help" {
		if !ok {
			return usagef("unknown command %q", args[0])
		}
		m.printUsage(m.Stdout)
		return nil
	}
	return cmd.run(ctx, append(args[1:len(args):len(args)], "--help"))
}

// newFlagSet returns a flag set for one subcommand whose usage text goes to
// standard output when asked for and to standard error on a mistake.
func (m *Main) newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := m.Stdout
		fmt.Fprintf(w, "Usage: safeguard %s\n\n%s\n", synopsis, description)
		var any bool
		fs.VisitAll(func(*flag.Flag) { any = true })
		if any {
			fmt.Fprintln(w, "\nFlags (each also read from SAFEGUARD_<FLAG>):")
			printFlags(w, fs)
		}
	}
	return fs
}

// printFlags lists fs's flags in the --name form the documentation uses.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if typ != "" {
			line += " " + strings.ToUpper(typ)
		}
		fmt.Fprintln(w, line)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "        %s\n", usage)
	})
}

// parseFlags parses args, then fills every flag not given on the command line
// from SAFEGUARD_<FLAG> in the environment. It returns flag.ErrHelp after
// printing usage for -h/--help, and a usageError for anything wrong.
func (m *Main) parseFlags(fs *flag.FlagSet, args []string) error {
	// flag.FlagSet calls Usage on every parse error; print it only for --help.
	usage := fs.Usage
	fs.Usage = func() {}
	err := parseInterspersed(fs, args)
	fs.Usage = usage
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return flag.ErrHelp
		}
		return usagef("%s: %v (run 'safeguard %s --help')", fs.Name(), err, fs.Name())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || envErr != nil {
			return
		}
		key := envName(f.Name)
		v, ok := m.LookupEnv(key)
		if !ok {
			return
		}
		if err := f.Value.Set(v); err != nil {
			envErr = usagef("%s: invalid value %q for %s: %v", fs.Name(), v, key, err)
		}
	})
	return envErr
}

// parseInterspersed lets flags follow positional arguments
// ("user disable EMAIL --data DIR"); everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		consumed := len(rest) - fs.NArg()
		if consumed > 0 && rest[consumed-1] == "--" {
			positional = append(positional, fs.Args()...)
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// envName maps a flag name to the environment variable that may set it.
func envName(flagName string) string {
	return "SAFEGUARD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// noArgs refuses positional arguments for commands that take none.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
