package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/validate"
)

// Passkeys and security keys (WebAuthn) are a second factor after the
// password: person or entity authentication, 45 CFR 164.312(d). The
// challenge of each ceremony stays on the server, bound to the session that
// asked for it, answerable once and for ceremonyTTL only.
const (
	ceremonyTTL = 5 * time.Minute
	// maxCeremonyBody bounds an authenticator's answer; real ones are a
	// few kilobytes.
	maxCeremonyBody = 64 << 10
	rpDisplayName   = "Safeguard"
)

func (s *Server) passkeyRoutes(mux *http.ServeMux) {
	// Partial: a session that must still enrol a second factor may choose a
	// passkey, and one that must still pass it may use one.
	s.PartialCredentialRoute("GET /account/passkeys", s.passkeysPage)
	s.PartialCredentialRoute("POST /account/passkeys/register/begin", s.passkeyRegisterBegin)
	s.PartialCredentialRoute("POST /account/passkeys/register/finish", s.passkeyRegisterFinish)
	s.PartialCredentialRoute("POST /account/passkeys/{id}/rename", s.passkeyRename)
	s.PartialCredentialRoute("POST /account/passkeys/{id}/delete", s.passkeyDelete)
	s.PartialCredentialRoute("POST /login/passkey/begin", s.passkeyLoginBegin)
	s.PartialCredentialRoute("POST /login/passkey/finish", s.passkeyLoginFinish)
}

// relyingParty is the WebAuthn relying party for r: the configured RP ID and
// origins, or else ones derived from the host the browser asked for.
func (s *Server) relyingParty(r *http.Request) (*webauthn.WebAuthn, error) {
	id, origins := s.cfg.RPID, s.cfg.RPOrigins
	if id == "" || len(origins) == 0 {
		hostID, hostOrigins := rpFromHost(r.Host, clientOf(r.Context()).Secure)
		if id == "" {
			id = hostID
		}
		if len(origins) == 0 {
			origins = hostOrigins
		}
	}
	if err := protocol.ValidateRPID(id); err != nil {
		return nil, &HTTPError{Code: http.StatusBadRequest, Err: err,
			Msg: "Passkeys need Safeguard to be reached by a domain name (such as localhost), not an IP address. Ask your administrator to set --webauthn-rp-id."}
	}
	timeouts := webauthn.TimeoutConfig{Timeout: ceremonyTTL, TimeoutUVD: ceremonyTTL}
	rp, err := webauthn.New(&webauthn.Config{
		RPID:          id,
		RPDisplayName: rpDisplayName,
		RPOrigins:     origins,
		// A second factor after the password: presence is enough, and a
		// PIN or biometric is welcome where the authenticator has one.
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts:              webauthn.TimeoutsConfig{Login: timeouts, Registration: timeouts},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn relying party %s: %w", id, err)
	}
	return rp, nil
}

// rpFromHost derives the relying party ID and origins from the Host header.
// A loopback address is served as localhost, the secure context browsers
// allow WebAuthn in without TLS.
func rpFromHost(host string, secure bool) (string, []string) {
	scheme := "http"
	if secure {
		scheme = "https"
	}
	name, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		name, port = h, p
	}
	name = strings.ToLower(strings.Trim(name, "[]"))
	origin := func(h string) string {
		if port == "" {
			return scheme + "://" + h
		}
		return scheme + "://" + net.JoinHostPort(h, port)
	}
	if a, err := netip.ParseAddr(name); name == "localhost" || (err == nil && a.IsLoopback()) {
		return "localhost", []string{origin("localhost"), origin("127.0.0.1")}
	}
	return name, []string{origin(name)}
}

// webauthnUser presents a user and their passkeys to the WebAuthn library.
type webauthnUser struct {
	user   identity.User
	handle []byte
	keys   []store.Passkey
}

func (u *webauthnUser) WebAuthnID() []byte   { return u.handle }
func (u *webauthnUser) WebAuthnName() string { return u.user.Email }

