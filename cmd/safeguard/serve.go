package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/audit"
	"github.com/safeguard-health/safeguard/internal/catalog"
	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/jobs"
	"github.com/safeguard-health/safeguard/internal/mail"
	"github.com/safeguard-health/safeguard/internal/web"
	"github.com/safeguard-health/safeguard/internal/web/allweb"
)

// serveFlags are the flags of serve (and demo, which serves too).
type serveFlags struct {
	*instanceFlags
	addr            string
	tlsCert         string
	tlsKey          string
	tlsSelfSigned   bool
	behindProxy     bool
	trustedProxy    string
	logFormat       string
	logLevel        string
	shutdownTimeout time.Duration
	publicURL       string
	smtpURL         string
	mailFrom        string
	idleTimeout     time.Duration
	sessionLifetime time.Duration
	webauthnRPID    string
	webauthnOrigin  string
	sso             *ssoFlags
	audit           *auditFlags
	backup          *backupScheduleFlags

	// Where /metrics is served: see metricsToken.
	metricsAddr      string
	metricsTokenFile string
	memoryLimitMiB   int64
	hashConcurrency  int
}

func addServeFlags(fs *flag.FlagSet, defaultData string) *serveFlags {
	f := &serveFlags{instanceFlags: addInstanceFlags(fs, defaultData)}
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on; any address other than loopback requires TLS or --behind-proxy")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM); with --tls-cert")
	fs.BoolVar(&f.tlsSelfSigned, "tls-self-signed", false, "serve TLS with a self-signed certificate kept in the data folder (its fingerprint is printed)")
	fs.BoolVar(&f.behindProxy, "behind-proxy", false, "a TLS-terminating proxy is in front: serve plain HTTP to it")
	fs.StringVar(&f.trustedProxy, "trusted-proxy", "127.0.0.1/32,::1/128", "comma-separated CIDRs whose X-Forwarded-For/-Proto headers are believed (with --behind-proxy)")
	fs.StringVar(&f.logFormat, "log-format", "auto", "log format: auto (text on a terminal, JSON otherwise), text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let in-flight requests finish on SIGINT/SIGTERM")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", identity.DefaultIdleTimeout, "automatic logoff after this long without activity (organisations may set less)")
	fs.DurationVar(&f.sessionLifetime, "session-lifetime", identity.DefaultMaxLifetime, "the longest a sign-in lasts, active or not")
	fs.StringVar(&f.publicURL, "public-url", "", "the address people open Safeguard at, for links in invitations and email (default: from --addr)")
	fs.StringVar(&f.smtpURL, "smtp-url", "", "send notifications by email: smtp://user:password@host:587 (STARTTLS) or smtps://...:465; prefer SAFEGUARD_SMTP_URL, which keeps the password out of process listings")
	fs.StringVar(&f.mailFrom, "mail-from", "", "sender address of notification email, e.g. 'Safeguard <safeguard@clinic.example>'")
	fs.StringVar(&f.webauthnRPID, "webauthn-rp-id", "", "domain passkeys are bound to (default: the host name browsers use; localhost on a loopback address)")
	fs.StringVar(&f.webauthnOrigin, "webauthn-origin", "", "comma-separated origins passkeys may be used from, e.g. https://safeguard.example.org (default: derived from the host)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve GET /metrics (Prometheus) on this separate HOST:PORT, plain HTTP; default: off")
	fs.StringVar(&f.metricsTokenFile, "metrics-token-file", "", "file holding a token (at least 16 characters) that GET /metrics requires as 'Authorization: Bearer TOKEN', on the main address and on --metrics-addr; without this flag or --metrics-addr, /metrics answers 404")
	fs.Int64Var(&f.memoryLimitMiB, "memory-limit", 0, "soft memory limit of the process in MiB: the garbage collector works harder near it and returns memory to the system; 0 means 256 MiB plus 64 MiB per concurrent password hash (384 MiB on 2 cores), unless GOMEMLIMIT is set")
	fs.IntVar(&f.hashConcurrency, "hash-concurrency", runtime.GOMAXPROCS(0), "password hashes (64 MiB each) run at once; a few more sign-ins wait up to a second, the rest are answered 503 with Retry-After")
	f.sso = addSSOFlags(fs)
	f.audit = addAuditFlags(fs)
	f.backup = addBackupScheduleFlags(fs)
	return f
}

