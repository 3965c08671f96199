package crypt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrKeyMissing is returned (wrapped, together with [fs.ErrNotExist]) by
// [LoadKeyFile] when the key file does not exist.
var ErrKeyMissing = errors.New("crypt: key file not found")

const (
	// keyFileHeader is the first line of a key file: the format's name and
	// version.
	keyFileHeader = "safeguard-keyring v1"

	// maxKeyFileSize bounds what LoadKeyFile reads, so that a path pointing
	// at something other than a key file fails quickly. A key file with a
	// hundred keys is under 10 KiB.
	maxKeyFileSize = 1 << 20
)

// ParseKeyring parses a key file, the format written by
// [Keyring.MarshalKeyFile]:
//
//	safeguard-keyring v1
//	# comment lines and blank lines are ignored
//	kek 3f9c1a7e5b2d8c40 <base64 of 32 bytes> primary
//	kek 0a1b2c3d4e5f6071 <base64 of 32 bytes>
//
// The first line names the format and version. Each following "kek" line
// holds a KEK ID (16 lowercase hex digits), the key (standard padded base64
// of exactly 32 bytes) and, on exactly one line, the word "primary". The ID
// must be the one derived from the key, so a mistyped key or ID is caught
// here. Keys are kept in file order. Fields are separated by spaces or tabs;
// Windows line endings are accepted.
//
// Anything else is rejected with an error naming the line and the problem.
// Errors never quote a key.
func ParseKeyring(text []byte) (*Keyring, error) {
	lines := strings.Split(string(text), "\n")
	if f := strings.Fields(lines[0]); len(f) != 2 || f[0]+" "+f[1] != keyFileHeader {
		if len(f) > 0 && f[0] == "safeguard-keyring" {
			return nil, fmt.Errorf("keyring line 1: unsupported format version; want %q", keyFileHeader)
		}
		return nil, fmt.Errorf("keyring line 1: missing header %q", keyFileHeader)
	}
	k := new(Keyring)
	lineOf := make(map[string]int) // KEK ID -> line number, for duplicates
	primaryLine := 0
	for i, line := range lines[1:] {
		n := i + 2
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if f[0] != "kek" {
			return nil, fmt.Errorf("keyring line %d: unknown record; want %q", n, "kek <id> <base64 key> [primary]")
		}
		if len(f) < 3 {
			return nil, fmt.Errorf("keyring line %d: kek record needs an ID and a key; want %q", n, "kek <id> <base64 key> [primary]")
		}
		if len(f) > 4 {
			return nil, fmt.Errorf("keyring line %d: kek record has %d fields, want at most 4", n, len(f))
		}
		id := f[1]
		if !isKEKID(id) {
			// The field is not quoted: on a mangled line it may be a key.
			return nil, fmt.Errorf("keyring line %d: kek ID must be %d lowercase hex digits", n, 2*idSize)
		}
		if first, ok := lineOf[id]; ok {
			return nil, fmt.Errorf("keyring line %d: duplicate kek ID %s (also on line %d)", n, id, first)
		}
		key, err := base64.StdEncoding.Strict().DecodeString(f[2])
		if err != nil {
			return nil, fmt.Errorf("keyring line %d: kek %s: key is not valid padded standard base64: %w", n, id, err)
		}
		if len(key) != keySize {
			return nil, fmt.Errorf("keyring line %d: kek %s: key is %d bytes, want %d", n, id, len(key), keySize)
		}
		primary := false
		if len(f) == 4 {
			if f[3] != "primary" {
				return nil, fmt.Errorf("keyring line %d: kek %s: unknown fourth field; want %q or nothing", n, id, "primary")
			}
			if primaryLine != 0 {
				return nil, fmt.Errorf("keyring line %d: kek %s: second primary key (line %d is already primary)", n, id, primaryLine)
			}
			primary = true
			primaryLine = n
		}
		c, err := newKEK(key)
		if err != nil {
			return nil, fmt.Errorf("keyring line %d: kek %s: %w", n, id, err)
		}
		if c.id != id {
			return nil, fmt.Errorf("keyring line %d: kek ID %s does not match its key (the ID or the key was altered)", n, id)
		}
		lineOf[id] = n
		k.keks = append(k.keks, c)
		if primary {
			k.primary = c
		}
	}
	if len(k.keks) == 0 {
		return nil, errors.New("keyring: no kek lines")
	}
	if k.primary == nil {
		return nil, errors.New("keyring: no kek line is marked primary")
	}
	return k, nil
}

