package main

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/jobs"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Names in the data folder for the audit log's checkpoint signing key.
const (
	auditKeyName     = "audit.key"      // the private key, mode 0600
	auditPubKeysName = "audit-keys.pub" // the public half of every key ever used
)

// auditFlags are serve's checkpoint settings.
type auditFlags struct {
	checkpointDir      string
	checkpointEvery    int64
	checkpointInterval time.Duration
	trustKeys          fingerprints
}

func addAuditFlags(fs *flag.FlagSet) *auditFlags {
	f := &auditFlags{}
	fs.StringVar(&f.checkpointDir, "checkpoint-dir", "", "also write every signed audit checkpoint (and the public keys) to this folder, e.g. another disk or a mounted share")
	fs.Int64Var(&f.checkpointEvery, "checkpoint-every", 1000, "sign an audit checkpoint after this many new entries")
	fs.DurationVar(&f.checkpointInterval, "checkpoint-interval", time.Minute, "sign an audit checkpoint at least this often while entries arrive")
	fs.Var(&f.trustKeys, "audit-trust-key", "fingerprint (sha256:...) of the first audit signing key, which the Verify button holds the keys file to (repeatable)")
	return f
}

// auditKeys handles the signing key files of a data folder.
type auditKeys struct {
	dir string
}

func (k auditKeys) keyPath() string { return filepath.Join(k.dir, auditKeyName) }
func (k auditKeys) pubPath() string { return filepath.Join(k.dir, auditPubKeysName) }

// file reads the public keys file; it reports fs.ErrNotExist when there is none.
func (k auditKeys) file() (audit.KeyFile, error) {
	b, err := os.ReadFile(k.pubPath())
	if err != nil {
		return nil, err
	}
	f, err := audit.ParseKeyFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.pubPath(), err)
	}
	return f, nil
}

// trusted reads the public keys file and works out which of its keys are
// trusted: the first key (or the keys pinned by fingerprint) and those
// endorsed by a trusted key. Verification in the web UI calls it each time.
func (k auditKeys) trusted(pins []string) (audit.Keys, error) {
	f, err := k.file()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noPinnedKeys(k.pubPath())
	}
	if err != nil {
		return nil, err
	}
	return f.Trust(pins)
}

// noPinnedKeys is the error for a keys file that is not there: verification
// never falls back to the keys in the database, which whoever can write the
// database can add to.
func noPinnedKeys(path string) error {
	return &audit.TrustError{Kind: audit.NoPinnedKeys, Detail: path + " does not exist. Verification trusts only public keys kept outside the database: " +
		"restore " + auditPubKeysName + " from a backup or from the --checkpoint-dir mirror, or pass --keys FILE (and --trust-key with the first key's fingerprint)"}
}

func (k auditKeys) writeFile(f audit.KeyFile) error {
	text, _ := f.MarshalText()
	return writeFileAtomic(k.pubPath(), text, 0o644)
}

// signer loads the signing key, creating the first key when the data folder
// has neither key nor public keys file. A key that the public keys file does
// not list is refused (it was not made here), and so is a missing key when
// the file lists keys: a new key would not be endorsed by the old one.
func (k auditKeys) signer(ctx context.Context, db *store.DB, log *slog.Logger) (*audit.Signer, error) {
	pubs, err := k.file()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit public keys: %w", err)
	}
	b, err := os.ReadFile(k.keyPath())
	if errors.Is(err, fs.ErrNotExist) && len(pubs) == 0 {
		// A database whose log is already signed belongs to an instance
		// with keys: a replica started with a data folder that lacks them
		// must not sign with a key of its own, which verification would
		// report as unknown.
		known, err := db.AuditKeys(ctx)
		if err != nil {
			return nil, fmt.Errorf("audit keys of the database: %w", err)
		}
		if len(known) > 0 {
			ids := slices.Sorted(maps.Keys(known))
			return nil, fmt.Errorf("this database's audit log is signed with %s, but %s has no signing key: copy %s and %s from the data folder of the instance that made them "+
				"(every replica needs the whole data folder, not only the key-encryption key)", strings.Join(ids, ", "), k.dir, auditKeyName, auditPubKeysName)
		}
		return k.create(ctx, db, log)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the audit signing key %s is missing, but %s lists keys: restore the key from your backup "+
			"(a new key could not be endorsed by the old one, and verification would report it)", k.keyPath(), k.pubPath())
	}
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	s, err := audit.ParseSigner(b)
	if err != nil {
		return nil, fmt.Errorf("audit signing key %s: %w", k.keyPath(), err)
	}
	if !pubs.Has(s.ID()) {
		return nil, fmt.Errorf("the audit signing key %s (%s) is not listed in %s: restore the original key, or run 'safeguard audit rotate-key'", k.keyPath(), s.ID(), k.pubPath())
	}
	if err := db.AddAuditKey(ctx, store.Actor{Name: "system"}, s.ID(), s.Public()); err != nil {
		return nil, err
	}
	return s, nil
}

