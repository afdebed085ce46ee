package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossbroker/ossbroker/pkg/assemble"
	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/fchttp"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/uploadevent"
)

// devEnv is the environment of local mode: the process environment, with
// defaults that point the broker at the local OSS server and fill in what a
// laptop has no value for (key pairs, a JWT secret).
type devEnv struct {
	vars      map[string]string
	generated []string // names of the values made up here, to print
	getenv    func(string) string
}

// newDevEnv fills in local mode's defaults. kept holds the values a
// previous run generated (keptFile), so that a restart keeps its tokens and
// keys working with the objects it stored; nil generates everything afresh.
func newDevEnv(getenv func(string) string, kept map[string]string) *devEnv {
	e := &devEnv{vars: map[string]string{}, getenv: getenv}
	get := func(name, def string) string {
		if v := getenv(name); v != "" {
			e.vars[name] = v
			return v
		}
		if def != "" {
			e.vars[name] = def
		}
		return def
	}
	gen := func(name string, n int, prefix string) {
		if get(name, "") == "" {
			e.vars[name] = kept[name]
			if e.vars[name] == "" {
				e.vars[name] = prefix + randomString(n)
			}
			e.generated = append(e.generated, name)
		}
	}
	ossAddr := get("OSS_EMULATOR_ADDR", "127.0.0.1:9100")
	brokerAddr := get("BROKER_ADDR", "127.0.0.1:9000")
	// Both endpoints are the local OSS server: a cloud value of
	// OSS_INTERNAL_ENDPOINT (from a .env) must not send the broker's own
	// calls elsewhere than the URLs it hands out.
	e.vars["OSS_INTERNAL_ENDPOINT"] = get("OSS_ENDPOINT", "http://"+ossAddr)
	get("DEV_DATA_DIR", ".data")
	get("ALLOWED_ORIGINS", "http://"+brokerAddr)
	// Upload callbacks are on unless PUBLIC_BASE_URL=off: the local OSS
	// server calls the broker back, and every upload's own answer carries
	// the verdict, as in the recommended deployment.
	switch v := getenv("PUBLIC_BASE_URL"); {
	case v == "off":
		e.vars["PUBLIC_BASE_URL"] = ""
	case v == "" && !strings.HasSuffix(brokerAddr, ":0"):
		e.vars["PUBLIC_BASE_URL"] = "http://" + brokerAddr
	}
	gen("OSS_ACCESS_KEY_ID", 12, "LTAIdev")
	gen("OSS_ACCESS_KEY_SECRET", 24, "")
	gen("OSS_EMULATOR_OWNER_KEY_ID", 12, "LTAIowner")
	gen("OSS_EMULATOR_OWNER_KEY_SECRET", 24, "")
	if getenv("JWT_PUBLIC_KEY") == "" && getenv("JWT_JWKS_URL") == "" && getenv("JWT_JWKS") == "" {
		gen("JWT_HS256_SECRET", 32, "")
	}
	// Upload notifications go, by default, to local mode's own webhook
	// sink (source "uploads", Standard Webhooks, the same secret), so a
	// developer sees each one stored under <prefix>webhooks/uploads/.
	// The sink's secret sits in the first webhook secret slot the
	// developer's WEBHOOK_SOURCES leaves free.
	if getenv("NOTIFICATION_URL") == "" {
		if slot := freeWebhookSlot(getenv, getenv("WEBHOOK_SOURCES")); slot != "" {
			e.vars["NOTIFICATION_URL"] = "http://" + brokerAddr + "/v1/webhooks/" + devNotificationSource
			if get("NOTIFICATION_SECRET", "") == "" {
				e.vars["NOTIFICATION_SECRET"] = kept["NOTIFICATION_SECRET"]
				if e.vars["NOTIFICATION_SECRET"] == "" {
					key := make([]byte, 32)
					rand.Read(key)
					e.vars["NOTIFICATION_SECRET"] = "whsec_" + base64.StdEncoding.EncodeToString(key)
				}
				e.generated = append(e.generated, "NOTIFICATION_SECRET")
			}
			e.vars[slot] = e.vars["NOTIFICATION_SECRET"]
			src := devNotificationSource + ":standard:" + slot
			if ws := getenv("WEBHOOK_SOURCES"); ws != "" {
				src = ws + "," + src
			}
			e.vars["WEBHOOK_SOURCES"] = src
		}
	}
	get("OSS_INSPECTOR_KEY_ID", "LTAIinspector"+randomString(8))
	get("OSS_INSPECTOR_KEY_SECRET", randomString(24))
	return e
}