// metricsToken reads --metrics-token-file; "" when the flag is not set.
func (f *serveFlags) metricsToken() (string, error) {
	if f.metricsTokenFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(f.metricsTokenFile)
	if err != nil {
		return "", usagef("--metrics-token-file: %v", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 || strings.ContainsAny(tok, " \t\r\n") {
		return "", usagef("--metrics-token-file %s: want one token of at least 16 characters without spaces, e.g. from 'openssl rand -hex 32'", f.metricsTokenFile)
	}
	return tok, nil
}

// transport is how the listener is secured.
type transport struct {
	tls         *tls.Config
	fingerprint string // of a self-signed certificate, to print
	proxies     []netip.Prefix
}

// checkTransport decides between plain HTTP and TLS. Plain HTTP is allowed on
// a loopback address, or behind a proxy the operator says terminates TLS;
// anything else must be TLS (45 CFR 164.312(e)(1), transmission security).
func (f *serveFlags) checkTransport(dataDir string) (*transport, error) {
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return nil, usagef("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8443", f.addr)
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return nil, usagef("--tls-cert and --tls-key go together: give both")
	}
	if f.tlsCert != "" && f.tlsSelfSigned {
		return nil, usagef("--tls-self-signed and --tls-cert exclude each other: pick one")
	}
	t := &transport{}
	if f.behindProxy {
		for _, s := range strings.Split(f.trustedProxy, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				if a, aerr := netip.ParseAddr(s); aerr == nil {
					p = netip.PrefixFrom(a, a.BitLen())
				} else {
					return nil, usagef("--trusted-proxy %q: not a CIDR such as 10.0.0.0/8", s)
				}
			}
			t.proxies = append(t.proxies, p.Masked())
		}
	}
	switch {
	case f.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		t.tls = tlsConfig(cert)
	case f.tlsSelfSigned:
		cert, fp, err := selfSignedCert(filepath.Join(dataDir, "tls"), host)
		if err != nil {
			return nil, fmt.Errorf("self-signed certificate: %w", err)
		}
		t.tls, t.fingerprint = tlsConfig(cert), fp
	case f.behindProxy, isLoopback(host):
	default:
		return nil, fmt.Errorf("%s is not a loopback address, so Safeguard will only serve it over TLS: "+
			"add --tls-cert and --tls-key, or --tls-self-signed, or --behind-proxy if a TLS proxy is in front", f.addr)
	}
	return t, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
}

