package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/safeguard-health/safeguard/internal/crypt"
	"github.com/safeguard-health/safeguard/internal/store"
)

// Names inside a data folder.
const (
	dbFileName      = "safeguard.db"
	keyFileName     = "master.key"
	demoMarkerName  = "SAFEGUARD-DEMO"
	defaultDataDir  = "./safeguard-data"
	envMasterKey    = "SAFEGUARD_MASTER_KEY"
	settingKeyCheck = "crypt.key_check"
)

// instanceFlags are the flags every command that opens a deployment takes.
type instanceFlags struct {
	data    string
	db      string
	keyFile string
}

func addInstanceFlags(fs *flag.FlagSet, defaultData string) *instanceFlags {
	f := &instanceFlags{}
	fs.StringVar(&f.data, "data", defaultData, "data folder: the SQLite database, the key file and TLS certificates")
	fs.StringVar(&f.db, "db", "", "database URL (postgres://...); default: the SQLite file in the data folder")
	fs.StringVar(&f.keyFile, "key-file", "", "key-encryption key file (default: master.key in the data folder); "+envMasterKey+" gives the key itself instead")
	return f
}

// instance is an opened deployment: its data folder, database and keys.
type instance struct {
	dataDir   string
	db        *store.DB
	keys      *crypt.Keyring
	keySource string // "key file PATH" or the environment variable's name
	keyPath   string // the key file, when the key came from one
	demo      bool
}

func (in *instance) Close() error { return in.db.Close() }

// openMode says whether opening may create what is missing.
type openMode int

const (
	openExisting openMode = iota // the data folder must exist
	openOrCreate                 // first start: create the folder, database and key
)

// openInstance opens the data folder, the database (applying migrations) and
// the key-encryption key, checking that the key is the one this database's
// encrypted data was written under. A folder it created is removed again if
// anything fails, so a failed first start leaves nothing half-made.
func (m *Main) openInstance(ctx context.Context, f *instanceFlags, mode openMode, log *slog.Logger) (_ *instance, err error) {
	dir, err := filepath.Abs(f.data)
	if err != nil {
		return nil, fmt.Errorf("data folder %s: %w", f.data, err)
	}
	created, err := prepareDataDir(dir, mode)
	if err != nil {
		return nil, err
	}
	if created {
		defer func() {
			if err != nil {
				os.RemoveAll(dir)
			}
		}()
	}
	dsn := f.db
	if dsn == "" {
		dsn = filepath.Join(dir, dbFileName)
		if mode == openExisting {
			if _, err := os.Stat(dsn); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("data folder %s holds no database: run 'safeguard init --data %s' first", dir, f.data)
			}
		}
	}
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return nil, err
	}
	in := &instance{dataDir: dir, db: db}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, demoMarkerName)); err == nil {
		in.demo = true
	}
	if err := m.loadKeys(ctx, in, f, log); err != nil {
		return nil, err
	}
	return in, nil
}

// prepareDataDir checks that dir is a usable folder, creating it (mode 0700)
// when allowed. It reports whether it created it.
func prepareDataDir(dir string, mode openMode) (bool, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if mode == openExisting {
			return false, fmt.Errorf("data folder %s does not exist: run 'safeguard init' to create one, or pass --data", dir)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("create data folder %s: %w", dir, errors.Unwrap(err))
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("data folder %s: %w", dir, errors.Unwrap(err))
	case !st.IsDir():
		return false, fmt.Errorf("data folder %s is a file, not a folder", dir)
	}
	if _, err := os.ReadDir(dir); err != nil {
		return false, fmt.Errorf("data folder %s is not readable: %w", dir, errors.Unwrap(err))
	}
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return false, fmt.Errorf("data folder %s is not writable: %w", dir, errors.Unwrap(err))
	}
	probe.Close()
	if err := os.Remove(probe.Name()); err != nil {
		return false, fmt.Errorf("data folder %s: %w", dir, err)
	}
	return false, nil
}