func (u *webauthnUser) WebAuthnDisplayName() string {
	if u.user.Name != "" {
		return u.user.Name
	}
	return u.user.Email
}

func (u *webauthnUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.keys))
	for _, k := range u.keys {
		c := webauthn.Credential{
			ID:                k.CredentialID,
			PublicKey:         k.PublicKey,
			AttestationFormat: k.AttestationFormat,
			Flags:             webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(k.Flags)),
			Authenticator:     webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount},
		}
		for _, t := range k.Transports {
			c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
		}
		out = append(out, c)
	}
	return out
}

// descriptors lists the user's credentials for an exclude or allow list.
func (u *webauthnUser) descriptors() []protocol.CredentialDescriptor {
	var out []protocol.CredentialDescriptor
	for _, c := range u.WebAuthnCredentials() {
		out = append(out, c.Descriptor())
	}
	return out
}

func (u *webauthnUser) key(credentialID []byte) (store.Passkey, bool) {
	for _, k := range u.keys {
		if bytes.Equal(k.CredentialID, credentialID) {
			return k, true
		}
	}
	return store.Passkey{}, false
}

func (s *Server) loadWebauthnUser(ctx context.Context, u identity.User) (*webauthnUser, error) {
	handle, err := s.db.PasskeyUserHandle(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	keys, err := s.db.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &webauthnUser{user: u, handle: handle, keys: keys}, nil
}

// ceremonyState is what the server keeps of a ceremony between begin and
// finish.
type ceremonyState struct {
	Session webauthn.SessionData `json:"session"`
	Name    string               `json:"name,omitempty"` // of the passkey being registered
}

var errBrowserOnly = &HTTPError{Code: http.StatusForbidden, Msg: "Passkeys are managed from a signed-in browser, not with an API token."}

// mayManagePasskeys decides whether this session may add, rename or remove
// passkeys: a session that passed its second factor may; one that has not
// may only while the user has no second factor at all (enrolling the first).
// Otherwise a stolen password alone could add a passkey and walk past MFA.
func (s *Server) mayManagePasskeys(r *http.Request, p *Principal) error {
	return s.mayChangeFactors(r, p, "passkey.manage_refused")
}

// passkeysView is the page listing the user's passkeys.
type passkeysView struct {
	Page
	Passkeys []store.Passkey
	// Next is where a session that is still signing in goes once it has a
	// second factor.
	Next      string
	Notice    string
	Problem   string
	Problems  validate.Error
	ProblemID int64 // the passkey a rename problem is about
	CanManage bool
}

func passkeyNotice(code string) string {
	switch code {
	case "added":
		return "Your passkey has been added."
	case "renamed":
		return "The passkey has been renamed."
	case "removed":
		return "The passkey has been removed."
	}
	return ""
}

func (s *Server) passkeysPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPasskeys(w, r, http.StatusOK, &passkeysView{Notice: passkeyNotice(r.URL.Query().Get("done"))})
}

func (s *Server) renderPasskeys(w http.ResponseWriter, r *http.Request, status int, v *passkeysView) error {
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return errBrowserOnly
	}
	keys, err := s.db.Passkeys(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	v.Page = Page{Title: "Passkeys and security keys", Breadcrumbs: []Crumb{{Label: "Account", URL: "/account"}, {Label: "Passkeys"}}}
	v.Passkeys = keys
	if next := r.URL.Query().Get("next"); next != "" {
		v.Next = safeNext(next)
	}
	owes, err := s.owesSecondFactor(r.Context(), p)
	if err != nil {
		return err
	}
	v.CanManage = !p.User.MustChangePassword && !owes
	s.render(w, r, status, "passkeys", v)
	return nil
}

// passkeyJSON describes a passkey to scripts and API clients.
type passkeyJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Transports []string   `json:"transports"`
}

func toPasskeyJSON(k store.Passkey) passkeyJSON {
	j := passkeyJSON{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, Transports: k.Transports}
	if j.Transports == nil {
		j.Transports = []string{}
	}
	if !k.LastUsedAt.IsZero() {
		t := k.LastUsedAt
		j.LastUsedAt = &t
	}
	return j
}

