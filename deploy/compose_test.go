// Package deploy holds the self-hosting files' helpers and the test that docker-compose.yml
// is valid and complete (no Docker engine is needed to load it).
package deploy

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// The secrets the operator sets (docker-compose.yml's header): the file refuses to load
// without any one of them. The test's values are sentinels, found again where they go.
var requiredSecrets = map[string]string{
	"POSTGRES_PASSWORD":       "sentinel-superuser-pw",
	"TEMPORAL_DB_PASSWORD":    "sentinel-temporal-pw",
	"CASEWORK_OWNER_PASSWORD": "sentinel-owner-pw",
	"CASEWORK_APP_PASSWORD":   "sentinel-app-pw",
	"CASEWORK_CODEC_KEYS":     "k1:c2VudGluZWwtY29kZWMta2V5LTMyLWJ5dGVzLWxvbmc=",
	"CASEWORK_OPS_SECRET":     "sentinel-ops-secret",
}

func secretsEnv(except string, extra ...string) []string {
	var env []string
	for k, v := range requiredSecrets {
		if k != except {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// load loads the compose file with exactly env as the environment of `docker compose`
// (nothing of the test's own environment) and the committed .env (the images' versions),
// as `docker compose --env-file .env` does; every profile on.
func load(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithWorkingDirectory(".."), cli.WithName("casework"), cli.WithProfiles([]string{"tools", "observability"}),
		cli.WithEnv(env), cli.WithEnvFiles("../.env"), cli.WithDotEnv)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := load(t, secretsEnv(""))
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func TestComposeServices(t *testing.T) {
	p := loadCompose(t)
	want := map[string]struct {
		image     string // prefix
		ports     []uint32
		healthy   bool
		dependsOn map[string]string // service -> condition
		build     bool
	}{
		"postgresql":      {image: "postgres:16", ports: []uint32{5432}, healthy: true},
		"temporal-certs":  {image: "temporalio/admin-tools:1."},
		"temporal-schema": {image: "temporalio/admin-tools:1.", dependsOn: map[string]string{"postgresql": types.ServiceConditionHealthy}},
		"temporal": {image: "temporalio/server:1.", ports: []uint32{7233}, healthy: true, dependsOn: map[string]string{
			"temporal-schema": types.ServiceConditionCompletedSuccessfully, "temporal-certs": types.ServiceConditionCompletedSuccessfully}},
		"temporal-setup":   {image: "temporalio/admin-tools:1.", dependsOn: map[string]string{"temporal": types.ServiceConditionHealthy}},
		"temporal-ui":      {image: "temporalio/ui:", healthy: true, dependsOn: map[string]string{"temporal": types.ServiceConditionHealthy}},
		"temporal-ui-gate": {image: "casework:", build: true, ports: []uint32{8080}, healthy: true, dependsOn: map[string]string{"temporal-ui": types.ServiceConditionHealthy}},
		"casework-migrate": {image: "casework:", build: true, dependsOn: map[string]string{"postgresql": types.ServiceConditionHealthy}},
		"worker": {image: "casework:", build: true, healthy: true, dependsOn: map[string]string{
			"casework-migrate": types.ServiceConditionCompletedSuccessfully, "temporal-setup": types.ServiceConditionCompletedSuccessfully}},
		"api": {image: "casework:", build: true, ports: []uint32{8088}, healthy: true, dependsOn: map[string]string{
			"casework-migrate": types.ServiceConditionCompletedSuccessfully, "temporal-setup": types.ServiceConditionCompletedSuccessfully}},
		"starter": {image: "casework:", dependsOn: map[string]string{
			"casework-migrate": types.ServiceConditionCompletedSuccessfully, "temporal-setup": types.ServiceConditionCompletedSuccessfully}},
		"agent": {image: "casework:", dependsOn: map[string]string{"api": types.ServiceConditionHealthy}},
		// the observability profile
		"prometheus": {image: "prom/prometheus:v3", healthy: true},
		"grafana":    {image: "grafana/grafana:", ports: []uint32{3000}, dependsOn: map[string]string{"prometheus": types.ServiceConditionHealthy}},
		"jaeger":     {image: "jaegertracing/jaeger:2"},
	}
	for name, w := range want {
		s, ok := p.Services[name]
		if !ok {
			t.Errorf("service %s missing", name)
			continue
		}
		if !strings.HasPrefix(s.Image, w.image) {
			t.Errorf("%s: image %q, want %s...", name, s.Image, w.image)
		}
		if strings.Contains(s.Image, "auto-setup") {
			t.Errorf("%s: the deprecated auto-setup image", name)
		}
		if tag := s.Image[strings.LastIndex(s.Image, ":")+1:]; strings.Count(tag, ".") < 1 && tag != "local" {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
		for _, port := range w.ports {
			if !slices.ContainsFunc(s.Ports, func(pc types.ServicePortConfig) bool { return pc.Target == port }) {
				t.Errorf("%s: port %d not published (%+v)", name, port, s.Ports)
			}
		}
		if len(w.ports) == 0 && len(s.Ports) > 0 {
			t.Errorf("%s: publishes %+v", name, s.Ports)
		}
		if w.healthy && (s.HealthCheck == nil || len(s.HealthCheck.Test) == 0) {
			t.Errorf("%s: no healthcheck", name)
		}
		for dep, cond := range w.dependsOn {
			if got := s.DependsOn[dep].Condition; got != cond {
				t.Errorf("%s: depends on %s with %q, want %q", name, dep, got, cond)
			}
		}
		if w.build && (s.Build == nil || s.Build.Context == "") {
			t.Errorf("%s: not built from the Dockerfile", name)
		}
	}
	for name := range p.Services {
		if _, ok := want[name]; !ok {
			t.Errorf("service %s is not checked by this test", name)
		}
	}

	// the worker and the API get every setting their code reads
	for _, name := range []string{"worker", "api", "starter"} {
		env := p.Services[name].Environment
		for _, k := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
			if v := env[k]; v == nil || *v == "" {
				t.Errorf("%s: %s not set", name, k)
			}
		}
		if u := env["DATABASE_URL"]; u == nil || !strings.Contains(*u, "@postgresql:5432/casework") {
			t.Errorf("%s: DATABASE_URL %s does not point at the compose PostgreSQL's casework database", name, str(u))
		}
	}

	// the API: listening on every interface of its container, its codec server on, the Web
	// UI's origin allowed, a healthcheck of its own /healthz (the image has no shell)
	api := p.Services["api"]
	if v := api.Environment["CASEWORK_API_ADDR"]; v == nil || *v != "0.0.0.0:8088" {
		t.Errorf("api: CASEWORK_API_ADDR %s, want 0.0.0.0:8088", str(v))
	}
	if v := api.Environment["CASEWORK_OPS_SECRET"]; v == nil || *v != requiredSecrets["CASEWORK_OPS_SECRET"] {
		t.Errorf("api: CASEWORK_OPS_SECRET %s is not the operator's", str(v))
	}
	if v := api.Environment["CASEWORK_UI_ORIGINS"]; v == nil || !strings.Contains(*v, "http://localhost:8080") {
		t.Errorf("api: CASEWORK_UI_ORIGINS %s does not allow the Web UI", str(v))
	}
	if got := strings.Join(api.Command, " "); got != "/app/api" {
		t.Errorf("api: command %q", got)
	}
	for name, path := range map[string]string{"api": "127.0.0.1:9465/readyz", "worker": "127.0.0.1:9464/readyz", "temporal-ui-gate": "127.0.0.1:8080/healthz"} {
		hc := p.Services[name].HealthCheck
		if hc == nil || len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/app/healthcheck" || !strings.Contains(hc.Test[2], path) {
			t.Errorf("%s: healthcheck %+v, want [CMD /app/healthcheck http://%s]", name, hc, path)
		}
	}

	// the Web UI decodes through the API's codec server, with the browser's session cookie
	ui := p.Services["temporal-ui"].Environment
	if v := ui["TEMPORAL_CODEC_ENDPOINT"]; v == nil || *v != "http://localhost:8088/codec" {
		t.Errorf("temporal-ui: TEMPORAL_CODEC_ENDPOINT %s, want http://localhost:8088/codec", str(v))
	}
	if v := ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"]; v == nil || *v != "true" {
		t.Errorf("temporal-ui: TEMPORAL_CODEC_INCLUDE_CREDENTIALS %s, want true", str(v))
	}

	// the Web UI, which has no sign-in, is published behind the operations credential only
	gate := p.Services["temporal-ui-gate"]
	if v := gate.Environment["CASEWORK_OPS_SECRET"]; v == nil || *v != requiredSecrets["CASEWORK_OPS_SECRET"] {
		t.Errorf("temporal-ui-gate: CASEWORK_OPS_SECRET %s is not the operator's", str(v))
	}
	if v := gate.Environment["CASEWORK_UI_UPSTREAM"]; v == nil || *v != "http://temporal-ui:8080" {
		t.Errorf("temporal-ui-gate: CASEWORK_UI_UPSTREAM %s", str(v))
	}
	if v := gate.Environment["CASEWORK_UI_GATE_ADDR"]; v == nil || *v != "0.0.0.0:8080" {
		t.Errorf("temporal-ui-gate: CASEWORK_UI_GATE_ADDR %s", str(v))
	}
	if got := strings.Join(gate.Command, " "); got != "/app/uigate" {
		t.Errorf("temporal-ui-gate: command %q", got)
	}

	// bin/agent is the API's client and nothing else
	agent := p.Services["agent"].Environment
	if v := agent["CASEWORK_API_URL"]; v == nil || *v != "http://api:8088" {
		t.Errorf("agent: CASEWORK_API_URL %s", str(v))
	}
	for k := range agent {
		if k == "DATABASE_URL" || strings.HasPrefix(k, "TEMPORAL_") || strings.HasPrefix(k, "CASEWORK_CODEC") {
			t.Errorf("agent: holds %s (operations' credentials only)", k)
		}
	}
	if len(p.Services["agent"].Volumes) > 0 {
		t.Errorf("agent: mounts %+v", p.Services["agent"].Volumes)
	}
}

// str prints an environment value, unset or not.
func str(v *string) string {
	if v == nil {
		return "(unset)"
	}
	return strconv.Quote(*v)
}

// Two roles: the migrations as the owner, the programs as the runtime role casework_app.
func TestComposeDatabaseRoles(t *testing.T) {
	p := loadCompose(t)
	user := func(service, key string) string {
		v := p.Services[service].Environment[key]
		if v == nil {
			t.Errorf("%s: %s not set", service, key)
			return ""
		}
		u, err := url.Parse(*v)
		if err != nil || u.User == nil {
			t.Errorf("%s: %s is no URL with a user: %v", service, key, err)
			return ""
		}
		pw, _ := u.User.Password()
		return u.User.Username() + ":" + pw
	}
	app := "casework_app:" + requiredSecrets["CASEWORK_APP_PASSWORD"]
	owner := "casework_owner:" + requiredSecrets["CASEWORK_OWNER_PASSWORD"]
	for _, s := range []string{"worker", "api", "starter"} {
		if got := user(s, "DATABASE_URL"); got != app {
			t.Errorf("%s connects as %q, want the runtime role casework_app with its password", s, got)
		}
		if _, ok := p.Services[s].Environment["MIGRATION_DATABASE_URL"]; ok {
			t.Errorf("%s holds the owner's URL", s)
		}
	}
	for _, k := range []string{"DATABASE_URL", "MIGRATION_DATABASE_URL"} {
		if got := user("casework-migrate", k); got != owner {
			t.Errorf("casework-migrate: %s connects as %q, want the owner casework_owner", k, got)
		}
	}
	if got := strings.Join(p.Services["casework-migrate"].Command, " "); got != "/app/starter migrate" {
		t.Errorf("casework-migrate runs %q", got)
	}
	// the roles are made at PostgreSQL's first start, with the operator's passwords
	pg := p.Services["postgresql"]
	for _, k := range []string{"POSTGRES_PASSWORD", "TEMPORAL_DB_PASSWORD", "CASEWORK_OWNER_PASSWORD", "CASEWORK_APP_PASSWORD"} {
		if v := pg.Environment[k]; v == nil || *v != requiredSecrets[k] {
			t.Errorf("postgresql: %s is %s, not the operator's", k, str(v))
		}
	}
	if !slices.ContainsFunc(pg.Volumes, func(v types.ServiceVolumeConfig) bool {
		return strings.HasSuffix(v.Source, "deploy/postgres/create-casework-db.sh") && strings.HasPrefix(v.Target, "/docker-entrypoint-initdb.d/")
	}) {
		t.Error("postgresql: deploy/postgres/create-casework-db.sh is not an initialization script")
	}
	script, err := os.ReadFile("postgres/create-casework-db.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE ROLE casework_owner", "CREATE ROLE casework_app", "NOSUPERUSER",
		"CREATE DATABASE casework OWNER casework_owner", "TEMPORAL_DB_PASSWORD", "CASEWORK_OWNER_PASSWORD", "CASEWORK_APP_PASSWORD"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("create-casework-db.sh does not say %q", want)
		}
	}
	if fi, err := os.Stat("postgres/create-casework-db.sh"); err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("create-casework-db.sh is not executable (%v): the image would source it", err)
	}
	tdb := p.Services["temporal"].Environment
	if v := tdb["POSTGRES_USER"]; v == nil || *v != "temporal" {
		t.Errorf("temporal: POSTGRES_USER %s", str(v))
	}
	if v := tdb["POSTGRES_PWD"]; v == nil || *v != requiredSecrets["TEMPORAL_DB_PASSWORD"] {
		t.Errorf("temporal: POSTGRES_PWD %s is not the operator's", str(v))
	}
}