// loadKeys finds the key-encryption key: SAFEGUARD_MASTER_KEY, else the key
// file. A missing key file is created only for a database that holds nothing
// encrypted yet; otherwise starting fails, because a new key could not read
// the old data.
func (m *Main) loadKeys(ctx context.Context, in *instance, f *instanceFlags, log *slog.Logger) error {
	check, err := in.db.Setting(ctx, settingKeyCheck)
	hasCheck := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if v, ok := m.LookupEnv(envMasterKey); ok {
		ring, err := crypt.ParseMasterKey(v)
		if err != nil {
			return fmt.Errorf("%s: %w", envMasterKey, err)
		}
		in.keys, in.keySource = ring, envMasterKey
	} else {
		path := f.keyFile
		if path == "" {
			path = filepath.Join(in.dataDir, keyFileName)
		}
		in.keyPath, in.keySource = path, "key file "+path
		ring, err := crypt.LoadKeyFile(path)
		switch {
		case errors.Is(err, crypt.ErrKeyMissing) && !hasCheck:
			ring, err = crypt.CreateKeyFile(path)
			if err != nil {
				return fmt.Errorf("create key file: %w", err)
			}
			log.Info("created a new key-encryption key", slog.String("file", path), slog.String("kek_id", ring.PrimaryID()))
		case errors.Is(err, crypt.ErrKeyMissing):
			return fmt.Errorf("the key file %s is missing, but this database holds data encrypted under it: "+
				"restore the key file from your backup, or point --key-file or %s at the key (a new key cannot read the old data)", path, envMasterKey)
		case err != nil:
			return err
		}
		in.keys = ring
	}
	if hasCheck {
		if err := verifyKeyCheck(ctx, in.db, in.keys, check); err != nil {
			return fmt.Errorf("the key from %s does not open this database's encrypted data (%v): use the key this data folder was created with", in.keySource, err)
		}
		return nil
	}
	return writeKeyCheck(ctx, in.db, in.keys)
}

// keyCheckText is sealed under a data key at first start; opening it proves
// on every later start that the key-encryption key is the right one.
const keyCheckText = "safeguard key check v1"

func writeKeyCheck(ctx context.Context, db *store.DB, ring *crypt.Keyring) error {
	dk, kekID, wrapped, err := ring.NewDataKey()
	if err != nil {
		return err
	}
	actor := store.Actor{Name: "system"}
	id, err := db.CreateDataKey(ctx, actor, store.WrappedKey{KEKID: kekID, Wrapped: wrapped, Purpose: "key check"})
	if err != nil {
		return err
	}
	sealed, err := dk.Seal([]byte(keyCheckText), []byte(settingKeyCheck))
	if err != nil {
		return err
	}
	return db.SetSetting(ctx, actor, settingKeyCheck, strconv.FormatInt(id, 10)+":"+base64.StdEncoding.EncodeToString(sealed))
}

func verifyKeyCheck(ctx context.Context, db *store.DB, ring *crypt.Keyring, check string) error {
	idText, sealedText, ok := strings.Cut(check, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		return errors.New("the stored key check is malformed")
	}
	sealed, err := base64.StdEncoding.DecodeString(sealedText)
	if err != nil {
		return errors.New("the stored key check is malformed")
	}
	wk, err := db.DataKey(ctx, id)
	if err != nil {
		return err
	}
	dk, err := ring.Unwrap(wk.KEKID, wk.Wrapped)
	if err != nil {
		return err
	}
	plain, err := dk.Open(sealed, []byte(settingKeyCheck))
	if err != nil {
		return err
	}
	if string(plain) != keyCheckText {
		return errors.New("the key check does not match")
	}
	return nil
}

// newLogger builds the process logger: text for a person at a terminal, JSON
// for a log collector.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "auto":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format %q: want auto, text or json", format)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
