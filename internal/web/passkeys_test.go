package web

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/safeguard-health/safeguard/internal/identity"
	"github.com/safeguard-health/safeguard/internal/store"
	"github.com/safeguard-health/safeguard/internal/store/storetest"
)

// softKey is an authenticator in software: it makes the same registration
// and assertion answers a security key would, so the server's checks can be
// driven with answers that are right in every respect but one.
type softKey struct {
	id    []byte
	priv  *ecdsa.PrivateKey
	count uint32
}

func newSoftKey(t *testing.T) *softKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	return &softKey{id: id, priv: priv}
}

var passkeyB64 = base64.RawURLEncoding

// passkeyOptions is the part of the begin answers a test authenticator needs.
type passkeyOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"` // sign-in
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"` // registration
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// passkeyAnswer says how the authenticator's answer deviates from a correct one.
type passkeyAnswer struct {
	origin    string // default http://example.com, httptest's host
	rpID      string // default example.com
	challenge string // default the one asked for
	typ       string // default webauthn.create / webauthn.get
}

func (a passkeyAnswer) clientData(opts passkeyOptions, typ string) []byte {
	if a.origin == "" {
		a.origin = "http://example.com"
	}
	if a.challenge == "" {
		a.challenge = opts.PublicKey.Challenge
	}
	if a.typ == "" {
		a.typ = typ
	}
	b, _ := json.Marshal(map[string]any{"type": a.typ, "challenge": a.challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

func (a passkeyAnswer) rpHash() []byte {
	if a.rpID == "" {
		a.rpID = "example.com"
	}
	h := sha256.Sum256([]byte(a.rpID))
	return h[:]
}

func (k *softKey) coseKey(t *testing.T) []byte {
	t.Helper()
	// The uncompressed point: 0x04, then X and Y of 32 bytes each.
	point, err := k.priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	x, y := point[1:33], point[33:65]
	b, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: 2, Algorithm: -7}, Curve: 1, XCoord: x, YCoord: y})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// register answers a registration begun with opts.
func (k *softKey) register(t *testing.T, opts passkeyOptions, a passkeyAnswer) []byte {
	t.Helper()
	var auth []byte
	auth = append(auth, a.rpHash()...)
	auth = append(auth, 0x45) // user present, user verified, attested credential data
	auth = binary.BigEndian.AppendUint32(auth, k.count)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(k.id)))
	auth = append(auth, k.id...)
	auth = append(auth, k.coseKey(t)...)
	att, err := webauthncbor.Marshal(struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}{"none", map[string]any{}, auth})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": passkeyB64.EncodeToString(k.id), "rawId": passkeyB64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    passkeyB64.EncodeToString(a.clientData(opts, "webauthn.create")),
			"attestationObject": passkeyB64.EncodeToString(att),
			"transports":        []string{"usb", "made-up"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return body
}

// assert answers a sign-in begun with opts, advancing the counter first.
func (k *softKey) assert(t *testing.T, opts passkeyOptions, a passkeyAnswer) []byte {
	t.Helper()
	k.count++
	var auth []byte
	auth = append(auth, a.rpHash()...)
	auth = append(auth, 0x05) // user present, user verified
	auth = binary.BigEndian.AppendUint32(auth, k.count)
	cd := a.clientData(opts, "webauthn.get")
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": passkeyB64.EncodeToString(k.id), "rawId": passkeyB64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    passkeyB64.EncodeToString(cd),
			"authenticatorData": passkeyB64.EncodeToString(auth),
			"signature":         passkeyB64.EncodeToString(sig),
		},
		"clientExtensionResults": map[string]any{},
	})
	return body
}

