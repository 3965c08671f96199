package crypt_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/safeguard-health/safeguard/internal/crypt"
)

// fileMode returns the permission bits of the file at path.
func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys")
	k := newKeyring(t)
	_, oldID, wrapped, err := k.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey() error = %v", err)
	}
	if _, err := k.Rotate(); err != nil {
		t.Fatalf("Rotate() error = %v", err)
	}
	if err := k.Save(path); err != nil {
		t.Fatalf("Save(%q) error = %v", path, err)
	}
	if runtime.GOOS != "windows" {
		if got := fileMode(t, path); got != 0o600 {
			t.Errorf("mode of saved key file = %#o, want 0600", got)
		}
	}

	got, err := crypt.LoadKeyFile(path)
	if err != nil {
		t.Fatalf("LoadKeyFile(%q) error = %v", path, err)
	}
	if !slices.Equal(got.IDs(), k.IDs()) || got.PrimaryID() != k.PrimaryID() {
		t.Errorf("LoadKeyFile(Save(k)) = %v %q, want %v %q", got, got.IDs(), k, k.IDs())
	}
	if _, err := got.Unwrap(oldID, wrapped); err != nil {
		t.Errorf("LoadKeyFile(...).Unwrap(%q, wrapped) error = %v", oldID, err)
	}

	// Save replaces the file, and leaves no temporary file behind.
	if err := got.Retire(oldID); err != nil {
		t.Fatalf("Retire(%q) error = %v", oldID, err)
	}
	if err := got.Save(path); err != nil {
		t.Fatalf("second Save(%q) error = %v", path, err)
	}
	again, err := crypt.LoadKeyFile(path)
	if err != nil {
		t.Fatalf("LoadKeyFile(%q) error = %v", path, err)
	}
	if want := []string{k.PrimaryID()}; !slices.Equal(again.IDs(), want) {
		t.Errorf("LoadKeyFile(...).IDs() after Retire and Save = %q, want %q", again.IDs(), want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "keys" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory after Save holds %q, want only \"keys\"", names)
	}
}

func TestSaveIntoMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "keys")
	if err := newKeyring(t).Save(path); err == nil {
		t.Errorf("Save(%q) = nil, want an error", path)
	}
}

func TestLoadKeyFileInsecureMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no group and other permission bits")
	}
	path := filepath.Join(t.TempDir(), "keys")
	if err := newKeyring(t).Save(path); err != nil {
		t.Fatalf("Save(%q) error = %v", path, err)
	}
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o620, 0o601, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		k, err := crypt.LoadKeyFile(path)
		if err == nil {
			t.Errorf("LoadKeyFile(mode %#o) = %v, nil, want an error", mode, k)
			continue
		}
		if !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("LoadKeyFile(mode %#o) error = %q, want it to say chmod 600", mode, err)
		}
	}
	for _, mode := range []fs.FileMode{0o600, 0o400} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := crypt.LoadKeyFile(path); err != nil {
			t.Errorf("LoadKeyFile(mode %#o) error = %v, want nil", mode, err)
		}
	}
}

func TestLoadKeyFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	k, err := crypt.LoadKeyFile(path)
	if !errors.Is(err, crypt.ErrKeyMissing) {
		t.Errorf("LoadKeyFile(missing) = %v, %v, want %v", k, err, crypt.ErrKeyMissing)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKeyFile(missing) error = %v, want one matching %v", err, fs.ErrNotExist)
	}
}

func TestLoadKeyFileNotAKeyFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := crypt.LoadKeyFile(dir); err == nil || errors.Is(err, crypt.ErrKeyMissing) {
		t.Errorf("LoadKeyFile(a directory) error = %v, want a not-a-regular-file error", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), 200_000), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := crypt.LoadKeyFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadKeyFile(2 MB file) error = %v, want a too-large error", err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("safeguard-keyring v1\nkek nonsense\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := crypt.LoadKeyFile(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("LoadKeyFile(malformed) error = %v, want one naming the file and line 2", err)
	}
}

func TestCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	k, err := crypt.CreateKeyFile(path)
	if err != nil {
		t.Fatalf("CreateKeyFile(%q) error = %v", path, err)
	}
	if runtime.GOOS != "windows" {
		if got := fileMode(t, path); got != 0o600 {
			t.Errorf("mode of created key file = %#o, want 0600", got)
		}
	}
	loaded, err := crypt.LoadKeyFile(path)
	if err != nil {
		t.Fatalf("LoadKeyFile(%q) error = %v", path, err)
	}
	if got, want := loaded.IDs(), k.IDs(); !slices.Equal(got, want) || len(got) != 1 {
		t.Errorf("LoadKeyFile(CreateKeyFile()).IDs() = %q, want %q", got, want)
	}

	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := crypt.CreateKeyFile(path)
	if err == nil {
		t.Fatalf("CreateKeyFile(existing) = %v, nil, want an error", k2)
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateKeyFile(existing) error = %v, want one matching %v", err, fs.ErrExist)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("CreateKeyFile(existing) changed the file")
	}
}

func TestCreateKeyFileInMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "keys")
	if k, err := crypt.CreateKeyFile(path); err == nil {
		t.Errorf("CreateKeyFile(%q) = %v, nil, want an error", path, k)
	}
}

func TestMarshalKeyFileFormat(t *testing.T) {
	k := newKeyring(t)
	first := k.PrimaryID()
	second, err := k.Rotate()
	if err != nil {
		t.Fatalf("Rotate() error = %v", err)
	}
	text, err := k.MarshalKeyFile()
	if err != nil {
		t.Fatalf("MarshalKeyFile() error = %v", err)
	}
	var records []string
	for i, line := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
		switch {
		case i == 0:
			if line != "safeguard-keyring v1" {
				t.Errorf("MarshalKeyFile() line 1 = %q, want %q", line, "safeguard-keyring v1")
			}
		case strings.HasPrefix(line, "#"):
		default:
			records = append(records, line)
		}
	}
	if len(records) != 2 {
		t.Fatalf("MarshalKeyFile() records = %q, want 2", records)
	}
	if f := strings.Fields(records[0]); len(f) != 3 || f[0] != "kek" || f[1] != first {
		t.Errorf("MarshalKeyFile() first record = %q, want \"kek %s <key>\"", records[0], first)
	}
	if f := strings.Fields(records[1]); len(f) != 4 || f[0] != "kek" || f[1] != second || f[3] != "primary" {
		t.Errorf("MarshalKeyFile() second record = %q, want \"kek %s <key> primary\"", records[1], second)
	}

	again, err := crypt.ParseKeyring(text)
	if err != nil {
		t.Fatalf("ParseKeyring(MarshalKeyFile()) error = %v", err)
	}
	text2, err := again.MarshalKeyFile()
	if err != nil {
		t.Fatalf("MarshalKeyFile() error = %v", err)
	}
	if !bytes.Equal(text, text2) {
		t.Errorf("MarshalKeyFile(ParseKeyring(text)) = %q, want %q", text2, text)
	}
}

// keyLine returns a valid key file line for a new random KEK, its ID and
// its key in base64.
func keyLine(t *testing.T, primary bool) (line, id, key string) {
	t.Helper()
	text, err := newKeyring(t).MarshalKeyFile()
	if err != nil {
		t.Fatalf("MarshalKeyFile() error = %v", err)
	}
	for l := range strings.Lines(string(text)) {
		if f := strings.Fields(l); len(f) == 4 && f[0] == "kek" {
			id, key = f[1], f[2]
		}
	}
	if id == "" {
		t.Fatalf("MarshalKeyFile() = %q has no kek line", text)
	}
	line = "kek " + id + " " + key
	if primary {
		line += " primary"
	}
	return line, id, key
}

func TestParseKeyringAccepts(t *testing.T) {
	p, pid, _ := keyLine(t, true)
	o, oid, _ := keyLine(t, false)
	tests := map[string]struct {
		text        string
		ids         []string
		wantPrimary string
	}{
		"minimal":       {"safeguard-keyring v1\n" + p + "\n", []string{pid}, pid},
		"no final eol":  {"safeguard-keyring v1\n" + p, []string{pid}, pid},
		"crlf":          {"safeguard-keyring v1\r\n" + o + "\r\n" + p + "\r\n", []string{oid, pid}, pid},
		"comments":      {"safeguard-keyring v1\n# keys\n\n  # indented\n" + p + "\n\n" + o + "\n# end\n", []string{pid, oid}, pid},
		"tabs, spaces":  {"safeguard-keyring\tv1\n\t" + strings.ReplaceAll(p, " ", " \t ") + "  \n", []string{pid}, pid},
		"primary first": {"safeguard-keyring v1\n" + p + "\n" + o + "\n", []string{pid, oid}, pid},
	}
	for name, tt := range tests {
		k, err := crypt.ParseKeyring([]byte(tt.text))
		if err != nil {
			t.Errorf("ParseKeyring(%s) error = %v", name, err)
			continue
		}
		if got := k.IDs(); !slices.Equal(got, tt.ids) {
			t.Errorf("ParseKeyring(%s).IDs() = %q, want %q", name, got, tt.ids)
		}
		if got := k.PrimaryID(); got != tt.wantPrimary {
			t.Errorf("ParseKeyring(%s).PrimaryID() = %q, want %q", name, got, tt.wantPrimary)
		}
	}
}

