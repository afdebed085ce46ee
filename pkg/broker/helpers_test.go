package broker_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/broker"
	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/fchttp"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/osscallback"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/uploadhandle"
	"github.com/ossbroker/ossbroker/pkg/uploadticket"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// The test environments: a broker wired to a local OSS server over loopback
// HTTP (newEnv, and newRoutesEnv with the RAM policy every route needs), one
// set up for webhooks (newWhEnv, on top of newEnv), and one whose signer has
// no credentials (brokerWithoutCredentials, too), with the helpers that send
// them requests.

const (
	bucket      = "examplebucket"
	region      = "cn-hangzhou"
	ramID       = "LTAI5tRamUserTest"
	ramSecret   = "RamUserSecretForTests0123"
	ownerID     = "LTAI5tOwnerTest"
	ownerSecret = "OwnerSecretForTests012345"
	issuer      = "https://issuer.example/"
	audience    = "ossbroker"
)

var (
	hsSecret     = []byte("0123456789abcdef0123456789abcdef-test")
	handleSecret = []byte("multipart-handle-secret-for-tests-0123456789")
)

// env is one broker wired to a local OSS server over loopback HTTP.
type env struct {
	t       *testing.T
	url     string // broker
	oss     *oss.Client
	ossURL  string
	logs    *syncBuffer
	handler *broker.Broker
	emu     *ossemu.Server // the local OSS server
	// keyDials counts connections the callback verifier made to any host
	// but the local OSS server (callbacks on).
	keyDials *atomic.Int64
	// tickets seals callback tickets with the broker's key (callbacks on).
	tickets *uploadticket.Sealer
}

type options struct {
	prefix       string
	contentTypes string
	endpoint     string // override the OSS endpoint (fault tests)
	maxDirect    int64
	maxUpload    int64 // MAX_UPLOAD_BYTES; default OSS's 5 GiB single-PUT limit
	origins      []string
	sts          bool   // sign with STS credentials (a security token) instead of the RAM pair
	noDownloads  bool   // leave POST /v1/presign-get off (ALLOW_DOWNLOADS unset)
	publicKeyPEM []byte // verify tokens with this key instead of hsSecret
	ossLogs      io.Writer

	ramPolicy     *ossemu.Policy   // the RAM user's policy; default the docs' PutObject-only one
	requireScopes bool             // REQUIRE_SCOPES
	scopeClaim    string           // JWT_SCOPE_CLAIM
	noHandles     bool             // no handle secret: multipart off
	now           func() time.Time // the broker's clock (handle expiry)

	// callbacks turns on upload callbacks and inspection; rejectAction is
	// REJECTED_UPLOADS (default quarantine); callbackURL overrides the URL OSS
	// calls (default: this broker's /v1/callbacks/oss); callbackKey signs
	// the local OSS server's callbacks.
	callbacks    bool
	rejectAction inspect.Action
	callbackURL  string
	callbackKey  *rsa.PrivateKey

	// notifyURL turns on notifications to it, signed with notifySecret.
	notifyURL string

	// inspectorFirst runs the OSS-triggered inspector's judgement (the
	// same inspect.Inspector, owner credentials) on each object-created
	// event under the prefix before OSS answers the write: the inspector
	// always gets there before the route that wrote.
	inspectorFirst bool

	// webhooks are the senders POST /v1/webhooks/{source} accepts, with
	// their timestamps' tolerance.
	webhooks         []webhook.Source
	webhookTolerance time.Duration
	// noCredentials leaves the signer without credentials (a function
	// without a RAM pair or role): every route that signs answers 502.
	noCredentials bool
}

const stsToken = "CAIS-sts-security-token-for-tests-0123456789"