// postJSON sends a JSON body as a script would.
func (c *browserClient) postJSON(t *testing.T, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("X-CSRF-Token", c.csrf)
	for _, ck := range c.cookies {
		r.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	for _, set := range w.Result().Cookies() {
		for i, ck := range c.cookies {
			if ck.Name == set.Name {
				c.cookies[i] = set
			}
		}
	}
	return w
}

func passkeyBegin(t *testing.T, c *browserClient, path, body string) passkeyOptions {
	t.Helper()
	w := c.postJSON(t, path, []byte(body))
	if w.Code != 200 {
		t.Fatalf("POST %s = %d %s", path, w.Code, w.Body)
	}
	var opts passkeyOptions
	if err := json.Unmarshal(w.Body.Bytes(), &opts); err != nil || opts.PublicKey.Challenge == "" {
		t.Fatalf("POST %s = %s: no challenge (%v)", path, w.Body, err)
	}
	return opts
}

// passkeyFormLogin signs in with the password through the sign-in form, as a
// browser does, leaving any second factor to be passed.
func passkeyFormLogin(t *testing.T, h http.Handler, email string) *browserClient {
	t.Helper()
	f := preSessionForm(t, h, "/login")
	f.values.Set("email", email)
	f.values.Set("password", testPassword)
	w := f.post(t, h, "/login")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("POST /login as %s = %d %s", email, w.Code, w.Body)
	}
	c := &browserClient{h: h, cookies: w.Result().Cookies()}
	me := c.get(t, "/api/v1/me")
	var m MeJSON
	if err := json.Unmarshal(me.Body.Bytes(), &m); err != nil || m.CSRFToken == "" {
		t.Fatalf("GET /api/v1/me = %d %s", me.Code, me.Body)
	}
	c.csrf = m.CSRFToken
	return c
}

// passkeySessionMFA reports when the user's newest session passed a second factor.
func passkeySessionMFA(t *testing.T, db *store.DB, userID int64) time.Time {
	t.Helper()
	ss, err := db.ActiveSessions(context.Background(), userID)
	if err != nil || len(ss) == 0 {
		t.Fatalf("ActiveSessions = %v, %v", ss, err)
	}
	newest := ss[0]
	for _, s := range ss {
		if s.ID > newest.ID {
			newest = s
		}
	}
	return newest.MFAAt
}

func passkeyNewestAudit(t *testing.T, db *store.DB) string {
	t.Helper()
	es, err := db.AuditEntries(context.Background(), 0, 1)
	if err != nil || len(es) == 0 {
		t.Fatalf("AuditEntries = %v, %v", es, err)
	}
	return es[0].Action + " " + es[0].Summary
}