// registerBeginRequest is the body of POST /account/passkeys/register/begin.
type registerBeginRequest struct {
	Name string `json:"name"`
}

// passkeyNameFrom reads the name a person chose; empty means "Passkey".
func passkeyNameFrom(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		name = "Passkey"
	}
	return identity.NormalizePasskeyName(name)
}

func (s *Server) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if err := s.mayManagePasskeys(r, p); err != nil {
		return err
	}
	var req registerBeginRequest
	if err := DecodeJSON(r, &req); err != nil {
		return err
	}
	name, err := passkeyNameFrom(req.Name)
	if err != nil {
		return err
	}
	rp, err := s.relyingParty(r)
	if err != nil {
		return err
	}
	user, err := s.loadWebauthnUser(r.Context(), p.User)
	if err != nil {
		return err
	}
	creation, session, err := rp.BeginRegistration(user, webauthn.WithExclusions(user.descriptors()))
	if err != nil {
		return fmt.Errorf("begin passkey registration: %w", err)
	}
	if err := s.startCeremony(r, p, "register", ceremonyState{Session: *session, Name: name}); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, creation)
	return nil
}

func (s *Server) startCeremony(r *http.Request, p *Principal, kind string, st ceremonyState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = s.db.StartCeremony(r.Context(), store.Ceremony{SessionID: p.Session.ID, UserID: p.User.ID, Kind: kind, Data: data}, ceremonyTTL)
	return err
}

// ceremonyError is a refused ceremony: the client is told Msg, the audit log
// gets Msg and the library's detail.
func (s *Server) ceremonyError(r *http.Request, action string, code int, msg string, err error) error {
	summary := msg
	if err != nil {
		summary += ": " + webauthnDetail(err)
	}
	s.AuditRefusal(r, action, truncateRunes(summary, 500))
	return &HTTPError{Code: code, Msg: msg, Err: err}
}

// webauthnDetail is the most telling text of a WebAuthn library error.
func webauthnDetail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		d := pe.Details
		if pe.DevInfo != "" {
			d += " (" + pe.DevInfo + ")"
		}
		return d
	}
	return err.Error()
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// takeCeremony consumes the session's ceremony of the given kind, refusing a
// missing (never begun, or already answered) or expired one.
func (s *Server) takeCeremony(r *http.Request, p *Principal, kind, refused string) (ceremonyState, error) {
	var st ceremonyState
	c, err := s.db.TakeCeremony(r.Context(), p.Session.ID, p.User.ID, kind)
	if errors.Is(err, store.ErrNotFound) {
		return st, s.ceremonyError(r, refused, http.StatusBadRequest,
			"There is no passkey request waiting for this answer: it was answered already or never made. Start again.", nil)
	} else if err != nil {
		return st, err
	}
	if c.Expired(s.db.Now()) {
		return st, s.ceremonyError(r, refused, http.StatusBadRequest,
			"The passkey request has expired. Start again.", nil)
	}
	if err := json.Unmarshal(c.Data, &st); err != nil {
		return st, fmt.Errorf("read %s ceremony %d: %w", kind, c.ID, err)
	}
	return st, nil
}

// readCeremonyBody reads an authenticator's answer, bounded.
func readCeremonyBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, &HTTPError{Code: http.StatusUnsupportedMediaType, Msg: "Send the body as application/json."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCeremonyBody+1))
	if err != nil {
		return nil, &HTTPError{Code: http.StatusBadRequest, Msg: "The request body could not be read.", Err: err}
	}
	if len(body) > maxCeremonyBody {
		return nil, &HTTPError{Code: http.StatusRequestEntityTooLarge, Msg: "The authenticator's answer is too large."}
	}
	return body, nil
}