func TestParseKeyringRejects(t *testing.T) {
	p, pid, pkey := keyLine(t, true)
	p2, _, _ := keyLine(t, true)
	o, oid, okey := keyLine(t, false)
	key31 := base64.StdEncoding.EncodeToString(make([]byte, 31))
	key33 := base64.StdEncoding.EncodeToString(make([]byte, 33))
	const h = "safeguard-keyring v1\n"
	tests := []struct {
		name, text string
		wantErr    []string // substrings of the error
	}{
		{"empty", "", []string{"line 1", "missing header"}},
		{"no header", p + "\n", []string{"line 1", "missing header"}},
		{"comment before header", "# keys\n" + h + p + "\n", []string{"line 1", "missing header"}},
		{"wrong format name", "safeguard-keys v1\n" + p + "\n", []string{"line 1", "missing header"}},
		{"version 2", "safeguard-keyring v2\n" + p + "\n", []string{"line 1", "version"}},
		{"header extra field", "safeguard-keyring v1 x\n" + p + "\n", []string{"line 1", "version"}},
		{"header only", h, []string{"no kek lines"}},
		{"comments only", h + "# nothing\n\n", []string{"no kek lines"}},
		{"no primary", h + o + "\n", []string{"no kek line is marked primary"}},
		{"two primaries", h + p + "\n" + p2 + "\n", []string{"line 3", "second primary", "line 2"}},
		{"duplicate id", h + p + "\n" + o + "\n" + o + "\n", []string{"line 4", "duplicate", oid, "line 3"}},
		{"duplicate id, primary twice", h + p + "\n" + p + "\n", []string{"line 3", "duplicate", pid}},
		{"unknown record", h + p + "\nkey " + oid + " " + okey + "\n", []string{"line 3", "unknown record"}},
		{"upper-case record", h + "KEK " + pid + " " + pkey + " primary\n", []string{"line 2", "unknown record"}},
		{"missing key", h + p + "\nkek " + oid + "\n", []string{"line 3", "needs an ID and a key"}},
		{"only kek", h + "kek\n" + p + "\n", []string{"line 2", "needs an ID and a key"}},
		{"too many fields", h + p + " extra\n", []string{"line 2", "5 fields"}},
		{"unknown flag", h + p + "\n" + o + " retired\n", []string{"line 3", oid, "fourth field"}},
		{"flag before key", h + "kek " + pid + " primary " + pkey + "\n", []string{"line 2", pid, "base64"}},
		{"short id", h + "kek " + pid[:15] + " " + pkey + " primary\n", []string{"line 2", "16 lowercase hex"}},
		{"long id", h + "kek " + pid + "0 " + pkey + " primary\n", []string{"line 2", "16 lowercase hex"}},
		{"upper-case id", h + "kek " + strings.ToUpper(pid) + " " + pkey + " primary\n", []string{"line 2", "16 lowercase hex"}},
		{"non-hex id", h + "kek zzzzzzzzzzzzzzzz " + pkey + " primary\n", []string{"line 2", "16 lowercase hex"}},
		{"key and id swapped", h + "kek " + pkey + " " + pid + " primary\n", []string{"line 2", "16 lowercase hex"}},
		{"id of another key", h + "kek " + oid + " " + pkey + " primary\n", []string{"line 2", "does not match its key"}},
		{"altered key", h + "kek " + pid + " " + alterBase64(pkey) + " primary\n", []string{"line 2", "does not match its key"}},
		{"bad base64", h + "kek " + pid + " " + strings.Repeat("*", 44) + " primary\n", []string{"line 2", "base64"}},
		{"unpadded base64", h + "kek " + pid + " " + strings.TrimRight(pkey, "=") + " primary\n", []string{"line 2", "base64"}},
		{"url base64", h + "kek " + pid + " " + toURLBase64(pkey) + " primary\n", []string{"line 2", "base64"}},
		{"31-byte key", h + p + "\nkek " + oid + " " + key31 + "\n", []string{"line 3", "31 bytes, want 32"}},
		{"33-byte key", h + p + "\nkek " + oid + " " + key33 + "\n", []string{"line 3", "33 bytes, want 32"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := crypt.ParseKeyring([]byte(tt.text))
			if err == nil {
				t.Fatalf("ParseKeyring(%q) = %v, nil, want an error", tt.text, k)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("ParseKeyring(%q) error = %q, want it to contain %q", tt.text, err, want)
				}
			}
			for _, key := range []string{pkey, okey} {
				if strings.Contains(err.Error(), key[:12]) {
					t.Errorf("ParseKeyring(%q) error = %q, quotes a key", tt.text, err)
				}
			}
		})
	}
}

// alterBase64 changes the first character of a base64 string to another
// valid one.
func alterBase64(s string) string {
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}

// toURLBase64 returns s with the URL-safe alphabet, making sure it differs
// from s.
func toURLBase64(s string) string {
	u := strings.NewReplacer("+", "-", "/", "_").Replace(s)
	if u == s {
		// No '+' or '/' to replace: force one.
		u = "-" + s[1:]
	}
	return u
}