// Without any one of the operator's secrets the file does not load, and the error names it.
func TestComposeRequiresSecrets(t *testing.T) {
	if _, err := load(t, nil); err == nil {
		t.Fatal("docker-compose.yml loads without any secret")
	}
	for k := range requiredSecrets {
		_, err := load(t, secretsEnv(k))
		if err == nil {
			t.Errorf("docker-compose.yml loads without %s", k)
			continue
		}
		if !strings.Contains(err.Error(), k) {
			t.Errorf("without %s: %v (does not name it)", k, err)
		}
		// an empty value is no secret either
		if _, err := load(t, secretsEnv(k, k+"=")); err == nil {
			t.Errorf("docker-compose.yml loads with %s empty", k)
		}
	}
}

// No password or secret has a default: each is the operator's (the sentinel given), and no
// value anywhere holds a well-known default password.
func TestComposeNoDefaultPasswords(t *testing.T) {
	p := loadCompose(t)
	sentinel := func(v string) bool {
		for _, s := range requiredSecrets {
			if strings.Contains(v, s) {
				return true
			}
		}
		return false
	}
	defaults := []string{"temporal", "postgres", "password", "secret", "changeme", "admin", "casework"}
	secretKey := func(k string) bool {
		for _, w := range []string{"PASSWORD", "PWD", "SECRET", "KEYS", "TOKEN", "API_KEY"} {
			if strings.Contains(k, w) {
				return true
			}
		}
		return false
	}
	for name, s := range p.Services {
		for k, v := range s.Environment {
			if v == nil {
				if k != "CASEWORK_TOKEN" { // the agent's, from `docker compose run -e`
					t.Errorf("%s: %s has no value", name, k)
				}
				continue
			}
			if strings.HasSuffix(k, "_FILE") {
				continue
			}
			if secretKey(k) && !sentinel(*v) {
				t.Errorf("%s: %s=%q is not the operator's secret", name, k, *v)
			}
			if u, err := url.Parse(*v); err == nil && u.User != nil {
				if pw, ok := u.User.Password(); !ok || !sentinel(pw) {
					t.Errorf("%s: %s connects with password %q, not the operator's", name, k, pw)
				}
			}
			for _, d := range defaults {
				if strings.Contains(*v, ":"+d+"@") || strings.EqualFold(*v, d) && secretKey(k) {
					t.Errorf("%s: %s=%q holds the default password %q", name, k, *v, d)
				}
			}
		}
	}
	// and the text itself sets none (say, by a ${VAR:-default} on a secret)
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	for k := range requiredSecrets {
		if strings.Contains(string(b), "${"+k+":-") || strings.Contains(string(b), "${"+k+"-") || strings.Contains(string(b), "${"+k+"}") {
			t.Errorf("docker-compose.yml lets %s default or be empty: use ${%s:?...}", k, k)
		}
	}
}

