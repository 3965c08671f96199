// Package oidctest is a small, real OpenID Connect provider for tests of
// single sign-on, in-process (httptest) and reachable by a real browser.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Provider is a small, real OpenID Connect provider for tests: a
// discovery document, a JWKS, an authorization endpoint that at once signs
// in the configured person, and a token endpoint that checks the client
// secret, the redirect URI and the PKCE verifier and returns an ID token
// signed with RS256 (a JWS built here by hand from crypto/rsa).
type Provider struct {
	t            testing.TB
	srv          *httptest.Server
	key          *rsa.PrivateKey
	kid          string
	clientID     string
	clientSecret string

	mu    sync.Mutex
	user  User
	codes map[string]*oidcGrant
	// tamper, when set, changes the claims of the ID tokens issued.
	tamper func(claims map[string]any)
	// signer, when set, signs ID tokens instead of key (whose public half
	// alone is published).
	signer *rsa.PrivateKey
	// tokenCalls counts requests to the token endpoint.
	tokenCalls int
}

// User is the person the provider signs in.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
	AMR           []string
}

type oidcGrant struct {
	clientID, redirectURI, challenge, nonce string
	user                                    User
	used                                    bool
}

// New starts a provider that knows one client; it stops when the test ends.
func New(t testing.TB, clientID, clientSecret string) *Provider {
	t.Helper()
	p := &Provider{t: t, key: RSAKey(t), kid: "test-key-1", clientID: clientID, clientSecret: clientSecret, codes: map[string]*oidcGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// RSAKey is a new 2048-bit RSA key.
func RSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Issuer is the provider's issuer identifier.
func (p *Provider) Issuer() string { return p.srv.URL }

// SetUser chooses who the next sign-in is.
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// Tamper makes the provider change the claims of the ID tokens it issues.
func (p *Provider) Tamper(fn func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = fn
}

// SignWith makes the provider sign ID tokens with another key than the one
// it publishes.
func (p *Provider) SignWith(k *rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signer = k
}

// TokenCalls counts requests to the token endpoint.
func (p *Provider) TokenCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenCalls
}

func writeProviderJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a test server: a failed write shows up in the test
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	base := p.srv.URL
	writeProviderJSON(w, 200, map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"jwks_uri":                              base + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "email", "profile", "groups"},
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	pub := p.key.PublicKey
	writeProviderJSON(w, 200, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorize checks the request as a provider must, then signs the
// configured person in without asking and sends the browser back.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", 400)
		return
	case q.Get("client_id") != p.clientID:
		http.Error(w, "unknown client", 400)
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		http.Error(w, "PKCE with S256 is required", 400)
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		http.Error(w, "scope must include openid", 400)
		return
	case q.Get("state") == "" || q.Get("nonce") == "" || q.Get("redirect_uri") == "":
		http.Error(w, "state, nonce and redirect_uri are required", 400)
		return
	}
	code := b64(randomBytes(p.t, 24))
	p.mu.Lock()
	p.codes[code] = &oidcGrant{clientID: p.clientID, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
		nonce: q.Get("nonce"), user: p.user}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", 400)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Error(err)
	}
	return b
}

func tokenError(w http.ResponseWriter, status int, code string) {
	writeProviderJSON(w, status, map[string]string{"error": code, "error_description": code})
}

// token redeems a code: client authentication (HTTP Basic or form), the
// same redirect URI, the PKCE verifier, and each code once.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenCalls++
	if err := r.ParseForm(); err != nil {
		tokenError(w, 400, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.clientSecret)) != 1 {
		tokenError(w, 401, "invalid_client")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, 400, "unsupported_grant_type")
		return
	}
	g, ok := p.codes[r.PostForm.Get("code")]
	if !ok || g.used || g.redirectURI != r.PostForm.Get("redirect_uri") || g.clientID != id {
		tokenError(w, 400, "invalid_grant")
		return
	}
	g.used = true
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if b64(sum[:]) != g.challenge {
		tokenError(w, 400, "invalid_grant")
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss":            p.srv.URL,
		"sub":            g.user.Subject,
		"aud":            p.clientID,
		"exp":            now.Add(5 * time.Minute).Unix(),
		"iat":            now.Unix(),
		"nonce":          g.nonce,
		"email":          g.user.Email,
		"email_verified": g.user.EmailVerified,
		"name":           g.user.Name,
	}
	if g.user.Groups != nil {
		claims["groups"] = g.user.Groups
	}
	if g.user.AMR != nil {
		claims["amr"] = g.user.AMR
	}
	if p.tamper != nil {
		p.tamper(claims)
	}
	key := p.key
	if p.signer != nil {
		key = p.signer
	}
	idToken, err := signJWT(key, p.kid, claims)
	if err != nil {
		p.t.Errorf("sign ID token: %v", err)
		tokenError(w, 500, "server_error")
		return
	}
	writeProviderJSON(w, 200, map[string]any{
		"access_token": b64(randomBytes(p.t, 24)),
		"token_type":   "Bearer",
		"expires_in":   300,
		"id_token":     idToken,
	})
}

// signJWT returns claims as a JWS in compact form (RFC 7515, section 7.1),
// signed with RS256.
func signJWT(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(header) + "." + b64(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}