// knownTransports are the transports worth remembering; anything else a
// client reports is dropped.
var knownTransports = []string{"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}

func (s *Server) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	const refused = "passkey.register_refused"
	p := PrincipalOf(r.Context())
	if err := s.mayManagePasskeys(r, p); err != nil {
		return err
	}
	st, err := s.takeCeremony(r, p, "register", refused)
	if err != nil {
		return err
	}
	body, err := readCeremonyBody(r)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return s.ceremonyError(r, refused, http.StatusBadRequest, "The authenticator's answer could not be read", err)
	}
	rp, err := s.relyingParty(r)
	if err != nil {
		return err
	}
	user, err := s.loadWebauthnUser(r.Context(), p.User)
	if err != nil {
		return err
	}
	cred, err := rp.CreateCredential(user, st.Session, parsed)
	if err != nil {
		return s.ceremonyError(r, refused, http.StatusBadRequest, "The new passkey could not be verified", err)
	}
	k := store.Passkey{
		UserID:            p.User.ID,
		CredentialID:      cred.ID,
		PublicKey:         cred.PublicKey,
		SignCount:         cred.Authenticator.SignCount,
		AAGUID:            cred.Authenticator.AAGUID,
		Flags:             uint8(cred.Flags.ProtocolValue()),
		AttestationFormat: cred.AttestationFormat,
		Name:              st.Name,
	}
	for _, t := range cred.Transport {
		if slices.Contains(knownTransports, string(t)) && !slices.Contains(k.Transports, string(t)) {
			k.Transports = append(k.Transports, string(t))
		}
	}
	k, err = s.db.AddPasskey(r.Context(), s.Actor(r), k)
	if errors.Is(err, store.ErrConflict) {
		return s.ceremonyError(r, refused, http.StatusConflict, "This passkey is registered already.", err)
	} else if err != nil {
		return err
	}
	// Enrolling the first second factor proves it in this session too.
	if p.Session.MFAAt.IsZero() {
		if err := s.RotateSession(w, r, p, s.db.Now().UTC(), "passkey registered"); err != nil {
			return err
		}
	}
	to := "/account/passkeys?done=added"
	if next := r.URL.Query().Get("next"); next != "" {
		to += "&next=" + url.QueryEscape(safeNext(next))
	}
	s.writeJSON(w, r, http.StatusCreated, struct {
		Passkey  passkeyJSON `json:"passkey"`
		Redirect string      `json:"redirect"`
	}{toPasskeyJSON(k), to})
	return nil
}

// passkeyID reads the {id} path value.
func passkeyID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &HTTPError{Code: http.StatusNotFound, Msg: "There is no such passkey."}
	}
	return id, nil
}

// passkeyNameRequest is the JSON body of a rename.
type passkeyNameRequest struct {
	Name string `json:"name"`
}

// formOrJSONName reads the name field of a form or a JSON body.
func formOrJSONName(r *http.Request) (string, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var req passkeyNameRequest
		if err := DecodeJSON(r, &req); err != nil {
			return "", err
		}
		return req.Name, nil
	}
	if err := r.ParseForm(); err != nil {
		return "", &HTTPError{Code: http.StatusBadRequest, Msg: "The form could not be read."}
	}
	return r.PostForm.Get("name"), nil
}

func (s *Server) passkeyRename(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if err := s.mayManagePasskeys(r, p); err != nil {
		return err
	}
	id, err := passkeyID(r)
	if err != nil {
		return err
	}
	name, err := formOrJSONName(r)
	if err != nil {
		return err
	}
	err = s.db.RenamePasskey(r.Context(), s.Actor(r), p.User.ID, id, name)
	var verr validate.Error
	switch {
	case errors.As(err, &verr) && !WantsJSON(r):
		return s.renderPasskeys(w, r, http.StatusUnprocessableEntity, &passkeysView{Problems: verr, ProblemID: id})
	case errors.Is(err, store.ErrNotFound):
		return &HTTPError{Code: http.StatusNotFound, Msg: "There is no such passkey.", Err: err}
	case err != nil:
		return err
	}
	if WantsJSON(r) {
		keys, err := s.db.Passkeys(r.Context(), p.User.ID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.ID == id {
				s.writeJSON(w, r, http.StatusOK, toPasskeyJSON(k))
				return nil
			}
		}
		return &HTTPError{Code: http.StatusNotFound, Msg: "There is no such passkey."}
	}
	http.Redirect(w, r, "/account/passkeys?done=renamed", http.StatusSeeOther)
	return nil
}