// selfSignedCert loads the data folder's self-signed certificate, or makes a
// new one when there is none or it expires within 30 days. It returns the
// certificate's SHA-256 fingerprint, for people to compare in their browser.
func selfSignedCert(dir, host string) (tls.Certificate, string, error) {
	certPath, keyPath := filepath.Join(dir, "self-signed.crt"), filepath.Join(dir, "self-signed.key")
	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err == nil && time.Until(leaf.NotAfter) > 30*24*time.Hour {
			return cert, fingerprint(cert.Certificate[0]), nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return tls.Certificate{}, "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Safeguard (self-signed)", Organization: []string{"Safeguard"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(397 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, name)
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	} else if host != "" && ip == nil {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return tls.Certificate{}, "", err
	}
	if err := writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, "", err
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	return cert, fingerprint(der), nil
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := m.newFlagSet("serve", "serve [flags]",
		"Run the web UI and JSON API. On first start it creates the data folder, the SQLite\n"+
			"database and the key file; later starts apply any new migrations.")
	f := addServeFlags(fs, defaultDataDir)
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	return m.serve(ctx, f, false)
}

// serve opens the instance and serves it until ctx is cancelled, then lets
// in-flight requests finish.
func (m *Main) serve(ctx context.Context, f *serveFlags, demo bool) error {
	log, err := newLogger(m.Stderr, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	// Check the flags before anything touches the disk.
	if f.idleTimeout < time.Second || f.idleTimeout > identity.MaxIdleTimeout {
		return usagef("--idle-timeout %s: want between 1s and %s", f.idleTimeout, identity.MaxIdleTimeout)
	}
	if f.sessionLifetime < f.idleTimeout || f.sessionLifetime > 7*24*time.Hour {
		return usagef("--session-lifetime %s: want at least --idle-timeout and at most 168h", f.sessionLifetime)
	}
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return usagef("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8443", f.addr)
	}
	if f.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(f.metricsAddr); err != nil {
			return usagef("--metrics-addr %q: want HOST:PORT, e.g. 127.0.0.1:9090", f.metricsAddr)
		}
	}
	metricsToken, err := f.metricsToken()
	if err != nil {
		return err
	}
	if f.hashConcurrency < 1 || f.hashConcurrency > 64 {
		return usagef("--hash-concurrency %d: want between 1 and 64", f.hashConcurrency)
	}
	if f.memoryLimitMiB < 0 {
		return usagef("--memory-limit %d: want a size in MiB, or 0 for the default", f.memoryLimitMiB)
	}
	hasher := m.Hasher // tests bring a cheap one
	if hasher == nil {
		d := identity.DefaultHasher()
		hasher = identity.NewHasher(d.Time, d.MemoryKiB, d.Threads, f.hashConcurrency)
		hasher.WithinMemoryLimit = true
	}
	// Hashing holds at most hashConcurrency x 64 MiB; the rest of the
	// process needs well under 256 MiB. The soft limit makes the collector
	// run before the heap grows past it, and give memory back, instead of
	// letting a flood of sign-ins leave the process at its peak.
	limit := f.memoryLimitMiB << 20
	if _, env := m.LookupEnv("GOMEMLIMIT"); limit == 0 && !env {
		limit = hasher.MemoryCeiling() + 256<<20
	}
	if floor := hasher.MemoryCeiling() + 128<<20; limit != 0 && limit < floor {
		return usagef("--memory-limit %d: password hashing alone may hold %d MiB with --hash-concurrency %d; give at least %d",
			f.memoryLimitMiB, hasher.MemoryCeiling()>>20, f.hashConcurrency, floor>>20)
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	// The sign-in gate sheds attempts near the limit; not in tests, which
	// run serve inside a process shared with other tests.
	gateLimit := limit
	if m.Hasher != nil {
		gateLimit = 0
	}
	sso, err := f.sso.config(m.LookupEnv)
	if err != nil {
		return err
	}
	if f.smtpURL != "" || f.mailFrom != "" {
		if _, err := mail.New(mail.Config{URL: f.smtpURL, From: f.mailFrom}); err != nil {
			return usagef("%v", err)
		}
	}
	if f.publicURL != "" {
		if u, err := url.Parse(f.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--public-url %q: want an absolute http(s) URL such as https://safeguard.clinic.example", f.publicURL)
		}
	}
	dataDir, err := filepath.Abs(f.data)
	if err != nil {
		return err
	}
	if !f.tlsSelfSigned {
		if _, err := f.checkTransport(dataDir); err != nil {
			return err
		}
	}
	start := time.Now()
	in, err := m.openInstance(ctx, f.instanceFlags, openOrCreate, log)
	if err != nil {
		return err
	}
	defer in.Close()
	tr, err := f.checkTransport(in.dataDir)
	if err != nil {
		return err
	}
	cat, err := catalog.Default()
	if err != nil {
		return fmt.Errorf("load the rule catalogue: %w", err)
	}
	// Uploads are spooled, encrypted, in the data folder while they stream
	// in, rather than in a shared temporary folder.
	spoolDir := filepath.Join(in.dataDir, "tmp")
	if err := os.MkdirAll(spoolDir, 0o700); err != nil {
		return fmt.Errorf("create the upload folder %s: %w", spoolDir, errors.Unwrap(err))
	}
	srv, err := web.New(web.Config{
		TempDir:         spoolDir,
		Catalog:         cat,
		Capabilities:    allweb.Capabilities(cat),
		Hasher:          hasher,
		MemoryLimit:     gateLimit,
		PublicURL:       strings.TrimRight(f.publicURL, "/"),
		Keys:            in.keys,
		AuditKeys:       func() (audit.Keys, error) { return auditKeys{dir: in.dataDir}.trusted(f.audit.trustKeys) },
		IdleTimeout:     f.idleTimeout,
		SessionLifetime: f.sessionLifetime,
		RPID:            f.webauthnRPID,
		RPOrigins:       strings.FieldsFunc(f.webauthnOrigin, func(r rune) bool { return r == ',' || r == ' ' }),
		DB:              in.db,
		Logger:          log,
		Version:         version(),
		BehindProxy:     f.behindProxy,
		TrustedProxies:  tr.proxies,
		Demo:            demo || in.demo,
		SSO:             sso,
		MetricsToken:    metricsToken,
	})
	if err != nil {
		return err
	}
	// Summaries of refused sign-ins and tokens still counted are written
	// before the database closes.
	defer srv.FlushAuthFailures()
	// Scheduled jobs (internal/jobs) run once per period across replicas.
	// Register more before runner.Start below.
	runner := jobs.New(in.db, log)
	stopCheckpoints, err := m.startAuditCheckpoints(ctx, in, f.audit, runner, log)
	if err != nil {
		return err
	}
	defer stopCheckpoints()
	if err := m.startScheduledBackups(runner, in, f.backup, log); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, errors.Unwrap(err))
	}
	scheme := "http"
	if tr.tls != nil {
		scheme = "https"
		ln = tls.NewListener(ln, tr.tls)
	}
	var metricsLn net.Listener
	if f.metricsAddr != "" {
		metricsLn, err = net.Listen("tcp", f.metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on --metrics-addr %s: %w", f.metricsAddr, errors.Unwrap(err))
		}
	}
	addr := ln.Addr().String()
	fmt.Fprintf(m.Stdout, "Safeguard %s is serving %s://%s/\n", version(), scheme, displayAddr(addr))
	fmt.Fprintf(m.Stdout, "  data folder: %s\n  database:    %s (%s)\n  keys:        %s\n", in.dataDir, in.db.Location(), in.db.Dialect(), in.keySource)
	if tr.fingerprint != "" {
		fmt.Fprintf(m.Stdout, "  TLS certificate (self-signed) SHA-256 fingerprint:\n    %s\n", tr.fingerprint)
	}
	switch {
	case metricsLn != nil:
		fmt.Fprintf(m.Stdout, "  metrics:     http://%s/metrics\n", displayAddr(metricsLn.Addr().String()))
	case metricsToken != "":
		fmt.Fprintf(m.Stdout, "  metrics:     %s://%s/metrics with the bearer token\n", scheme, displayAddr(addr))
	}
	log.Info("serving", slog.String("addr", addr), slog.String("scheme", scheme),
		slog.String("database", string(in.db.Dialect())), slog.Duration("startup", time.Since(start)))
	if m.Listening != nil {
		m.Listening(addr)
	}

	var sender *mail.Sender
	if f.smtpURL != "" {
		base := f.publicURL
		if base == "" {
			base = scheme + "://" + displayAddr(addr)
		}
		sender, err = mail.New(mail.Config{URL: f.smtpURL, From: f.mailFrom, BaseURL: base})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "  email:       notifications sent from %s\n", f.mailFrom)
	}
	if err := jobs.RegisterStandard(runner, jobs.Standard{DB: in.db, Log: log, Mail: sender,
		AuditKeys: func() (audit.Keys, error) { return auditKeys{dir: in.dataDir}.trusted(f.audit.trustKeys) }}); err != nil {
		return err
	}
	if err := runner.Start(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	// The runner stops (cancelling runs in progress, which are retried
	// after a restart) before the last checkpoint and the database close.
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := runner.Stop(sctx); err != nil {
			log.Warn("stop scheduled jobs", slog.Any("err", err))
		}
	}()
	if metricsLn == nil {
		return serveHTTP(ctx, ln, srv, f.shutdownTimeout, log)
	}
	// Both servers stop when ctx ends, or when either fails; the metrics
	// goroutine ends when its server has shut down.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	metricsDone := make(chan error, 1)
	go func() {
		err := serveHTTP(sctx, metricsLn, srv.MetricsHandler(), f.shutdownTimeout, log.With(slog.String("listener", "metrics")))
		stop()
		metricsDone <- err
	}()
	err = serveHTTP(sctx, ln, srv, f.shutdownTimeout, log)
	stop()
	return errors.Join(err, <-metricsDone)
}

// serveHTTP serves h on ln until ctx is cancelled, then stops accepting and
// waits up to timeout for the requests being handled to finish.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, timeout time.Duration, log *slog.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// The server goroutine ends when Shutdown closes the listener.
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", slog.Duration("timeout", timeout))
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// displayAddr turns a listener address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