// keptFile, in DEV_DATA_DIR, holds the values local mode generated (key
// pairs, the HS256 secret, the notification secret), one NAME=value a
// line, readable by its owner only: beside the bucket they sign for, so a
// restart keeps the last run's tokens valid for the objects they stored.
const keptFile = "local-secrets.env"

func readKept(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("local mode's kept secrets: %w", err)
	}
	kept := map[string]string{}
	for line := range strings.Lines(string(b)) {
		if name, value, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			kept[name] = value
		}
	}
	return kept, nil
}

func writeKept(path string, e *devEnv) error {
	var b strings.Builder
	for _, name := range e.generated {
		b.WriteString(name + "=" + e.get(name) + "\n")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("local mode's kept secrets: %w", err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("local mode's kept secrets: %w", err)
	}
	return nil
}

// shown is what the banner prints for a credential: the value when local
// mode generated it, else only where it came from. A value taken from the
// environment may be the developer's real one (exported for other work),
// and a banner ends up in terminals, screenshots and CI logs.
func (e *devEnv) shown(name string) string {
	if slices.Contains(e.generated, name) {
		return e.get(name)
	}
	if e.get(name) == "" {
		return "(none)"
	}
	return "(" + name + " from your environment, not printed)"
}

func (e *devEnv) get(name string) string {
	if v, ok := e.vars[name]; ok {
		return v
	}
	return e.getenv(name)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// freeWebhookSlot is the first of [config.WebhookSecretSlots] that sources
// (a WEBHOOK_SOURCES value) does not name and the environment does not
// set, "" when all four are taken.
func freeWebhookSlot(getenv func(string) string, sources string) string {
	for _, slot := range config.WebhookSecretSlots {
		if !strings.Contains(sources, ":"+slot) && getenv(slot) == "" {
			return slot
		}
	}
	return ""
}

// devNotificationSource is the webhook source local mode's notifications
// are stored under.
const devNotificationSource = "uploads"

// functionTimeout is s.yaml's timeout, which local mode applies too.
const functionTimeout = 30 * time.Second

// runDev is "make run": the local OSS server, then the function behind a
// local FC3 HTTP trigger, so that a request takes the same path through the
// event JSON, the SDK's handler wrapper and the adapter that it takes in the
// cloud.
func runDev(ossOnly, runtimeAPI bool) int {
	keptPath := filepath.Join(cmp.Or(os.Getenv("DEV_DATA_DIR"), ".data"), keptFile)
	kept, err := readKept(keptPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := newDevEnv(os.Getenv, kept)
	cfg, err := config.Load(env.get)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := writeKept(keptPath, env); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log := assemble.Logger(os.Stdout, cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The inspector function behind the local OSS server's trigger: every
	// upload under the prefix is an OSS event, delivered asynchronously
	// through the SDK's handler wrapper and retried as FC does.
	var triggers []ossemu.EventTrigger
	if !ossOnly {
		t, err := startInspector(cfg, env, log)
		if err != nil {
			fmt.Fprintln(os.Stderr, "inspector:", err)
			return 1
		}
		triggers = append(triggers, t)
	}
	oss, err := startOSS(cfg, env, log, triggers...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "local OSS server:", err)
		return 1
	}
	defer oss.Close()
	if ossOnly {
		printBanner(os.Stderr, cfg, env, "")
		<-ctx.Done()
		return 0
	}

	// The broker trusts the local OSS server's callback key, and only in
	// local mode: no setting makes a deployed function trust another host.
	h, closeFn, err := assemble.Broker(ctx, cfg, log, env.get,
		assemble.WithExtra(demoPage(cfg, env.get("JWT_HS256_SECRET"))), assemble.WithTrustedCallbackKeys(oss.CallbackKeyURL()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		return 1
	}
	defer closeFn()

	// Each request becomes FC3's event JSON (the trigger) and runs through
	// the SDK's handler wrapper, as in the cloud. With -runtime-api the
	// event also travels the runtime API to a real fc.Start loop.
	inv := fcemu.Invocation{FunctionName: "ossbroker", Region: cfg.Region, Timeout: functionTimeout}
	fn := fchttp.Handler(h, fchttp.WithLogger(log))
	invoke := fcemu.InProcess(fn, inv)
	if runtimeAPI {
		rt := fcemu.NewRuntimeAPI()
		rtAddr, err := rt.Listen("127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "runtime API:", err)
			return 1
		}
		defer rt.Close()
		os.Setenv("FC_RUNTIME_API", rtAddr.String())
		go fc.Start(fn)
		invoke = rt.InvokeFunc(inv)
	}
	trigger := &fcemu.Trigger{Invoke: invoke, Region: cfg.Region, Logger: log}
	ln, err := net.Listen("tcp", env.get("BROKER_ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		return 1
	}
	srv := &http.Server{Handler: trigger, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("trigger stopped", "error", err.Error())
			stop()
		}
	}()
	printBanner(os.Stderr, cfg, env, ln.Addr().String())
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	return 0
}

// startOSS serves the bucket with the RAM user (limited by the policy
// -print-ram-policy prints for this configuration, or OSS_EMULATOR_POLICY)
// and the account owner (full access).
func startOSS(cfg *config.Config, env *devEnv, log *slog.Logger, triggers ...ossemu.EventTrigger) (*ossemu.Server, error) {
	doc, err := ossconfig.JSON(assemble.BrokerPolicy(cfg))
	if err != nil {
		return nil, err
	}
	policy, err := ossemu.ParsePolicy(doc)
	if err != nil {
		return nil, err
	}
	if path := env.get("OSS_EMULATOR_POLICY"); path != "" {
		doc, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("OSS_EMULATOR_POLICY: %w", err)
		}
		if policy, err = ossemu.ParsePolicy(doc); err != nil {
			return nil, fmt.Errorf("OSS_EMULATOR_POLICY: %w", err)
		}
	}
	// The bucket CORS rule is the one -print-bucket-cors prints for
	// production, for ALLOWED_ORIGINS plus the demo page's own origins, so
	// the browser test proves that rule; a second rule keeps GET, HEAD and
	// POST (PostObject) open to the same origins.
	origins := append([]string{}, cfg.AllowedOrigins...)
	if b := env.get("BROKER_ADDR"); b != "" {
		origins = append(origins, pageOrigins(b)...)
	}
	upload, err := ossconfig.BucketCORS(origins)
	if err != nil {
		return nil, err
	}
	put := upload.CORSRule[0]
	// The inspector's key pair is limited by the policy the inspector's
	// -print-ram-policy prints.
	idoc, err := ossconfig.JSON(assemble.InspectorPolicy(cfg))
	if err != nil {
		return nil, err
	}
	inspectorPolicy, err := ossemu.ParsePolicy(idoc)
	if err != nil {
		return nil, err
	}
	srv, err := ossemu.New(ossemu.Config{
		Region:  cfg.Region,
		Buckets: []string{cfg.Bucket},
		Dir:     env.get("DEV_DATA_DIR"),
		Users: []ossemu.User{
			{AccessKeyID: cfg.AccessKeyID, AccessKeySecret: cfg.AccessKeySecret, Policy: policy},
			{AccessKeyID: env.get("OSS_EMULATOR_OWNER_KEY_ID"), AccessKeySecret: env.get("OSS_EMULATOR_OWNER_KEY_SECRET")},
			{AccessKeyID: env.get("OSS_INSPECTOR_KEY_ID"), AccessKeySecret: env.get("OSS_INSPECTOR_KEY_SECRET"), Policy: inspectorPolicy},
		},
		Triggers: triggers,
		CORS: []ossemu.CORSRule{
			{AllowedOrigins: put.AllowedOrigin, AllowedMethods: put.AllowedMethod, AllowedHeaders: put.AllowedHeader,
				ExposeHeaders: put.ExposeHeader, MaxAgeSeconds: put.MaxAgeSeconds},
			{AllowedOrigins: origins, AllowedMethods: []string{"GET", "HEAD", "POST"}, AllowedHeaders: []string{"*"},
				ExposeHeaders: ossemu.BrowserUploadCORS().ExposeHeaders, MaxAgeSeconds: put.MaxAgeSeconds},
		},
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	if _, err := srv.Listen(env.get("OSS_EMULATOR_ADDR")); err != nil {
		return nil, err
	}
	return srv, nil
}

// startInspector builds the inspector function (pkg/uploadevent, what
// functions/inspector runs) with its own key pair and returns the local
// OSS trigger that invokes it: object-created events under the prefix's
// literal part, asynchronously, with FC's retries.
func startInspector(cfg *config.Config, env *devEnv, log *slog.Logger) (ossemu.EventTrigger, error) {
	icfg := *cfg
	icfg.AccessKeyID, icfg.AccessKeySecret = env.get("OSS_INSPECTOR_KEY_ID"), env.get("OSS_INSPECTOR_KEY_SECRET")
	ilog := log.With("function", inspectorName)
	h, err := assemble.Inspector(&icfg, ilog, env.get)
	if err != nil {
		return ossemu.EventTrigger{}, err
	}
	fn := func(ctx context.Context, ev events.OssEvent) ([]uploadevent.Outcome, error) { return h.Handle(ctx, ev) }
	async := &fcemu.Async{
		Invoke:  fcemu.InProcess(fn, fcemu.Invocation{FunctionName: inspectorName, Region: cfg.Region, Timeout: functionTimeout}),
		Retries: inspectorRetries,
		Logger:  ilog,
	}
	prefix, _, _ := strings.Cut(env.get("UPLOAD_PREFIX"), "{")
	if env.get("UPLOAD_PREFIX") == "" {
		prefix = "exampledir/"
	}
	return ossemu.EventTrigger{Events: uploadevent.Events, Prefix: prefix, Deliver: func(ev []byte) { async.Submit(ev) }}, nil
}

// inspectorName and inspectorRetries are s.yaml's inspector function name
// and maxAsyncRetryAttempts, which local mode applies too.
const (
	inspectorName    = "ossbroker-inspector"
	inspectorRetries = 8
)

type devClaims map[string]string

func (c devClaims) Claim(name string) (string, bool) { v, ok := c[name]; return v, ok }

func printBanner(w io.Writer, cfg *config.Config, env *devEnv, brokerAddr string) {
	fmt.Fprintf(w, "\nossbroker local mode\n\n")
	// cfg.Endpoint is scheme://host[:port] only (config refuses userinfo,
	// paths and queries); key IDs and secrets are printed only when made
	// here (devEnv.shown).
	fmt.Fprintf(w, "  local OSS server   %s   bucket %s, region %s, data in %s\n", cfg.Endpoint, cfg.Bucket, cfg.Region, env.get("DEV_DATA_DIR"))
	fmt.Fprintf(w, "  RAM user           %s / %s\n", env.shown("OSS_ACCESS_KEY_ID"), env.shown("OSS_ACCESS_KEY_SECRET"))
	for _, st := range assemble.BrokerPolicy(cfg).Statement {
		fmt.Fprintf(w, "                     %s on %s\n", strings.Join(st.Action, ", "), strings.Join(st.Resource, ", "))
	}
	fmt.Fprintf(w, "  account owner      %s / %s   (full access)\n", env.shown("OSS_EMULATOR_OWNER_KEY_ID"), env.shown("OSS_EMULATOR_OWNER_KEY_SECRET"))
	if cfg.Notifications.Enabled() {
		// The URL is the developer's or local mode's own sink (scheme,
		// host and path: config refuses userinfo); the secret is printed
		// only when generated here.
		fmt.Fprintf(w, "  notifications      %s   secret %s\n", config.RedactURL(cfg.Notifications.URL), env.shown("NOTIFICATION_SECRET"))
		fmt.Fprintf(w, "  inspector function %s, on an OSS trigger (object created under the prefix), %d async retries\n", inspectorName, inspectorRetries)
	}
	if len(env.generated) > 0 {
		fmt.Fprintf(w, "  generated          %s\n", strings.Join(env.generated, ", "))
		fmt.Fprintf(w, "                     kept in %s: a restart keeps them, and last run's tokens stay valid\n",
			filepath.Join(env.get("DEV_DATA_DIR"), keptFile))
	}
	if brokerAddr == "" {
		fmt.Fprintln(w)
		return
	}
	base := "http://" + brokerAddr
	fmt.Fprintf(w, "  broker (FC3 HTTP trigger)   %s\n", base)
	fmt.Fprintf(w, "  demo page (browser upload)  %s/\n\n", base)
	secret := env.get("JWT_HS256_SECRET")
	if secret == "" {
		fmt.Fprintf(w, "  JWT keys come from your JWT_PUBLIC_KEY / JWT_JWKS(_URL): bring your own token.\n\n")
		return
	}
	folder := "exampledir/"
	if prefix, err := cfg.Prefix.Prefix(devClaims{"sub": "dev-user"}); err == nil {
		folder = prefix
	}
	// A token signed with the developer's own JWT_HS256_SECRET is as good
	// as that secret wherever it is used: print one only for a generated
	// secret.
	token := "<token>"
	if slices.Contains(env.generated, "JWT_HS256_SECRET") {
		t, err := auth.MintHS256([]byte(secret), "dev-user", time.Hour, nil)
		if err != nil {
			fmt.Fprintln(w, "  dev token:", err)
			return
		}
		token = t
		fmt.Fprintf(w, "  dev token (sub=dev-user, valid 1 h):\n    %s\n\n", token)
	} else {
		fmt.Fprintf(w, "  JWT_HS256_SECRET is from your environment: no token signed with it is printed.\n"+
			"  Put one in place of <token> below (the demo page fetches one from GET /dev/token on this machine).\n\n")
	}
	// The key is the folder: the broker names the object, so the lines work
	// again after a restart. The PUT sends exactly the headers the answer
	// lists (with upload callbacks on there are more than three).
	fmt.Fprintf(w, "  Presign an upload (curl and jq; the broker names the object in your folder):\n"+
		"    echo hello > hello.txt\n"+
		"    curl -sS --fail-with-body -X POST %s/v1/presign -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"key\":\"%s\",\"contentType\":\"text/plain\",\"contentLength\":6}' | tee presign.json\n\n",
		base, token, folder)
	fmt.Fprintf(w, "  Then PUT the file to the returned url with exactly the returned headers:\n"+
		"    curl -sS --fail-with-body -X PUT -T hello.txt -H @<(jq -r '.headers | to_entries[] | \"\\(.key): \\(.value)\"' presign.json) \"$(jq -r .url presign.json)\"\n\n")
	fmt.Fprintf(w, "  Or upload through the broker:\n    curl -sS -X PUT %s/v1/objects/%s -H 'Authorization: Bearer %s' -H 'Content-Type: text/plain' --data-binary 'hello'\n\n", base, folder+"direct.txt", token)
}