// Every published port listens on the loopback interface, unless CASEWORK_BIND says otherwise.
func TestComposePortsOnLoopback(t *testing.T) {
	published := 0
	for name, s := range loadCompose(t).Services {
		for _, pc := range s.Ports {
			published++
			if pc.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %d published on %q, want 127.0.0.1", name, pc.Target, pc.HostIP)
			}
			if pc.Published != "" && pc.Published != "0" && pc.Published != strconv.FormatUint(uint64(pc.Target), 10) {
				t.Errorf("%s: port %d published as %s", name, pc.Target, pc.Published)
			}
		}
	}
	// PostgreSQL, Temporal, the Web UI's gate, the API; with the observability profile,
	// Grafana (Prometheus and Jaeger have no sign-in: never published)
	if published != 5 {
		t.Errorf("%d ports published, want 5", published)
	}
	p, err := load(t, secretsEnv("", "CASEWORK_BIND=10.1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range p.Services {
		for _, pc := range s.Ports {
			if pc.HostIP != "10.1.2.3" {
				t.Errorf("CASEWORK_BIND=10.1.2.3: %s publishes port %d on %q", name, pc.Target, pc.HostIP)
			}
		}
	}
}

// Temporal over mTLS: the server requires a client certificate of the authority, and every
// client, Casework's programs, the schema and namespace tools, the Web UI, holds one.
func TestComposeTemporalMTLS(t *testing.T) {
	p := loadCompose(t)
	has := func(service string, vars map[string]string) {
		t.Helper()
		env := p.Services[service].Environment
		for k, want := range vars {
			if v := env[k]; v == nil || *v != want {
				t.Errorf("%s: %s=%s, want %q", service, k, str(v), want)
			}
		}
	}
	mounts := func(service, volume, target string) {
		t.Helper()
		if !slices.ContainsFunc(p.Services[service].Volumes, func(v types.ServiceVolumeConfig) bool {
			return v.Type == types.VolumeTypeVolume && v.Source == volume && v.Target == target && v.ReadOnly
		}) {
			t.Errorf("%s: does not mount the volume %s at %s read-only", service, volume, target)
		}
	}
	has("temporal", map[string]string{
		"TEMPORAL_TLS_REQUIRE_CLIENT_AUTH": "true",
		"TEMPORAL_TLS_SERVER_CA_CERT":      "/tls/ca.pem",
		"TEMPORAL_TLS_SERVER_CERT":         "/tls/server.pem",
		"TEMPORAL_TLS_SERVER_KEY":          "/tls/server-key.pem",
		"TEMPORAL_TLS_FRONTEND_CERT":       "/tls/server.pem",
		"TEMPORAL_TLS_FRONTEND_KEY":        "/tls/server-key.pem",
		"TEMPORAL_TLS_CLIENT1_CA_CERT":     "/tls/ca.pem",
		"TEMPORAL_TLS_CLIENT2_CA_CERT":     "/tls/ca.pem",
		// the certificate is for "temporal", not for the container's address
		"TEMPORAL_TLS_INTERNODE_SERVER_NAME": "temporal",
		"TEMPORAL_TLS_FRONTEND_SERVER_NAME":  "temporal",
	})
	mounts("temporal", "temporal-server-tls", "/tls")

	envconfig := map[string]string{
		"TEMPORAL_ADDRESS":                 "temporal:7233",
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    "/tls/client.pem",
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     "/tls/client-key.pem",
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": "/tls/ca.pem",
		"TEMPORAL_TLS_SERVER_NAME":         "temporal",
	}
	for _, s := range []string{"worker", "api", "starter", "temporal-setup"} {
		has(s, envconfig)
		mounts(s, "temporal-client-tls", "/tls")
	}
	has("temporal-setup", map[string]string{ // the names of the CLIs before envconfig
		"TEMPORAL_TLS_CERT": "/tls/client.pem", "TEMPORAL_TLS_KEY": "/tls/client-key.pem", "TEMPORAL_TLS_CA": "/tls/ca.pem"})
	has("temporal-ui", map[string]string{
		"TEMPORAL_ADDRESS":                      "temporal:7233",
		"TEMPORAL_TLS_CA":                       "/tls/ca.pem",
		"TEMPORAL_TLS_CERT":                     "/tls/client.pem",
		"TEMPORAL_TLS_KEY":                      "/tls/client-key.pem",
		"TEMPORAL_TLS_SERVER_NAME":              "temporal",
		"TEMPORAL_TLS_ENABLE_HOST_VERIFICATION": "true",
	})
	mounts("temporal-ui", "temporal-client-tls", "/tls")

	// any service that names a Temporal address is one of the above
	tls := map[string]bool{"temporal": true, "worker": true, "api": true, "starter": true, "temporal-setup": true, "temporal-ui": true}
	for name, s := range p.Services {
		if _, ok := s.Environment["TEMPORAL_ADDRESS"]; ok && !tls[name] {
			t.Errorf("%s: a Temporal client this test does not check for mTLS", name)
		}
	}

	// the certificates come from secrets/certs, never created empty by Docker, and only
	// temporal-certs sees that folder (the authority's key stays there)
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if !strings.Contains(v.Source, "/secrets") {
				continue
			}
			if name != "temporal-certs" {
				t.Errorf("%s mounts %s", name, v.Source)
				continue
			}
			if !v.ReadOnly || v.Bind == nil || bool(v.Bind.CreateHostPath) {
				t.Errorf("temporal-certs: %s mounted %+v, want read-only and not created", v.Source, v)
			}
		}
	}
	script, err := os.ReadFile("temporal/install-certs.sh")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(script), "cp \"$in/ca-key.pem\"") || strings.Contains(strings.SplitN(string(script), "set -eu", 2)[1], "ca-key") {
		t.Error("install-certs.sh copies the authority's key")
	}

	// the payload keys, which every program needs to start
	for _, s := range []string{"worker", "api", "starter"} {
		if v := p.Services[s].Environment["CASEWORK_CODEC_KEYS"]; v == nil || *v != requiredSecrets["CASEWORK_CODEC_KEYS"] {
			t.Errorf("%s: CASEWORK_CODEC_KEYS %s is not the operator's", s, str(v))
		}
	}
	// a real deployment: the policy is never a simulation
	for name, s := range p.Services {
		if v := s.Environment["CASEWORK_POLICY"]; v != nil && strings.Contains(*v, "simulation") {
			t.Errorf("%s: CASEWORK_POLICY %s declares a simulation", name, *v)
		}
	}
}