// isKEKID reports whether s has the form of a KEK ID.
func isKEKID(s string) bool {
	if len(s) != 2*idSize {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// MarshalKeyFile returns the keyring in the key file format read by
// [ParseKeyring], keys in keyring order. It fails only for a keyring without
// keys.
//
// The method is deliberately not called MarshalText: log/slog and
// encoding/json use encoding.TextMarshaler, and would then write the keys
// into logs.
func (k *Keyring) MarshalKeyFile() ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.primary == nil {
		return nil, errors.New("marshal keyring: no keys")
	}
	var b bytes.Buffer
	b.WriteString(keyFileHeader + "\n")
	b.WriteString("# Safeguard key-encryption keys (45 CFR 164.312(a)(2)(iv)).\n")
	b.WriteString("# Keep this file secret (chmod 600) and back it up apart from the database:\n")
	b.WriteString("# without it, the secrets Safeguard encrypted cannot be recovered.\n")
	for _, c := range k.keks {
		b.WriteString("kek " + c.id + " " + base64.StdEncoding.EncodeToString(c.key))
		if c == k.primary {
			b.WriteString(" primary")
		}
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

// LoadKeyFile reads and parses the key file at path (see [ParseKeyring]).
//
// A missing file gives an error wrapping both [ErrKeyMissing] and
// [fs.ErrNotExist]. A key file that its group or other users may access
// (mode & 0o077 != 0) is refused with an error saying to run chmod 600: a key
// readable by others protects nothing. The mode is not checked on Windows,
// which has no such permission bits.
func LoadKeyFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("load key file: %w: %w", ErrKeyMissing, err)
		}
		return nil, fmt.Errorf("load key file: %w", err)
	}
	k, err := readKeyFile(f, path)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("load key file: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// readKeyFile checks and parses the open key file f, found at path.
func readKeyFile(f *os.File, path string) (*Keyring, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("load key file %s: not a regular file (mode %v)", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("load key file %s: mode %#o gives its group or other users access; restrict it with: chmod 600 %s", path, uint32(perm), path)
	}
	text, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	if len(text) > maxKeyFileSize {
		return nil, fmt.Errorf("load key file %s: larger than %d bytes; not a key file", path, maxKeyFileSize)
	}
	k, err := ParseKeyring(text)
	if err != nil {
		return nil, fmt.Errorf("load key file %s: %w", path, err)
	}
	return k, nil
}

// CreateKeyFile creates a key file at path holding a new keyring with one
// random KEK (see [NewKeyring]), and returns the keyring. The file is created
// with mode 0600, and both the file and its directory are synced before
// CreateKeyFile returns, so the key is on disk before anything is encrypted
// with it. If path already exists, CreateKeyFile refuses to overwrite it and
// returns an error wrapping [fs.ErrExist]; on any other failure it removes
// what it created.
func CreateKeyFile(path string) (*Keyring, error) {
	k, err := NewKeyring()
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	text, err := k.MarshalKeyFile()
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create key file: refusing to overwrite %s: %w", path, err)
		}
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if err := writeSyncClose(f, text); err != nil {
		return nil, fmt.Errorf("create key file: %w", errors.Join(err, os.Remove(path)))
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("create key file: %w", errors.Join(err, os.Remove(path)))
	}
	return k, nil
}

// Save writes the keyring to the key file at path, replacing any file there
// atomically: it writes a temporary file with mode 0600 in the same
// directory, syncs it, renames it over path and syncs the directory. A crash
// leaves either the old file or the new one, never a mix. If path is a
// symbolic link, the link itself is replaced. Call Save after
// [Keyring.Rotate] and before wrapping data keys under the new KEK, and after
// [Keyring.Retire].
func (k *Keyring) Save(path string) error {
	text, err := k.MarshalKeyFile()
	if err != nil {
		return fmt.Errorf("save key file: %w", err)
	}
	dir := filepath.Dir(path)
	// os.CreateTemp creates the file with mode 0600.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save key file: %w", err)
	}
	tmp := f.Name()
	if err := writeSyncClose(f, text); err != nil {
		return fmt.Errorf("save key file: %w", errors.Join(err, os.Remove(tmp)))
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save key file: %w", errors.Join(err, os.Remove(tmp)))
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("save key file: %w", err)
	}
	return nil
}

// writeSyncClose writes data to f, syncs it to disk and closes it. f is
// closed whatever happens.
func writeSyncClose(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// syncDir syncs the directory dir, so that a file just created or renamed in
// it survives a crash. Windows cannot sync a directory, and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		return errors.Join(err, d.Close())
	}
	return d.Close()
}