// passkeyRegister registers k as a passkey named name through the routes.
func passkeyRegister(t *testing.T, c *browserClient, k *softKey, name string) passkeyJSON {
	t.Helper()
	opts := passkeyBegin(t, c, "/account/passkeys/register/begin", `{"name":`+quote(name)+`}`)
	w := c.postJSON(t, "/account/passkeys/register/finish", k.register(t, opts, passkeyAnswer{}))
	if w.Code != http.StatusCreated {
		t.Fatalf("register finish = %d %s", w.Code, w.Body)
	}
	var got struct {
		Passkey  passkeyJSON `json:"passkey"`
		Redirect string      `json:"redirect"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	return got.Passkey
}

func TestPasskeyRegisterAndSignIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newTestServer(t, db, Config{})
		createUser(t, db, "kim@example.org", false, 0, "")
		u, _ := db.UserByEmail(ctx, "kim@example.org")
		c := login(t, s, "kim@example.org", testPassword)
		key := newSoftKey(t)

		opts := passkeyBegin(t, c, "/account/passkeys/register/begin", `{"name":"Laptop"}`)
		if opts.PublicKey.RP.ID != "example.com" || opts.PublicKey.User.ID == "" {
			t.Errorf("registration options = %+v, want RP example.com and a user handle", opts.PublicKey)
		}
		w := c.postJSON(t, "/account/passkeys/register/finish?next=/orgs/x", key.register(t, opts, passkeyAnswer{}))
		if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"name":"Laptop"`) ||
			!strings.Contains(w.Body.String(), `"redirect":"/account/passkeys?done=added\u0026next=%2Forgs%2Fx"`) {
			t.Fatalf("register finish = %d %s", w.Code, w.Body)
		}
		if got := passkeyNewestAudit(t, db); !strings.HasPrefix(got, "session.rotate passkey registered") {
			t.Errorf("newest audit = %q, want the session rotated after the first second factor", got)
		}
		keys, _ := db.Passkeys(ctx, u.ID)
		if len(keys) != 1 || keys[0].Name != "Laptop" || strings.Join(keys[0].Transports, ",") != "usb" {
			t.Fatalf("passkeys = %+v, want Laptop with transport usb only", keys)
		}
		if passkeySessionMFA(t, db, u.ID).IsZero() {
			t.Error("enrolling the first passkey did not record the second factor in the session")
		}
		page := c.get(t, "/account/passkeys")
		if page.Code != 200 || !strings.Contains(page.Body.String(), "Laptop") || !strings.Contains(page.Body.String(), "passkeys.js") {
			t.Errorf("GET /account/passkeys = %d, want the list with Laptop", page.Code)
		}
		// The same authenticator again is refused by the browser (excluded)
		// or, if forced, by the server.
		opts = passkeyBegin(t, c, "/account/passkeys/register/begin", `{}`)
		if len(opts.PublicKey.ExcludeCredentials) != 1 || opts.PublicKey.ExcludeCredentials[0].ID != passkeyB64.EncodeToString(key.id) {
			t.Errorf("excludeCredentials = %+v, want the registered key", opts.PublicKey.ExcludeCredentials)
		}
		if w := c.postJSON(t, "/account/passkeys/register/finish", key.register(t, opts, passkeyAnswer{})); w.Code != http.StatusConflict {
			t.Errorf("registering the same key twice = %d %s, want 409", w.Code, w.Body)
		}

		// A new sign-in with the password alone must pass the passkey.
		c2 := passkeyFormLogin(t, s, "kim@example.org")
		if w := c2.postJSON(t, "/account/passkeys/register/begin", []byte(`{"name":"Sneaky"}`)); w.Code != http.StatusForbidden {
			t.Errorf("adding a passkey before passing the second factor = %d, want 403", w.Code)
		}
		opts = passkeyBegin(t, c2, "/login/passkey/begin", `{}`)
		if len(opts.PublicKey.AllowCredentials) != 1 || opts.PublicKey.RPID != "example.com" {
			t.Errorf("sign-in options = %+v, want the one key and RP example.com", opts.PublicKey)
		}
		w = c2.postJSON(t, "/login/passkey/finish?next=/account", key.assert(t, opts, passkeyAnswer{}))
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"redirect":"/account"`) {
			t.Fatalf("sign-in finish = %d %s", w.Code, w.Body)
		}
		if passkeySessionMFA(t, db, u.ID).IsZero() {
			t.Error("the passkey did not record the second factor in the session")
		}
		keys, _ = db.Passkeys(ctx, u.ID)
		if keys[0].SignCount != key.count || keys[0].LastUsedAt.IsZero() {
			t.Errorf("after sign-in the stored key = %+v, want counter %d and a last use", keys[0], key.count)
		}
		// Now it may manage passkeys.
		if w := c2.postJSON(t, "/account/passkeys/register/begin", []byte(`{"name":"Phone"}`)); w.Code != 200 {
			t.Errorf("adding a passkey after passing the second factor = %d %s", w.Code, w.Body)
		}
	})
}

func TestPasskeyCeremonyRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newTestServer(t, db, Config{})
		createUser(t, db, "kim@example.org", false, 0, "")
		u, _ := db.UserByEmail(ctx, "kim@example.org")
		key := newSoftKey(t)
		passkeyRegister(t, login(t, s, "kim@example.org", testPassword), key, "Laptop")

		// Registration refusals, on a session that may register.
		reg := passkeyFormLogin(t, s, "kim@example.org")
		if w := reg.postJSON(t, "/login/passkey/finish", []byte(`{}`)); w.Code != 400 {
			t.Fatalf("finish without begin = %d", w.Code)
		}
		registerTests := []struct {
			name string
			a    passkeyAnswer
			want string
		}{
			{"other origin", passkeyAnswer{origin: "http://evil.example"}, "could not be verified"},
			{"other RP ID", passkeyAnswer{rpID: "evil.example"}, "could not be verified"},
			{"wrong challenge", passkeyAnswer{challenge: passkeyB64.EncodeToString(make([]byte, 32))}, "could not be verified"},
			{"sign-in answer to a registration", passkeyAnswer{typ: "webauthn.get"}, "could not be verified"},
		}
		for _, tt := range registerTests {
			// This session passed no second factor but the user has one, so
			// it may not register: use a fully signed-in one.
			c := passkeyFormLogin(t, s, "kim@example.org")
			passkeySignIn(t, c, key)
			opts := passkeyBegin(t, c, "/account/passkeys/register/begin", `{"name":"Second"}`)
			w := c.postJSON(t, "/account/passkeys/register/finish", newSoftKey(t).register(t, opts, tt.a))
			if w.Code != 400 || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("%s: register finish = %d %s, want 400 %q", tt.name, w.Code, w.Body, tt.want)
			}
			if got := passkeyNewestAudit(t, db); !strings.HasPrefix(got, "passkey.register_refused") {
				t.Errorf("%s: newest audit = %q, want passkey.register_refused", tt.name, got)
			}
		}
		if keys, _ := db.Passkeys(ctx, u.ID); len(keys) != 1 {
			t.Errorf("after refused registrations the user has %d passkeys, want 1", len(keys))
		}

		// Sign-in refusals: each on a password-only session, which must stay
		// without its second factor.
		loginTests := []struct {
			name   string
			answer func(c *browserClient, opts passkeyOptions) []byte
			status int
			want   string
		}{
			{"other origin", func(c *browserClient, o passkeyOptions) []byte {
				return key.assert(t, o, passkeyAnswer{origin: "http://evil.example"})
			}, 400, "could not be verified"},
			{"other RP ID", func(c *browserClient, o passkeyOptions) []byte {
				return key.assert(t, o, passkeyAnswer{rpID: "evil.example"})
			}, 400, "could not be verified"},
			{"wrong challenge", func(c *browserClient, o passkeyOptions) []byte {
				return key.assert(t, o, passkeyAnswer{challenge: passkeyB64.EncodeToString([]byte("a challenge never given out"))})
			}, 400, "could not be verified"},
			{"unknown credential", func(c *browserClient, o passkeyOptions) []byte { return newSoftKey(t).assert(t, o, passkeyAnswer{}) }, 400, "not registered to your account"},
			{"bad signature", func(c *browserClient, o passkeyOptions) []byte {
				other := newSoftKey(t)
				other.id = key.id
				return other.assert(t, o, passkeyAnswer{})
			}, 400, "could not be verified"},
			{"malformed", func(c *browserClient, o passkeyOptions) []byte { return []byte(`{"id":"AA","type":"public-key"}`) }, 400, "could not be read"},
			{"counter went backwards", func(c *browserClient, o passkeyOptions) []byte {
				saved := key.count
				key.count = 0
				b := key.assert(t, o, passkeyAnswer{})
				key.count = saved
				return b
			}, 403, "signature counter went backwards"},
			{"replayed", func(c *browserClient, o passkeyOptions) []byte {
				b := key.assert(t, o, passkeyAnswer{})
				if w := c.postJSON(t, "/login/passkey/finish", b); w.Code != 200 {
					t.Fatalf("first use = %d %s", w.Code, w.Body)
				}
				return b
			}, 400, "answered already or never made"},
			{"expired", func(c *browserClient, o passkeyOptions) []byte {
				real := db.Now
				db.Now = func() time.Time { return real().Add(ceremonyTTL + time.Second) }
				t.Cleanup(func() { db.Now = real })
				return key.assert(t, o, passkeyAnswer{})
			}, 400, "expired"},
		}
		for _, tt := range loginTests {
			db.Now = time.Now
			c := passkeyFormLogin(t, s, "kim@example.org")
			opts := passkeyBegin(t, c, "/login/passkey/begin", `{}`)
			before, _ := db.Passkeys(ctx, u.ID)
			body := tt.answer(c, opts)
			w := c.postJSON(t, "/login/passkey/finish", body)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("%s: sign-in finish = %d %s, want %d %q", tt.name, w.Code, w.Body, tt.status, tt.want)
			}
			wantAudit := "passkey.login_refused"
			if tt.status == 403 {
				wantAudit = "passkey.clone_suspected"
			}
			got := passkeyNewestAudit(t, db)
			if !strings.HasPrefix(got, wantAudit) {
				t.Errorf("%s: newest audit = %q, want %s", tt.name, got, wantAudit)
			}
			if tt.name == "other origin" && !strings.Contains(got, "evil.example") {
				t.Errorf("%s: audit %q does not name the origin", tt.name, got)
			}
			after, _ := db.Passkeys(ctx, u.ID)
			if tt.name != "replayed" {
				if !passkeySessionMFA(t, db, u.ID).IsZero() {
					t.Errorf("%s: the refused answer passed the session's second factor", tt.name)
				}
				if after[0].SignCount != before[0].SignCount || !after[0].LastUsedAt.Equal(before[0].LastUsedAt) {
					t.Errorf("%s: the refused answer changed the stored key: %+v -> %+v", tt.name, before[0], after[0])
				}
			}
			// The ceremony is used up either way.
			if w := c.postJSON(t, "/login/passkey/finish", body); w.Code != 400 || !strings.Contains(w.Body.String(), "answered already") {
				t.Errorf("%s: answering again = %d %s, want 400", tt.name, w.Code, w.Body)
			}
		}
		db.Now = time.Now

		// A ceremony belongs to the session that began it.
		a, b := passkeyFormLogin(t, s, "kim@example.org"), passkeyFormLogin(t, s, "kim@example.org")
		opts := passkeyBegin(t, a, "/login/passkey/begin", `{}`)
		if w := b.postJSON(t, "/login/passkey/finish", key.assert(t, opts, passkeyAnswer{})); w.Code != 400 {
			t.Errorf("finishing another session's ceremony = %d %s, want 400", w.Code, w.Body)
		}
	})
}

// passkeySignIn passes the second factor of c's session with k.
func passkeySignIn(t *testing.T, c *browserClient, k *softKey) {
	t.Helper()
	opts := passkeyBegin(t, c, "/login/passkey/begin", `{}`)
	if w := c.postJSON(t, "/login/passkey/finish", k.assert(t, opts, passkeyAnswer{})); w.Code != 200 {
		t.Fatalf("passkey sign-in = %d %s", w.Code, w.Body)
	}
}

func TestPasskeyManage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newTestServer(t, db, Config{})
		org, err := db.CreateOrg(ctx, store.Actor{Name: "test"}, identity.Org{Slug: "org-a", Name: "A", Kind: identity.KindProvider})
		if err != nil {
			t.Fatal(err)
		}
		createUser(t, db, "owner@example.org", false, org.ID, identity.RoleOwner)
		createUser(t, db, "other@example.org", false, 0, "")
		u, _ := db.UserByEmail(ctx, "owner@example.org")
		c := login(t, s, "owner@example.org", testPassword)
		key := newSoftKey(t)
		pk := passkeyRegister(t, c, key, "Laptop")
		id := passkeyIDString(pk.ID)

		form := func(c *browserClient, path string, v url.Values) *httptest.ResponseRecorder {
			v.Set("csrf", c.csrf)
			return c.do(t, "POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
		}
		if w := form(c, "/account/passkeys/"+id+"/rename", url.Values{"name": {"Work laptop"}}); w.Code != http.StatusSeeOther ||
			w.Header().Get("Location") != "/account/passkeys?done=renamed" {
			t.Errorf("rename = %d %s", w.Code, w.Header().Get("Location"))
		}
		if got := passkeyNewestAudit(t, db); !strings.HasPrefix(got, "passkey.rename") {
			t.Errorf("newest audit = %q, want passkey.rename", got)
		}
		w := form(c, "/account/passkeys/"+id+"/rename", url.Values{"name": {strings.Repeat("x", 65)}})
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="rename-`+id+`-problem"`) {
			t.Errorf("rename to an overlong name = %d, want 422 with the problem beside the field", w.Code)
		}
		if w := c.postJSON(t, "/account/passkeys/"+id+"/rename", []byte(`{"name":"Desk key"}`)); w.Code != 200 || !strings.Contains(w.Body.String(), `"name":"Desk key"`) {
			t.Errorf("rename as JSON = %d %s", w.Code, w.Body)
		}
		for _, bad := range []string{"0", "-1", "x", "99999"} {
			if w := form(c, "/account/passkeys/"+bad+"/rename", url.Values{"name": {"A"}}); w.Code != 404 {
				t.Errorf("rename passkey %s = %d, want 404", bad, w.Code)
			}
		}
		// Someone else cannot touch it.
		other := login(t, s, "other@example.org", testPassword)
		if w := form(other, "/account/passkeys/"+id+"/delete", url.Values{}); w.Code != 404 {
			t.Errorf("deleting another user's passkey = %d, want 404", w.Code)
		}
		// An owner must keep a second factor.
		w = form(c, "/account/passkeys/"+id+"/delete", url.Values{})
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "only second factor") {
			t.Errorf("deleting the owner's last passkey = %d, want 409 with the reason", w.Code)
		}
		if got := passkeyNewestAudit(t, db); !strings.HasPrefix(got, "passkey.remove_refused") {
			t.Errorf("newest audit = %q, want passkey.remove_refused", got)
		}
		second := passkeyRegister(t, c, newSoftKey(t), "Spare")
		if w := form(c, "/account/passkeys/"+passkeyIDString(second.ID)+"/delete", url.Values{}); w.Code != http.StatusSeeOther {
			t.Errorf("deleting one of two passkeys = %d", w.Code)
		}
		if got := passkeyNewestAudit(t, db); !strings.HasPrefix(got, "passkey.remove") {
			t.Errorf("newest audit = %q, want passkey.remove", got)
		}
		if keys, _ := db.Passkeys(ctx, u.ID); len(keys) != 1 || keys[0].Name != "Desk key" {
			t.Errorf("passkeys left = %+v, want Desk key", keys)
		}
		// A password-only session of a user with a passkey may not manage.
		half := passkeyFormLogin(t, s, "owner@example.org")
		if w := form(half, "/account/passkeys/"+id+"/delete", url.Values{}); w.Code != http.StatusForbidden {
			t.Errorf("deleting from a session without its second factor = %d, want 403", w.Code)
		}
		if w := half.get(t, "/account/passkeys"); w.Code != 200 || strings.Contains(w.Body.String(), "/delete") {
			t.Errorf("GET /account/passkeys without the second factor = %d, want the list without remove buttons", w.Code)
		}
		// Bad names at the start of a registration.
		for _, body := range []string{`{"name":"` + strings.Repeat("n", 65) + `"}`, `{"name":"a\nb"}`, `{"nom":"x"}`, `[`, `{"name":1}`} {
			if w := c.postJSON(t, "/account/passkeys/register/begin", []byte(body)); w.Code != 400 && w.Code != 422 {
				t.Errorf("register begin %s = %d, want 400 or 422", body, w.Code)
			}
		}
	})
}