// Every file the compose file mounts exists (but the operator's secrets), and so does the
// Dockerfile it builds, which builds every program the services run.
func TestComposeFilesExist(t *testing.T) {
	p := loadCompose(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind || strings.HasSuffix(v.Source, "/data") ||
				strings.HasPrefix(v.Source, filepath.Join(root, "secrets")) {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts %s: %v", name, v.Source, err)
			}
		}
		if s.Build != nil {
			df := filepath.Join(s.Build.Context, "Dockerfile")
			if _, err := os.Stat(df); err != nil {
				t.Errorf("%s builds from %s: %v", name, df, err)
			}
		}
	}
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"./worker", "./starter", "./agent", "./api", "./deploy/healthcheck", "./deploy/gencerts", "./deploy/uigate"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Dockerfile does not build %s", want)
		}
	}
	// the programs the build puts in /app/: the last element of each package it builds
	var built []string
	for f := range strings.FieldsSeq(string(b)) {
		if strings.HasPrefix(f, "./") && f != "./" {
			built = append(built, filepath.Base(f))
		}
	}
	for name, s := range p.Services {
		if !strings.HasPrefix(s.Image, "casework:") {
			continue
		}
		var prog string
		if len(s.Entrypoint) > 0 {
			prog = s.Entrypoint[0]
		} else if len(s.Command) > 0 {
			prog = s.Command[0]
		}
		if !strings.HasPrefix(prog, "/app/") || !slices.Contains(built, strings.TrimPrefix(prog, "/app/")) {
			t.Errorf("%s runs %q, which the Dockerfile does not build", name, prog)
		}
	}
}

