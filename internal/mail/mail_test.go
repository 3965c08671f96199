package mail

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// smtpServer is a small SMTP server speaking the real protocol on loopback,
// optionally with STARTTLS, that keeps what it receives.
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config
	mu       sync.Mutex
	messages []string
	rcpts    []string
}

func newSMTPServer(t *testing.T, withTLS bool) (*smtpServer, *x509.CertPool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	var pool *x509.CertPool
	if withTLS {
		// Borrow httptest's self-signed certificate for 127.0.0.1.
		ts := httptest.NewUnstartedServer(nil)
		ts.StartTLS()
		s.tls = ts.TLS
		pool = x509.NewCertPool()
		pool.AddCert(ts.Certificate())
		t.Cleanup(ts.Close)
	}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s, pool
}

// serve accepts connections until the listener closes.
func (s *smtpServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(line string) { w.WriteString(line + "\r\n"); w.Flush() }
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			if s.tls != nil {
				if _, ok := c.(*tls.Conn); !ok {
					say("250-test")
					say("250 STARTTLS")
					continue
				}
			}
			say("250 test")
		case cmd == "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
		case strings.HasPrefix(cmd, "MAIL FROM"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			s.mu.Lock()
			s.rcpts = append(s.rcpts, strings.TrimSpace(line[len("RCPT TO:"):]))
			s.mu.Unlock()
			say("250 ok")
		case cmd == "DATA":
			say("354 end with .")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.mu.Lock()
			s.messages = append(s.messages, msg.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (s *smtpServer) received() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.messages...), append([]string(nil), s.rcpts...)
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct{ url, from, want string }{
		{"http://mail.example.org", "a@example.org", `scheme "http"`},
		{"smtp://", "a@example.org", "names no host"},
		{"smtp://mail.example.org?insecure=1", "a@example.org", "only for a mail server on this machine"},
		{"smtp://user:hunter2@mail.example.org", "", "--mail-from is required"},
		{"smtp://mail.example.org", "not an address", "is not an address"},
	}
	for _, tt := range tests {
		_, err := New(Config{URL: tt.url, From: tt.from})
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("New(%q, %q) = %v, want an error containing %q without the password", tt.url, tt.from, err, tt.want)
		}
	}
}

func TestSendRefusesCleartext(t *testing.T) {
	srv, _ := newSMTPServer(t, false)
	s, err := New(Config{URL: "smtp://" + srv.ln.Addr().String(), From: "Safeguard <sg@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), "a@example.org", "hi", "body"); err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("Send to a server without STARTTLS = %v, want a refusal", err)
	}
	if msgs, _ := srv.received(); len(msgs) != 0 {
		t.Errorf("a message was sent in the clear: %q", msgs)
	}
	s, err = New(Config{URL: "smtp://" + srv.ln.Addr().String() + "?insecure=1", From: "sg@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), "a@example.org", "hi", "body"); err != nil {
		t.Fatalf("Send with insecure=1 on loopback = %v", err)
	}
}

func TestDeliverEmergencyNotice(t *testing.T) {
	srv, pool := newSMTPServer(t, true)
	s, err := New(Config{URL: "smtp://" + srv.ln.Addr().String(), From: "Safeguard <sg@riverside.example>", BaseURL: "https://sg.riverside.example/"})
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = &tls.Config{RootCAs: pool}
	db := storetest.SQLite(t)
	ctx := context.Background()
	actor := store.Actor{Name: "test"}
	o, _ := db.CreateOrg(ctx, actor, identity.Org{Slug: "riverside", Name: "Riverside", Kind: identity.KindProvider})
	var viewerID int64
	for _, u := range []struct {
		email string
		role  identity.Role
	}{{"so@riverside.example", identity.RoleSecurityOfficer}, {"owner@riverside.example", identity.RoleOwner}, {"viewer@riverside.example", identity.RoleViewer}} {
		created, err := db.CreateUser(ctx, actor, store.NewUser{User: identity.User{Email: u.email}, OrgID: o.ID, Role: u.role})
		if err != nil {
			t.Fatal(err)
		}
		viewerID = created.ID
	}
	if _, err := db.StartEmergency(ctx, actor, identity.Emergency{OrgID: o.ID, OrgSlug: "riverside", UserID: viewerID, UserEmail: "viewer@riverside.example",
		Reason: "Server room flooded, restoring from backup now", Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sent, err := s.Deliver(ctx, db, log)
	if err != nil || sent != 2 {
		t.Fatalf("Deliver() = %d, %v, want 2 emails (owner and security officer)", sent, err)
	}
	msgs, rcpts := srv.received()
	if len(msgs) != 2 || !strings.Contains(strings.Join(rcpts, " "), "so@riverside.example") || !strings.Contains(strings.Join(rcpts, " "), "owner@riverside.example") {
		t.Fatalf("received %d messages to %v", len(msgs), rcpts)
	}
	for _, want := range []string{"Subject: Safeguard: emergency access started", "Server room flooded", "https://sg.riverside.example/orgs/riverside/emergency/"} {
		if !strings.Contains(msgs[0], want) {
			t.Errorf("message lacks %q:\n%s", want, msgs[0])
		}
	}
	// Sent once: the outbox is empty now.
	if sent, err := s.Deliver(ctx, db, log); err != nil || sent != 0 {
		t.Errorf("second Deliver() = %d, %v, want nothing left", sent, err)
	}
	// A server that is down leaves the notice queued with its error, and
	// it is retried a bounded number of times.
	srv.ln.Close()
	if _, err := db.StartEmergency(ctx, actor, identity.Emergency{OrgID: o.ID, OrgSlug: "riverside", UserID: viewerID - 1, UserEmail: "owner@riverside.example",
		Reason: "Second emergency to test a mail outage", Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 7; i++ {
		if sent, err := s.Deliver(ctx, db, log); err != nil || sent != 0 {
			t.Fatalf("Deliver with the server down = %d, %v", sent, err)
		}
	}
	left, err := db.Outbox(ctx, 10)
	if err != nil || len(left) != 0 {
		t.Errorf("Outbox after repeated failures = %d items, %v; want it to give up after the limit", len(left), err)
	}
}
