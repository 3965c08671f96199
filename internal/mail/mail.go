// Package mail sends Safeguard's notifications by email over SMTP: plain
// SMTP upgraded with STARTTLS when the server offers it, or SMTP over TLS
// ("smtps"). It holds no queue: the store's notifications are the outbox, and
// Deliver drains it.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/safeguard-health/safeguard/internal/store"
)

// Config says how to reach the mail server.
type Config struct {
	// URL is smtp://[user:password@]host[:port] (port 587 by default,
	// STARTTLS required unless ?insecure=1 on a loopback host) or
	// smtps://[user:password@]host[:port] (port 465).
	URL string
	// From is the sender address, e.g. "Safeguard <safeguard@clinic.example>".
	From string
	// BaseURL turns notification links into absolute ones.
	BaseURL string
}

// Sender sends mail through one SMTP server.
type Sender struct {
	host     string
	addr     string
	implicit bool // TLS from the first byte (smtps)
	insecure bool // allow plain SMTP without STARTTLS (loopback only)
	auth     smtp.Auth
	from     *mail.Address
	baseURL  string
	// TLSConfig overrides the TLS settings; tests trust their own CA here.
	TLSConfig *tls.Config
}

// New checks cfg and returns a Sender. The error never repeats a password.
func New(cfg Config) (*Sender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("mail: --smtp-url is not a URL such as smtp://user:password@mail.example.org:587")
	}
	s := &Sender{host: u.Hostname(), baseURL: strings.TrimRight(cfg.BaseURL, "/")}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.implicit = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("mail: --smtp-url scheme %q: want smtp or smtps", u.Scheme)
	}
	if s.host == "" {
		return nil, errors.New("mail: --smtp-url names no host")
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.Query().Get("insecure") == "1" {
		if ip := net.ParseIP(s.host); s.host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errors.New("mail: insecure=1 (no TLS) is allowed only for a mail server on this machine")
		}
		s.insecure = true
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pw, s.host)
	}
	if cfg.From == "" {
		return nil, errors.New("mail: --mail-from is required with --smtp-url")
	}
	if s.from, err = mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: --mail-from %q is not an address", cfg.From)
	}
	return s, nil
}

func (s *Sender) tlsConfig() *tls.Config {
	if s.TLSConfig != nil {
		c := s.TLSConfig.Clone()
		c.ServerName = s.host
		return c
	}
	return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
}

// Send delivers one plain-text message.
func (s *Sender) Send(ctx context.Context, to, subject, body string) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("recipient %q: %w", to, err)
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	if s.implicit {
		conn, err = tls.DialWithDialer(&d, "tcp", s.addr, s.tlsConfig())
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return fmt.Errorf("connect to %s: %w", s.addr, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	} else {
		conn.SetDeadline(time.Now().Add(time.Minute))
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting from %s: %w", s.addr, err)
	}
	defer c.Close()
	if !s.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return fmt.Errorf("STARTTLS with %s: %w", s.addr, err)
			}
		} else if !s.insecure {
			return fmt.Errorf("%s does not offer STARTTLS; refusing to send ePHI-adjacent mail in the clear", s.addr)
		}
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("authenticate with %s: %w", s.addr, err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	msg := s.format(rcpt, subject, body)
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func (s *Sender) format(to *mail.Address, subject, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", s.from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		// Dot-stuffing is done by the smtp package's data writer.
		b.WriteString(line + "\r\n")
	}
	return b.String()
}

// Deliver sends every notification waiting in the outbox, recording each
// outcome, and returns how many were sent.
func (s *Sender) Deliver(ctx context.Context, db *store.DB, log *slog.Logger) (int, error) {
	items, err := db.Outbox(ctx, 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, it := range items {
		body := it.Message
		if it.Link != "" {
			body += "\n\n" + s.baseURL + it.Link
		}
		body += "\n\nThis message was sent by Safeguard. Sign in to see the details."
		subject := "Safeguard: " + strings.ReplaceAll(it.Kind, "_", " ")
		if it.Kind == "emergency" {
			subject = "Safeguard: emergency access started"
		}
		sendErr := s.Send(ctx, it.Email, subject, body)
		if sendErr != nil {
			log.WarnContext(ctx, "email not sent", slog.Int64("notification", it.ID), slog.Int("attempt", it.Attempts+1), slog.Any("err", sendErr))
		} else {
			sent++
		}
		if err := db.MarkEmailed(ctx, it.ID, sendErr); err != nil {
			return sent, err
		}
	}
	return sent, nil
}