func newEnv(t *testing.T, o options) *env {
	t.Helper()
	if o.prefix == "" {
		o.prefix = "exampledir/"
	}
	if o.maxDirect == 0 {
		o.maxDirect = 1 << 20
	}
	if o.maxUpload == 0 {
		o.maxUpload = storage.MaxPutSize
	}
	keys, err := objectkey.NewPolicy(o.prefix)
	if err != nil {
		t.Fatal(err)
	}
	ram := ossemu.User{AccessKeyID: ramID, AccessKeySecret: ramSecret, Policy: ossemu.PutPolicy(bucket, keys.Pattern())}
	if o.callbacks {
		verdict, quarantine := "oss:DeleteObject", ""
		switch o.rejectAction {
		case inspect.Tag:
			verdict = `oss:PutObjectTagging","oss:GetObjectTagging`
		case "", inspect.Quarantine:
			quarantine = `,{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject"],"Resource":["acs:oss:*:*:` + bucket + `/` + inspect.QuarantineFolder + `*"]}`
		}
		pol, err := ossemu.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:ListParts",` +
			`"oss:AbortMultipartUpload","oss:GetObject","` + verdict + `"],"Resource":["acs:oss:*:*:` + bucket + `/` + keys.Pattern() + `*"]}` + quarantine + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		ram.Policy = pol
	}
	if o.ramPolicy != nil {
		ram.Policy = o.ramPolicy
	}
	creds := storage.Credentials(ramID, ramSecret, nil)
	if o.noCredentials {
		creds = storage.Credentials("", "", func(string) string { return "" })
	}
	if o.sts {
		ram.SecurityToken = stsToken
		stsEnv := map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": ramID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ramSecret, "ALIBABA_CLOUD_SECURITY_TOKEN": stsToken}
		creds = storage.Credentials("", "", func(k string) string { return stsEnv[k] })
	}
	var first *inspect.Inspector // set below, once the server's address is known
	var triggers []ossemu.EventTrigger
	if o.inspectorFirst {
		triggers = []ossemu.EventTrigger{{Events: []string{"oss:ObjectCreated:*"}, Prefix: o.prefix, Deliver: func(raw []byte) {
			var ev events.OssEvent
			if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Events) != 1 {
				t.Errorf("event %s: %v", raw, err)
				return
			}
			o := ev.Events[0].Oss.Object
			if _, err := first.Inspect(context.Background(), inspect.Request{Bucket: bucket, Key: *o.Key, ETag: *o.ETag}); err != nil {
				t.Errorf("the inspector, first: %v", err)
			}
		}}}
	}
	var ossLog *slog.Logger
	if o.ossLogs != nil {
		ossLog = slog.New(slog.NewJSONHandler(o.ossLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := ossemu.New(ossemu.Config{
		Region:      region,
		Buckets:     []string{bucket},
		Users:       []ossemu.User{ram, {AccessKeyID: ownerID, AccessKeySecret: ownerSecret}},
		Logger:      ossLog,
		CallbackKey: o.callbackKey,
		Triggers:    triggers,
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ossURL := "http://" + addr.String()
	endpoint := ossURL
	if o.endpoint != "" {
		endpoint = o.endpoint
	}
	store, err := storage.New(storage.Config{
		Bucket: bucket, Region: region, Endpoint: endpoint, PathStyle: true,
		Credentials:    creds,
		ConnectTimeout: time.Second, RequestTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ac := auth.Config{HS256Secret: hsSecret, Issuer: issuer, Audience: audience, Leeway: 30 * time.Second}
	if o.publicKeyPEM != nil {
		ac.HS256Secret, ac.PublicKeyPEM = nil, o.publicKeyPEM
	}
	verifier, err := auth.NewVerifier(context.Background(), ac)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(verifier.Close)
	types, err := mediatype.ParseAllowlist(o.contentTypes)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	var handles *uploadhandle.Sealer
	if !o.noHandles {
		hk, err := uploadhandle.DeriveKey(handleSecret)
		if err != nil {
			t.Fatal(err)
		}
		handles, _ = uploadhandle.New(hk)
	}
	hs := httptest.NewUnstartedServer(nil)
	var cbURL string
	var cbVerifier *osscallback.Verifier
	var inspector *inspect.Inspector
	var tickets *uploadticket.Sealer
	keyDials := &atomic.Int64{}
	if o.callbacks {
		tk, err := uploadticket.DeriveKey(handleSecret)
		if err != nil {
			t.Fatal(err)
		}
		tickets, _ = uploadticket.New(tk)
		cbURL = "http://" + hs.Listener.Addr().String() + "/v1/callbacks/oss"
		if o.callbackURL != "" {
			cbURL = o.callbackURL
		}
		// Keys come from the local OSS server only; a connection to any
		// other address is counted and refused.
		cbVerifier = &osscallback.Verifier{Trusted: []string{srv.CallbackKeyURL()}, Client: &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
				if a != addr.String() {
					keyDials.Add(1)
					return nil, errors.New("test: dial to " + a + " refused")
				}
				return (&net.Dialer{}).DialContext(ctx, network, a)
			}}}}
		inspector, err = inspect.New(inspect.Config{Store: store, Allowed: types, MaxSize: 100 << 20, Action: o.rejectAction})
		if err != nil {
			t.Fatal(err)
		}
		if o.inspectorFirst {
			ownerStore, err := storage.New(storage.Config{Bucket: bucket, Region: region, Endpoint: ossURL, PathStyle: true,
				Credentials: storage.Credentials(ownerID, ownerSecret, nil)})
			if err != nil {
				t.Fatal(err)
			}
			if first, err = inspect.New(inspect.Config{Store: ownerStore, Allowed: types, MaxSize: 100 << 20, Action: o.rejectAction}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var notifier *notify.Notifier
	if o.notifyURL != "" {
		src, err := webhook.NewSource("uploads", webhook.Standard, "NOTIFICATION_SECRET", notifySecret)
		if err != nil {
			t.Fatal(err)
		}
		if notifier, err = notify.New(notify.Config{URL: o.notifyURL, Signer: src, Timeout: broker.NotifyTimeout}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := broker.New(broker.Config{
		CallbackURL: cbURL, CallbackVerifier: cbVerifier, Tickets: tickets, Inspector: inspector, Notifier: notifier,
		Auth: verifier, Keys: keys, Storage: store,
		ContentTypes: types,
		PresignTTL:   15 * time.Minute, PresignMaxTTL: time.Hour,
		MaxUploadBytes: o.maxUpload, MaxDirectUploadBytes: o.maxDirect,
		AllowedOrigins: o.origins,
		AllowDownloads: !o.noDownloads,
		RequireScopes:  o.requireScopes, ScopeClaim: o.scopeClaim,
		Handles: handles, Now: o.now,
		Webhooks: o.webhooks, WebhookTolerance: o.webhookTolerance,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = b
	hs.Start()
	t.Cleanup(hs.Close)
	owner := oss.NewClient(oss.LoadDefaultConfig().WithRegion(region).WithEndpoint(ossURL).
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ownerID, ownerSecret)))
	return &env{t: t, url: hs.URL, oss: owner, ossURL: ossURL, logs: logs, handler: b, emu: srv, keyDials: keyDials, tickets: tickets}
}

func token(t *testing.T, sub string, mutate func(jwt.MapClaims)) string {
	t.Helper()
	claims := jwt.MapClaims{
		"sub": sub, "iss": issuer, "aud": audience,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}
	if mutate != nil {
		mutate(claims)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(hsSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.status, err, r.body)
	}
}

func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message, RequestID string }
	}
	r.json(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" || e.Error.RequestID == "" {
		t.Fatalf("error body lacks code/message/requestId: %s", r.body)
	}
	if r.header.Get("X-Request-Id") != e.Error.RequestID {
		t.Fatalf("X-Request-Id %q != body requestId %q", r.header.Get("X-Request-Id"), e.Error.RequestID)
	}
	return e.Error.Code
}

func do(t *testing.T, method, url string, header map[string]string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

func (e *env) presign(tok string, body any) response {
	e.t.Helper()
	b, _ := json.Marshal(body)
	return do(e.t, "POST", e.url+"/v1/presign", map[string]string{
		"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, b)
}

type presigned struct {
	Method        string
	URL           string
	Headers       map[string]string
	ContentLength *int64 // the pinned length, never a header to set
	Bucket        string
	Key           string
	ExpiresAt     time.Time
}

func (e *env) get(key string) ([]byte, *oss.GetObjectResult, error) {
	res, err := e.oss.GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return b, res, err
}

func (e *env) keys(prefix string) []string {
	e.t.Helper()
	return listKeys(e.t, e.oss, prefix)
}

// listKeys lists the bucket under prefix, as the account owner sees it.
func listKeys(t *testing.T, c *oss.Client, prefix string) []string {
	t.Helper()
	res, err := c.ListObjectsV2(context.Background(), &oss.ListObjectsV2Request{Bucket: oss.Ptr(bucket), Prefix: oss.Ptr(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range res.Contents {
		out = append(out, oss.ToString(o.Key))
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// routePolicy is the RAM policy every route needs (what -print-ram-policy
// prints): PutObject (presign, direct, PostObject, multipart initiate, parts
// and complete), ListParts and AbortMultipartUpload (multipart), GetObject
// (presign-get), on the upload prefix.
func routePolicy(t *testing.T, pattern string) *ossemu.Policy {
	t.Helper()
	p, err := ossemu.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow",
		"Action":["oss:PutObject","oss:ListParts","oss:AbortMultipartUpload","oss:GetObject"],
		"Resource":"acs:oss:*:*:` + bucket + `/` + pattern + `*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newRoutesEnv is newEnv with the RAM policy every route needs.
func newRoutesEnv(t *testing.T, o options) *env {
	t.Helper()
	if o.prefix == "" {
		o.prefix = "exampledir/"
	}
	if o.ramPolicy == nil {
		pattern := strings.NewReplacer("{sub}", "*").Replace(o.prefix)
		o.ramPolicy = routePolicy(t, pattern)
	}
	return newEnv(t, o)
}

// Secrets of the three test senders. The signers below compute signatures
// from the published algorithms, independently of pkg/webhook.
var (
	whStdKey       = []byte("standard-webhooks-key-32-bytes!!")
	whStdSecret    = "whsec_" + base64.StdEncoding.EncodeToString(whStdKey)
	whGitHubSecret = "github-secret-typed-in-the-settings-0123"
	whStripeSecret = "whsec_stripeEndpointSigningSecretABCDEF0123"
)

// whClock is the broker's clock in these tests: 2026-05-14 10:00:00 UTC.
var whClock = time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)

type whEnv struct {
	t     *testing.T
	fn    eventFunc
	url   string // the same broker over plain HTTP
	oss   *oss.Client
	logs  *syncBuffer
	now   time.Time
	maxWH int64
}

type whOptions struct {
	prefix   string
	policy   func(bucket, pattern string) *ossemu.Policy // the RAM user's; default Put+Get
	putOnly  bool                                        // policy = the OSS docs' PutObject-only one
	noHooks  bool
	maxBytes int64
}

// putGetPolicy is what the route needs: PutObject on the prefix, GetObject
// (HEAD) on the webhooks folder.
func putGetPolicy(bucket, pattern string) *ossemu.Policy {
	p := ossemu.PutPolicy(bucket, pattern)
	p.Statement = append(p.Statement, ossemu.Statement{Effect: "Allow", Action: []string{"oss:GetObject"},
		Resource: []string{"acs:oss:*:*:" + bucket + "/" + pattern + "webhooks/*"}})
	return p
}

func newWhEnv(t *testing.T, o whOptions) *whEnv {
	t.Helper()
	if o.prefix == "" {
		o.prefix = "exampledir/"
	}
	switch {
	case o.putOnly:
		o.policy = ossemu.PutPolicy
	case o.policy == nil:
		o.policy = putGetPolicy
	}
	if o.maxBytes == 0 {
		o.maxBytes = 4096
	}
	keys, err := objectkey.NewPolicy(o.prefix)
	if err != nil {
		t.Fatal(err)
	}
	var sources []webhook.Source
	if !o.noHooks {
		for _, s := range []struct {
			name   string
			scheme webhook.Scheme
			secret string
		}{{"std", webhook.Standard, whStdSecret}, {"gh", webhook.GitHub, whGitHubSecret}, {"stripe", webhook.Stripe, whStripeSecret}} {
			src, err := webhook.NewSource(s.name, s.scheme, "TEST_SECRET_"+s.name, s.secret)
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, src)
		}
	}
	e := &whEnv{t: t, now: whClock, maxWH: o.maxBytes}
	// No multipart, no downloads: only what the webhook route uses.
	b := newEnv(t, options{
		prefix: o.prefix, ramPolicy: o.policy(bucket, keys.Pattern()), maxDirect: o.maxBytes,
		noHandles: true, noDownloads: true,
		webhooks: sources, webhookTolerance: 5 * time.Minute,
		now: func() time.Time { return e.now },
	})
	e.fn, e.url, e.oss, e.logs = fchttp.Handler(b.handler), b.url, b.oss, b.logs
	return e
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// brokerWithoutCredentials is a broker whose signer has no credentials (a
// function without a RAM pair or role), multipart and downloads on: every
// route that signs answers 502.
func brokerWithoutCredentials(t *testing.T) string {
	t.Helper()
	return newEnv(t, options{endpoint: "http://" + closedAddr(t), noCredentials: true}).url
}