func (s *Server) passkeyDelete(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if err := s.mayManagePasskeys(r, p); err != nil {
		return err
	}
	id, err := passkeyID(r)
	if err != nil {
		return err
	}
	required, err := s.mfaRequiredFor(r.Context(), p.User)
	if err != nil {
		return err
	}
	err = s.db.RemovePasskey(r.Context(), s.Actor(r), p.User.ID, id, required)
	switch {
	case errors.Is(err, identity.ErrLastSecondFactor):
		s.AuditRefusal(r, "passkey.remove_refused", fmt.Sprintf("passkey %d is the last second factor and MFA is required", id))
		msg := "This is your only second factor, and your account must keep one. Add another passkey or an authenticator app first."
		if WantsJSON(r) {
			return &HTTPError{Code: http.StatusConflict, Msg: msg, Err: err}
		}
		return s.renderPasskeys(w, r, http.StatusConflict, &passkeysView{Problem: msg})
	case errors.Is(err, store.ErrNotFound):
		return &HTTPError{Code: http.StatusNotFound, Msg: "There is no such passkey.", Err: err}
	case err != nil:
		return err
	}
	if WantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/account/passkeys?done=removed", http.StatusSeeOther)
	return nil
}

func (s *Server) passkeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return errBrowserOnly
	}
	user, err := s.loadWebauthnUser(r.Context(), p.User)
	if err != nil {
		return err
	}
	if len(user.keys) == 0 {
		return &HTTPError{Code: http.StatusConflict, Msg: "You have not added a passkey to your account. Use your other second factor."}
	}
	rp, err := s.relyingParty(r)
	if err != nil {
		return err
	}
	assertion, session, err := rp.BeginLogin(user)
	if err != nil {
		return fmt.Errorf("begin passkey sign-in: %w", err)
	}
	if err := s.startCeremony(r, p, "login", ceremonyState{Session: *session}); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, assertion)
	return nil
}

func (s *Server) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) error {
	const refused = "passkey.login_refused"
	p := PrincipalOf(r.Context())
	if p.Session == nil {
		return errBrowserOnly
	}
	st, err := s.takeCeremony(r, p, "login", refused)
	if err != nil {
		return err
	}
	body, err := readCeremonyBody(r)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return s.ceremonyError(r, refused, http.StatusBadRequest, "The authenticator's answer could not be read", err)
	}
	user, err := s.loadWebauthnUser(r.Context(), p.User)
	if err != nil {
		return err
	}
	if _, ok := user.key(parsed.RawID); !ok {
		return s.ceremonyError(r, refused, http.StatusBadRequest, "This passkey is not registered to your account.", nil)
	}
	rp, err := s.relyingParty(r)
	if err != nil {
		return err
	}
	cred, err := rp.ValidateLogin(user, st.Session, parsed)
	if err != nil {
		return s.ceremonyError(r, refused, http.StatusBadRequest, "The passkey's answer could not be verified", err)
	}
	_, err = s.db.RecordPasskeyUse(r.Context(), s.Actor(r), p.User.ID, cred.ID,
		parsed.Response.AuthenticatorData.Counter, uint8(cred.Flags.ProtocolValue()))
	if errors.Is(err, store.ErrCloneSuspected) {
		return &HTTPError{Code: http.StatusForbidden, Err: err,
			Msg: "This passkey was refused: its signature counter went backwards, which suggests it has been copied. Use another second factor, then remove this passkey."}
	} else if err != nil {
		return err
	}
	if err := s.RotateSession(w, r, p, s.db.Now().UTC(), "passkey"); err != nil {
		return err
	}
	to := safeNext(r.URL.Query().Get("next"))
	if step := s.pendingStep(r, p); step != "" {
		to = step + "?next=" + url.QueryEscape(to)
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Redirect string `json:"redirect"`
	}{to})
	return nil
}