// The images' versions are .env's, in one place, and the production topology that
// scripts/stack.sh builds is the same Temporal server.
func TestComposeVersionsFromDotEnv(t *testing.T) {
	raw, err := os.ReadFile("../.env")
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			versions[k] = v
		}
	}
	p := loadCompose(t)
	for service, want := range map[string]string{
		"postgresql":     "postgres:" + versions["POSTGRES_VERSION"],
		"temporal":       "temporalio/server:" + versions["TEMPORAL_VERSION"],
		"temporal-setup": "temporalio/admin-tools:" + versions["TEMPORAL_ADMIN_TOOLS_VERSION"],
		"temporal-ui":    "temporalio/ui:" + versions["TEMPORAL_UI_VERSION"],
	} {
		if strings.HasSuffix(want, ":") {
			t.Errorf("%s: .env has no version for it", service)
		}
		if got := p.Services[service].Image; got != want {
			t.Errorf("%s runs %s, want %s (.env)", service, got, want)
		}
	}
	compose, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if strings.Contains(string(compose), ":"+v+"\n") {
			t.Errorf("docker-compose.yml writes the version %s itself: it belongs in .env", v)
		}
	}
	stack, err := os.ReadFile("../scripts/stack.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stack), "TEMPORAL_VERSION") {
		t.Error("scripts/stack.sh does not take the Temporal server's version from .env")
	}
}

