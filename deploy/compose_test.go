// Package deploy holds the self-hosting files' helpers and the test that docker-compose.yml
// is valid and complete (no Docker engine is needed to load it).
package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithWorkingDirectory(".."), cli.WithName("casework"), cli.WithProfiles([]string{"tools"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
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
		"postgresql":       {image: "postgres:16", ports: []uint32{5432}, healthy: true},
		"temporal-schema":  {image: "temporalio/admin-tools:1.29", dependsOn: map[string]string{"postgresql": types.ServiceConditionHealthy}},
		"temporal":         {image: "temporalio/server:1.29", ports: []uint32{7233}, healthy: true, dependsOn: map[string]string{"temporal-schema": types.ServiceConditionCompletedSuccessfully}},
		"temporal-setup":   {image: "temporalio/admin-tools:1.29", dependsOn: map[string]string{"temporal": types.ServiceConditionHealthy}},
		"temporal-ui":      {image: "temporalio/ui:", ports: []uint32{8080}, healthy: true, dependsOn: map[string]string{"temporal": types.ServiceConditionHealthy}},
		"casework-migrate": {image: "casework:", build: true, dependsOn: map[string]string{"postgresql": types.ServiceConditionHealthy}},
		"worker": {image: "casework:", build: true, ports: []uint32{9464}, dependsOn: map[string]string{
			"casework-migrate": types.ServiceConditionCompletedSuccessfully, "temporal-setup": types.ServiceConditionCompletedSuccessfully}},
		"starter": {image: "casework:"},
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
		for _, port := range w.ports {
			if !slices.ContainsFunc(s.Ports, func(pc types.ServicePortConfig) bool { return pc.Target == port }) {
				t.Errorf("%s: port %d not published (%+v)", name, port, s.Ports)
			}
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
	// the worker gets every setting its code reads
	env := p.Services["worker"].Environment
	for _, k := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
		if v := env[k]; v == nil || *v == "" {
			t.Errorf("worker: %s not set", k)
		}
	}
	if u := env["DATABASE_URL"]; u == nil || !strings.Contains(*u, "@postgresql:5432/casework") {
		t.Errorf("worker: DATABASE_URL %v does not point at the compose PostgreSQL's casework database", u)
	}
}

// Every file the compose file mounts exists, and so does the Dockerfile it builds.
func TestComposeFilesExist(t *testing.T) {
	p := loadCompose(t)
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind || strings.HasSuffix(v.Source, "/data") {
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
	for _, want := range []string{"./worker", "./starter", "./agent"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Dockerfile does not build %s", want)
		}
	}
}