func TestPasskeyAPITokenRefused(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	ctx := context.Background()
	s, _ := newTestServer(t, db, Config{})
	createUser(t, db, "kim@example.org", false, 0, "")
	u, _ := db.UserByEmail(ctx, "kim@example.org")
	secret, _ := identity.NewSecret(identity.PrefixToken)
	if _, err := db.CreateToken(ctx, store.Actor{Name: "test"}, identity.HashSecret(secret), store.Token{UserID: u.ID, Scope: identity.ScopeAdmin}, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/account/passkeys/register/begin", "/login/passkey/begin", "/login/passkey/finish"} {
		r := httptest.NewRequest("POST", path, strings.NewReader(`{"name":"x"}`))
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("POST %s with an API token = %d, want 403", path, w.Code)
		}
	}
}

func TestRelyingPartyFromHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host    string
		secure  bool
		id      string
		origins string
	}{
		{"127.0.0.1:8080", false, "localhost", "http://localhost:8080 http://127.0.0.1:8080"},
		{"localhost:43121", false, "localhost", "http://localhost:43121 http://127.0.0.1:43121"},
		{"[::1]:9000", false, "localhost", "http://localhost:9000 http://127.0.0.1:9000"},
		{"Safeguard.Example.org", true, "safeguard.example.org", "https://safeguard.example.org"},
		{"safeguard.example.org:8443", true, "safeguard.example.org", "https://safeguard.example.org:8443"},
	}
	for _, tt := range tests {
		id, origins := rpFromHost(tt.host, tt.secure)
		if id != tt.id || strings.Join(origins, " ") != tt.origins {
			t.Errorf("rpFromHost(%q, %t) = %q, %q, want %q, %q", tt.host, tt.secure, id, origins, tt.id, tt.origins)
		}
	}

	// Configured values win; an IP address cannot be a relying party.
	db := storetest.SQLite(t)
	s, _ := newTestServer(t, db, Config{RPID: "safeguard.example.org", RPOrigins: []string{"https://safeguard.example.org"}})
	r := httptest.NewRequest("GET", "http://10.1.2.3/", nil)
	rp, err := s.relyingParty(r)
	if err != nil || rp.Config.RPID != "safeguard.example.org" || rp.Config.RPOrigins[0] != "https://safeguard.example.org" {
		t.Errorf("relyingParty with configuration = %+v, %v", rp, err)
	}
	s2, _ := newTestServer(t, db, Config{})
	if _, err := s2.relyingParty(r); err == nil || classify(err).Code != 400 {
		t.Errorf("relyingParty at an IP address = %v, want a 400 explaining why", err)
	}
}