// The observability profile's files are there and point at the programs' metrics: the
// worker's and the API's, on the compose network.
func TestComposeObservability(t *testing.T) {
	p := loadCompose(t)
	prom, err := os.ReadFile("observability/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"worker:9464", "api:9465"} {
		if !strings.Contains(string(prom), `"`+target+`"`) {
			t.Errorf("prometheus.yml does not scrape %s", target)
		}
	}
	if p.Services["api"].Environment["CASEWORK_API_METRICS_ADDR"] == nil || *p.Services["api"].Environment["CASEWORK_API_METRICS_ADDR"] != "0.0.0.0:9465" {
		t.Error("the API does not serve its metrics on the compose network")
	}
	for _, svc := range []string{"worker", "api"} {
		if _, ok := p.Services[svc].Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]; !ok {
			t.Errorf("%s does not take OTEL_EXPORTER_OTLP_ENDPOINT", svc)
		}
	}
	g := p.Services["grafana"]
	if pw := g.Environment["GF_SECURITY_ADMIN_PASSWORD"]; pw == nil || *pw != requiredSecrets["CASEWORK_OPS_SECRET"] {
		t.Error("Grafana's admin password is not the operations credential")
	}
	for _, v := range g.Volumes {
		if _, err := os.Stat(v.Source); v.Type == "bind" && err != nil {
			t.Errorf("grafana mounts %s: %v", v.Source, err)
		}
	}
	if len(g.Volumes) != 2 {
		t.Errorf("grafana mounts %d folders, want the provisioning and the dashboards", len(g.Volumes))
	}
}