// create makes the first signing key of a data folder.
func (k auditKeys) create(ctx context.Context, db *store.DB, log *slog.Logger) (*audit.Signer, error) {
	s, err := audit.NewSigner()
	if err != nil {
		return nil, err
	}
	var f audit.KeyFile
	f.Add(s.Public())
	if err := k.writeFile(f); err != nil {
		return nil, fmt.Errorf("audit public keys: %w", err)
	}
	text, _ := s.MarshalText()
	if err := writeFileAtomic(k.keyPath(), text, 0o600); err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if err := db.AddAuditKey(ctx, store.Actor{Name: "system"}, s.ID(), s.Public()); err != nil {
		return nil, err
	}
	log.Info("created the first audit checkpoint signing key", slog.String("file", k.keyPath()), slog.String("key_id", s.ID()),
		slog.String("fingerprint", s.Fingerprint()))
	return s, nil
}

// rotate replaces the signing key old with a new one. The old key signs a
// checkpoint of the log as it stands and the statement introducing the new
// key; the statement goes into the public keys file and, as an audit entry,
// into the log, before the new key signs its first checkpoint.
func (k auditKeys) rotate(ctx context.Context, db *store.DB, actor store.Actor, old *audit.Signer) (*audit.Signer, error) {
	pubs, err := k.file()
	if err != nil {
		return nil, fmt.Errorf("audit public keys: %w", err)
	}
	if _, _, err := db.CheckpointAudit(ctx, old); err != nil {
		return nil, err
	}
	s, err := audit.NewSigner()
	if err != nil {
		return nil, err
	}
	e := old.Endorse(s.Public(), time.Now())
	pubs.AddEndorsed(e)
	// The public key is pinned before the private key replaces the old one:
	// a crash in between leaves the old key in use and the new one unused.
	if err := k.writeFile(pubs); err != nil {
		return nil, fmt.Errorf("audit public keys: %w", err)
	}
	text, _ := s.MarshalText()
	if err := writeFileAtomic(k.keyPath(), text, 0o600); err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if err := db.RotateAuditKey(ctx, actor, e); err != nil {
		return nil, err
	}
	if _, _, err := db.CheckpointAudit(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// checkpointer signs checkpoints for serve.
type checkpointer struct {
	db     *store.DB
	signer *audit.Signer
	keys   auditKeys
	f      *auditFlags
	log    *slog.Logger
}

// startAuditCheckpoints loads the signing key, registers the scheduled job
// that signs a checkpoint every --checkpoint-interval (on one replica) and
// starts the local loop that signs one sooner once --checkpoint-every
// entries have arrived. The returned stop function ends the loop, waits for
// it and signs a last checkpoint; call it before the database closes.
func (m *Main) startAuditCheckpoints(ctx context.Context, in *instance, f *auditFlags, runner *jobs.Runner, log *slog.Logger) (stop func(), err error) {
	if f.checkpointEvery < 1 || f.checkpointInterval < time.Second {
		return nil, usagef("--checkpoint-every wants at least 1 and --checkpoint-interval at least 1s")
	}
	k := auditKeys{dir: in.dataDir}
	// A stop signal during start-up ends the loop below, not the key setup.
	s, err := k.signer(context.WithoutCancel(ctx), in.db, log)
	if err != nil {
		return nil, err
	}
	if f.checkpointDir != "" {
		if err := os.MkdirAll(f.checkpointDir, 0o700); err != nil {
			return nil, fmt.Errorf("--checkpoint-dir: %w", err)
		}
	}
	c := &checkpointer{db: in.db, signer: s, keys: k, f: f, log: log}
	if err := runner.Register("audit_checkpoint", f.checkpointInterval, func(ctx context.Context) error {
		if _, ok := c.checkpoint(ctx); !ok {
			return errors.New("audit checkpoint failed")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	// The loop ends when loopCtx is cancelled: by stop, or when ctx ends.
	go func() {
		defer close(done)
		c.run(loopCtx)
	}()
	return func() {
		cancel()
		<-done
		// The last checkpoint, once no request can append any more.
		fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer fcancel()
		c.checkpoint(fctx)
	}, nil
}

func (c *checkpointer) run(ctx context.Context) {
	tick := time.NewTicker(min(time.Second, c.f.checkpointInterval))
	defer tick.Stop()
	last := int64(-1)
	if cp, err := c.db.LatestAuditCheckpoint(ctx); err == nil {
		last = cp.TreeSize
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := c.db.AuditSize(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("audit checkpoint: read log size", slog.Any("err", err))
			}
			continue
		}
		if n == last || n-last < c.f.checkpointEvery {
			continue
		}
		// The scheduled job may have signed one meanwhile.
		if cp, err := c.db.LatestAuditCheckpoint(ctx); err == nil && n-cp.TreeSize < c.f.checkpointEvery {
			last = cp.TreeSize
			continue
		}
		if cp, ok := c.checkpoint(ctx); ok {
			last = cp.TreeSize
		}
	}
}

// checkpoint signs a checkpoint of the whole log and mirrors it.
func (c *checkpointer) checkpoint(ctx context.Context) (audit.Checkpoint, bool) {
	cp, added, err := c.db.CheckpointAudit(ctx, c.signer)
	if err != nil {
		c.log.Error("audit checkpoint failed", slog.Any("err", err))
		return cp, false
	}
	if added && c.f.checkpointDir != "" {
		if err := mirrorCheckpoint(c.f.checkpointDir, cp, c.keys); err != nil {
			c.log.Error("audit checkpoint: mirror", slog.String("dir", c.f.checkpointDir), slog.Any("err", err))
		}
	}
	return cp, true
}

// mirrorCheckpoint writes cp as checkpoint-SIZE and as checkpoint (the
// latest) in dir, with a copy of the public keys.
func mirrorCheckpoint(dir string, cp audit.Checkpoint, k auditKeys) error {
	text, _ := cp.MarshalText()
	if err := writeFileAtomic(filepath.Join(dir, fmt.Sprintf("checkpoint-%012d", cp.TreeSize)), text, 0o644); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, "checkpoint"), text, 0o644); err != nil {
		return err
	}
	if pub, err := os.ReadFile(k.pubPath()); err == nil {
		return writeFileAtomic(filepath.Join(dir, auditPubKeysName), pub, 0o644)
	}
	return nil
}

const auditSynopsis = "audit verify|checkpoint|prove|check-proof|export|rotate-key [flags]"

const auditDesc = "Check and prove the tamper-evident audit log.\n\n" +
	"  verify [--data DIR | --db URL] [--checkpoint FILE] [--keys FILE] [--trust-key FINGERPRINT]\n" +
	"          replay the hash chain and the Merkle tree and check every checkpoint;\n" +
	"          exit 0 when intact, 1 naming the first bad sequence number and the damage;\n" +
	"          only keys pinned outside the database count: the first key of the keys file\n" +
	"          (or the one --trust-key names) and keys endorsed by a trusted key\n" +
	"  checkpoint --export FILE\n" +
	"          sign a checkpoint of the log now and write it to FILE ('-': standard output)\n" +
	"  prove SEQ\n" +
	"          print entry SEQ with its inclusion proof against the latest checkpoint (JSON)\n" +
	"  check-proof FILE [--keys FILE] [--trust-key FINGERPRINT]\n" +
	"          check a proof printed by prove, offline\n" +
	"  export --from N --to M --format jsonl|csv\n" +
	"          print entries with their inclusion proofs\n" +
	"  rotate-key\n" +
	"          make a new checkpoint signing key, endorsed by the old one (an audited\n" +
	"          key transition); old public keys stay trusted"

func (m *Main) runAudit(ctx context.Context, args []string) error {
	if len(args) == 0 || (len(args[0]) > 0 && args[0][0] == '-') {
		fs := m.newFlagSet("audit", auditSynopsis, auditDesc)
		if err := m.parseFlags(fs, args); err != nil {
			return err
		}
		return usagef("audit: say verify, checkpoint, prove, check-proof, export or rotate-key (run 'safeguard audit --help')")
	}
	sub := args[0]
	fs := m.newFlagSet("audit "+sub, auditSynopsis, auditDesc)
	f := addInstanceFlags(fs, defaultDataDir)
	var (
		checkpointFile = fs.String("checkpoint", "", "verify: an exported checkpoint the log must still contain")
		keysFile       = fs.String("keys", "", "verify, check-proof: the pinned public keys (default: "+auditPubKeysName+" in the data folder)")
		pins           fingerprints
		exportFile     = fs.String("export", "", "checkpoint: write the checkpoint to this file ('-': standard output)")
		from           = fs.Int64("from", 1, "export: the first sequence number")
		to             = fs.Int64("to", 0, "export: the last sequence number (default: the latest checkpoint's)")
		format         = fs.String("format", "jsonl", "export: jsonl or csv")
	)
	fs.Var(&pins, "trust-key", "verify, check-proof: the fingerprint (sha256:...) of the first signing key, as init printed it; later keys must be endorsed by it (repeatable)")
	if err := m.parseFlags(fs, args[1:]); err != nil {
		return err
	}
	switch sub {
	case "verify":
		if err := noArgs(fs); err != nil {
			return err
		}
		return m.auditVerify(ctx, f, *checkpointFile, *keysFile, pins)
	case "check-proof":
		if fs.NArg() != 1 {
			return usagef("audit check-proof: want one FILE")
		}
		return m.auditCheckProof(fs.Arg(0), f, *keysFile, pins)
	case "checkpoint", "prove", "export", "rotate-key":
	default:
		return usagef("audit: unknown subcommand %q", sub)
	}
	var seq int64
	switch sub {
	case "checkpoint":
		if *exportFile == "" {
			return usagef("audit checkpoint: --export FILE is required")
		}
	case "prove":
		n, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if fs.NArg() != 1 || err != nil || n < 1 {
			return usagef("audit prove: want one sequence number")
		}
		seq = n
	case "export":
		if *format != "jsonl" && *format != "csv" {
			return usagef("audit export: --format %q: want jsonl or csv", *format)
		}
	}
	if sub != "prove" {
		if err := noArgs(fs); err != nil {
			return err
		}
	}
	log := m.quietLogger()
	in, err := m.openInstance(ctx, f, openExisting, log)
	if err != nil {
		return err
	}
	defer in.Close()
	k := auditKeys{dir: in.dataDir}
	s, err := k.signer(ctx, in.db, log)
	if err != nil {
		return err
	}
	actor := store.Actor{Name: "cli:" + m.cliUser()}
	if sub == "rotate-key" {
		ns, err := k.rotate(ctx, in.db, actor, s)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "New audit signing key %s, endorsed by %s; older public keys stay in %s.\n  fingerprint: %s\n",
			ns.ID(), s.ID(), k.pubPath(), ns.Fingerprint())
		return nil
	}
	cp, _, err := in.db.CheckpointAudit(ctx, s)
	if err != nil {
		return err
	}
	switch sub {
	case "checkpoint":
		text, _ := cp.MarshalText()
		if *exportFile == "-" {
			_, err = m.Stdout.Write(text)
			return err
		}
		if err := writeFileAtomic(*exportFile, text, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Checkpoint of %d entries written to %s (root %s, key %s).\n", cp.TreeSize, *exportFile, cp.Root, cp.KeyID)
		return nil
	case "prove":
		p, err := in.db.ProveAudit(ctx, seq)
		if err != nil {
			return err
		}
		if err := in.db.AppendAudit(ctx, actor, audit.Entry{OrgID: p.Record.OrgID, Action: "audit.prove", Object: fmt.Sprintf("audit:%d", seq)}); err != nil {
			return err
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(proofJSON(p))
	}
	// export
	last := *to
	if last == 0 || last > cp.TreeSize {
		last = cp.TreeSize
	}
	if err := in.db.AppendAudit(ctx, actor, audit.Entry{Action: "audit.export", Object: "audit",
		Summary: fmt.Sprintf("exported entries %d to %d as %s", *from, last, *format)}); err != nil {
		return err
	}
	var w *csv.Writer
	enc := json.NewEncoder(m.Stdout)
	if *format == "csv" {
		w = csv.NewWriter(m.Stdout)
		w.Write([]string{"seq", "at", "org_id", "actor", "action", "object", "source", "request_id", "summary",
			"version", "prev_hash", "leaf_hash", "tree_size", "root_hash", "proof"})
	}
	err = in.db.AuditProofs(ctx, cp, *from, last, func(p store.AuditProof) error {
		j := proofJSON(p)
		if w == nil {
			return enc.Encode(j)
		}
		proof := ""
		for i, h := range j.Proof {
			if i > 0 {
				proof += " "
			}
			proof += h
		}
		return w.Write([]string{strconv.FormatInt(j.Seq, 10), j.At.Format(time.RFC3339Nano), strconv.FormatInt(j.OrgID, 10),
			j.Actor, j.Action, j.Object, j.Source, j.RequestID, j.Summary, strconv.Itoa(j.Version), j.PrevHash, j.LeafHash,
			strconv.FormatInt(j.TreeSize, 10), j.Root, proof})
	})
	if w != nil {
		w.Flush()
		if err == nil {
			err = w.Error()
		}
	}
	return err
}

func (m *Main) cliUser() string {
	if u, ok := m.LookupEnv("USER"); ok && u != "" {
		return u
	}
	return "unknown"
}

// auditProof is an entry with its inclusion proof, as prove and export print
// it: enough to check offline that the entry is in the signed tree.
type auditProof struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	OrgID      int64     `json:"org_id"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Object     string    `json:"object"`
	Source     string    `json:"source"`
	RequestID  string    `json:"request_id"`
	Summary    string    `json:"summary"`
	Version    int       `json:"version"`
	PrevHash   string    `json:"prev_hash"`
	LeafHash   string    `json:"leaf_hash"`
	Encoding   string    `json:"encoding"` // base64 of the canonical encoding
	TreeSize   int64     `json:"tree_size"`
	Root       string    `json:"root_hash"`
	Proof      []string  `json:"proof"`
	Checkpoint string    `json:"checkpoint"` // the signed checkpoint's text
}

func proofJSON(p store.AuditProof) auditProof {
	r := p.Record
	enc, _ := audit.Encode(r.Version, r.Entry, r.PrevHash)
	text, _ := p.Checkpoint.MarshalText()
	j := auditProof{Seq: r.Seq, At: r.At, OrgID: r.OrgID, Actor: r.Actor, Action: r.Action, Object: r.Object,
		Source: r.Source, RequestID: r.RequestID, Summary: r.Summary, Version: r.Version,
		PrevHash: r.PrevHash.String(), LeafHash: r.Hash.String(), Encoding: base64.StdEncoding.EncodeToString(enc),
		TreeSize: p.Checkpoint.TreeSize, Root: p.Checkpoint.Root.String(), Checkpoint: string(text), Proof: []string{}}
	for _, h := range p.Proof {
		j.Proof = append(j.Proof, h.String())
	}
	return j
}

// auditCheckProof checks a proof file offline: the encoding hashes to the
// leaf, the fields match the encoding, the proof leads to the root, and the
// checkpoint carrying the root is signed by a trusted key.
func (m *Main) auditCheckProof(file string, f *instanceFlags, keysFile string, pins []string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var j auditProof
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fail := func(why string) error {
		fmt.Fprintf(m.Stdout, "proof of entry %d does not hold: %s\n", j.Seq, why)
		return errCheckFailed
	}
	keys, _, err := m.trustedKeys(f, keysFile, pins)
	if audit.IsTrustError(err) {
		return fail(err.Error())
	}
	if err != nil {
		return err
	}
	var cp audit.Checkpoint
	if err := cp.UnmarshalText([]byte(j.Checkpoint)); err != nil {
		return fail(err.Error())
	}
	if err := keys.Check(&cp); err != nil {
		return fail(err.Error())
	}
	enc, err := base64.StdEncoding.DecodeString(j.Encoding)
	if err != nil {
		return fail("malformed encoding")
	}
	_, e, prev, err := audit.Decode(enc)
	if err != nil {
		return fail(err.Error())
	}
	same := e.At.Equal(j.At) && e.OrgID == j.OrgID && e.Actor == j.Actor && e.Action == j.Action && e.Object == j.Object &&
		e.Source == j.Source && e.RequestID == j.RequestID && e.Summary == j.Summary && prev.String() == j.PrevHash
	if !same {
		return fail("the fields differ from the encoding")
	}
	leaf := audit.LeafHash(enc)
	proof := make(tlog.RecordProof, len(j.Proof))
	for i, s := range j.Proof {
		h, err := audit.ParseHash(s)
		if err != nil {
			return fail(err.Error())
		}
		proof[i] = tlog.Hash(h)
	}
	if err := tlog.CheckRecord(proof, cp.TreeSize, tlog.Hash(cp.Root), j.Seq-1, tlog.Hash(leaf)); err != nil {
		return fail("the inclusion proof does not lead to the checkpoint's root")
	}
	fmt.Fprintf(m.Stdout, "entry %d is in the audit log of %d entries signed by %s at %s\n", j.Seq, cp.TreeSize, cp.KeyID, cp.At.Format(time.RFC3339))
	return nil
}

// trustedKeys picks the keys checkpoints are checked against: those of
// --keys, else of the data folder's public keys file, that Trust accepts.
// It never falls back to the keys recorded in the database: whoever can
// write the database can add to them.
func (m *Main) trustedKeys(f *instanceFlags, keysFile string, pins []string) (audit.Keys, string, error) {
	k := auditKeys{}
	if keysFile == "" {
		dir, err := filepath.Abs(f.data)
		if err != nil {
			return nil, "", err
		}
		k.dir = dir
		keysFile = k.pubPath()
	}
	b, err := os.ReadFile(keysFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, keysFile, noPinnedKeys(keysFile)
	}
	if err != nil {
		return nil, keysFile, fmt.Errorf("audit public keys: %w", err)
	}
	kf, err := audit.ParseKeyFile(b)
	if err != nil {
		return nil, keysFile, fmt.Errorf("%s: %w", keysFile, err)
	}
	keys, err := kf.Trust(pins)
	if err != nil {
		return nil, keysFile, err
	}
	source := keysFile
	if len(pins) > 0 {
		source += " (first key pinned by --trust-key)"
	} else {
		source += " (first key not pinned: pass --trust-key FINGERPRINT to hold it to the one you recorded)"
	}
	return keys, source, nil
}

// fingerprints is a flag taking audit key fingerprints, repeated or
// separated by commas.
type fingerprints []string

func (p *fingerprints) String() string { return strings.Join(*p, ",") }

func (p *fingerprints) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if strings.TrimSpace(v) == "" {
			continue
		}
		fp, err := audit.ParseFingerprint(v)
		if err != nil {
			return err
		}
		*p = append(*p, fp)
	}
	return nil
}

func (m *Main) auditVerify(ctx context.Context, f *instanceFlags, checkpointFile, keysFile string, pins []string) error {
	dsn := f.db
	if dsn == "" {
		dir, err := filepath.Abs(f.data)
		if err != nil {
			return err
		}
		dsn = filepath.Join(dir, dbFileName)
		if _, err := os.Stat(dsn); err != nil {
			return fmt.Errorf("data folder %s holds no database (%v)", dir, errors.Unwrap(err))
		}
	}
	var external []audit.Checkpoint
	if checkpointFile != "" {
		b, err := os.ReadFile(checkpointFile)
		if err != nil {
			return err
		}
		var c audit.Checkpoint
		if err := c.UnmarshalText(b); err != nil {
			fmt.Fprintf(m.Stdout, "first bad sequence 0: %s (%s: %v)\n", audit.AlteredCheckpoint, checkpointFile, err)
			return errCheckFailed
		}
		external = append(external, c)
	}
	db, err := store.Open(ctx, dsn, store.Options{SkipMigrations: true})
	if err != nil {
		return err
	}
	defer db.Close()
	keys, keySource, err := m.trustedKeys(f, keysFile, pins)
	if audit.IsTrustError(err) {
		fmt.Fprintf(m.Stdout, "database: %s\ntrusted keys: none\n", db.Location())
		fmt.Fprintln(m.Stdout, err.Error())
		// For information only: these prove nothing, since whoever can
		// write the database can add to them.
		if dbKeys, derr := db.AuditKeys(ctx); derr == nil && len(dbKeys) > 0 {
			fmt.Fprintln(m.Stdout, "keys recorded in the database (not trusted, for comparison only):")
			for _, id := range slices.Sorted(maps.Keys(dbKeys)) {
				fmt.Fprintf(m.Stdout, "  %s %s\n", id, audit.Fingerprint(dbKeys[id]))
			}
		}
		return errCheckFailed
	}
	if err != nil {
		return err
	}
	cps, err := db.AuditCheckpoints(ctx)
	if err != nil {
		return err
	}
	total, err := db.AuditSize(ctx)
	if err != nil {
		return err
	}
	opts := audit.VerifyOptions{Keys: keys, Checkpoints: cps, External: external}
	if isTerminal(m.Stderr) {
		start := time.Now()
		opts.Progress = func(done int64) {
			pct := 100.0
			if total > 0 {
				pct = 100 * float64(done) / float64(total)
			}
			bar := strings.Repeat("#", min(int(pct/5), 20))
			fmt.Fprintf(m.Stderr, "\rverifying [%-20s] %5.1f%% %d/%d entries, %s", bar, pct, done, total, time.Since(start).Round(time.Second))
		}
		defer fmt.Fprintln(m.Stderr)
	}
	rep, err := audit.Verify(db.AuditRecords(ctx, 1, 0), opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "database: %s\ntrusted keys: %s\n", db.Location(), keySource)
	if rep.Latest != nil {
		fmt.Fprintf(m.Stdout, "latest checkpoint: %d entries, root %s, %s, key %s\n", rep.Latest.TreeSize, rep.Latest.Root, rep.Latest.At.Format(time.RFC3339), rep.Latest.KeyID)
	} else {
		fmt.Fprintln(m.Stdout, "latest checkpoint: none")
	}
	if rep.Problem == nil {
		rep.Problem = db.CheckStoredTree(ctx, rep.Latest)
	}
	if rep.Problem != nil {
		fmt.Fprintln(m.Stdout, rep.Problem.Error())
		return errCheckFailed
	}
	fmt.Fprintf(m.Stdout, "audit log intact: %d entries, root %s, %d checkpoints checked\n", rep.Entries, hex.EncodeToString(rep.Root[:]), rep.Checkpoints)
	return nil
}