func passkeyIDString(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// FuzzPasskeyName checks that whatever name a person types is either refused
// with a field problem or stored trimmed, bounded and on one line.
func FuzzPasskeyName(f *testing.F) {
	for _, s := range []string{"", "Laptop", "  Blue key  ", strings.Repeat("é", 65), "a\nb", "\x00", "\u202eevil", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, err := passkeyNameFrom(in)
		if err != nil {
			if classify(err).Code != http.StatusUnprocessableEntity {
				t.Fatalf("passkeyNameFrom(%q) = %v, want a field problem", in, err)
			}
			return
		}
		if name == "" || name != strings.TrimSpace(name) || len([]rune(name)) > identity.MaxPasskeyName || strings.ContainsAny(name, "\r\n\x00") {
			t.Fatalf("passkeyNameFrom(%q) = %q", in, name)
		}
		if again, err := passkeyNameFrom(name); err != nil || again != name {
			t.Fatalf("passkeyNameFrom(%q) = %q, %v; not stable", name, again, err)
		}
	})
}

// FuzzPasskeyRequests sends arbitrary bodies to every passkey route that
// reads one: none may fail with a server error or change a passkey.
func FuzzPasskeyRequests(f *testing.F) {
	db := storetest.SQLite(f)
	s, err := New(Config{DB: db, Hasher: testHasher, Version: "test"})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	hash, err := testHasher.Hash(ctx, testPassword)
	if err != nil {
		f.Fatal(err)
	}
	u, err := db.CreateUser(ctx, store.Actor{Name: "test"}, store.NewUser{User: identity.User{Email: "kim@example.org"}, PasswordHash: hash})
	if err != nil {
		f.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(`{"email":"kim@example.org","password":"`+testPassword+`"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var me MeJSON
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || w.Code != 200 {
		f.Fatalf("login = %d %s", w.Code, w.Body)
	}
	c := &browserClient{h: s, cookies: w.Result().Cookies(), csrf: me.CSRFToken}
	for _, seed := range []string{`{}`, `{"name":"Laptop"}`, `{"name":null}`, `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}`,
		`{"id":"","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`, `[]`, `null`, "\x00", `{"name":"` + strings.Repeat("a", 70) + `"}`} {
		f.Add(seed, "1")
	}
	f.Fuzz(func(t *testing.T, body, id string) {
		paths := []string{"/account/passkeys/register/begin", "/account/passkeys/register/finish", "/login/passkey/begin", "/login/passkey/finish",
			"/account/passkeys/" + url.PathEscape(id) + "/rename"}
		for _, p := range paths {
			// Begin a ceremony first so that the finish routes read the body.
			if strings.HasSuffix(p, "/register/finish") {
				c.postJSON(t, "/account/passkeys/register/begin", []byte(`{}`))
			}
			w := c.postJSON(t, p, []byte(body))
			if w.Code >= 500 {
				t.Fatalf("POST %s %q = %d %s", p, body, w.Code, w.Body)
			}
		}
		if keys, _ := db.Passkeys(ctx, u.ID); len(keys) != 0 {
			t.Fatalf("body %q registered a passkey", body)
		}
	})
}
