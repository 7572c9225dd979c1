package main

// The deployment files (Dockerfile, docker-compose.yml, deploy/kubernetes)
// cannot be run here: no container engine or cluster. This test reads them
// and checks every fact they share with the code: environment variable
// names against what the configuration loaders read, probe paths against
// the routes of a running server, ports against PORT, binaries and their
// subcommands against cmd/, and the shutdown timing against SHUTDOWN_DRAIN
// and system.ShutdownTimeout.

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/secondbloom/marketplace/cmd/server/system"
)

const repoRoot = "../.."

// k8sObject is the part of a Kubernetes object this test reads.
type k8sObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Data       map[string]string `json:"data"`
	StringData map[string]string `json:"stringData"`
	Spec       json.RawMessage   `json:"spec"`
	file       string
}

type podSpec struct {
	TerminationGracePeriodSeconds *int64      `json:"terminationGracePeriodSeconds"`
	Containers                    []container `json:"containers"`
	InitContainers                []container `json:"initContainers"`
}

type container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Ports   []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
	Env []struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			SecretKeyRef    *keyRef `json:"secretKeyRef"`
			ConfigMapKeyRef *keyRef `json:"configMapKeyRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `json:"name"`
		} `json:"configMapRef"`
		SecretRef *struct {
			Name string `json:"name"`
		} `json:"secretRef"`
	} `json:"envFrom"`
	LivenessProbe  *probe `json:"livenessProbe"`
	ReadinessProbe *probe `json:"readinessProbe"`
	StartupProbe   *probe `json:"startupProbe"`
	Lifecycle      *struct {
		PreStop *struct {
			Sleep *struct {
				Seconds int64 `json:"seconds"`
			} `json:"sleep"`
			Exec *struct{} `json:"exec"`
		} `json:"preStop"`
	} `json:"lifecycle"`
	SecurityContext *struct {
		ReadOnlyRootFilesystem *bool `json:"readOnlyRootFilesystem"`
		RunAsNonRoot           *bool `json:"runAsNonRoot"`
	} `json:"securityContext"`
}

type keyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type probe struct {
	HTTPGet *struct {
		Path string `json:"path"`
		Port any    `json:"port"`
	} `json:"httpGet"`
}

// workload is a pod template found in a Deployment, Job or CronJob.
type workload struct {
	object   k8sObject
	replicas int
	pod      podSpec
}

func readYAMLDocs(t *testing.T, file string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) != "" {
			docs = append(docs, []byte(doc))
		}
	}
	return docs
}

func loadManifests(t *testing.T) []k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy/kubernetes/*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes: %v", err)
	}
	var objs []k8sObject
	for _, f := range files {
		for _, doc := range readYAMLDocs(t, f) {
			var o k8sObject
			if err := yaml.Unmarshal(doc, &o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("%s: a document without kind or apiVersion", f)
			}
			o.file = filepath.Base(f)
			objs = append(objs, o)
		}
	}
	return objs
}

func workloads(t *testing.T, objs []k8sObject) []workload {
	t.Helper()
	var out []workload
	for _, o := range objs {
		var w workload
		w.object = o
		var err error
		switch o.Kind {
		case "Deployment":
			var s struct {
				Replicas int `json:"replicas"`
				Template struct {
					Spec podSpec `json:"spec"`
				} `json:"template"`
			}
			err = json.Unmarshal(o.Spec, &s)
			w.replicas, w.pod = s.Replicas, s.Template.Spec
		case "Job":
			var s struct {
				Template struct {
					Spec podSpec `json:"spec"`
				} `json:"template"`
			}
			err = json.Unmarshal(o.Spec, &s)
			w.pod = s.Template.Spec
		case "CronJob":
			var s struct {
				JobTemplate struct {
					Spec struct {
						Template struct {
							Spec podSpec `json:"spec"`
						} `json:"template"`
					} `json:"spec"`
				} `json:"jobTemplate"`
			}
			err = json.Unmarshal(o.Spec, &s)
			w.pod = s.JobTemplate.Spec.Template.Spec
		default:
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", o.Kind, o.Metadata.Name, err)
		}
		if len(w.pod.Containers) == 0 {
			t.Fatalf("%s %s (%s) has no containers", o.Kind, o.Metadata.Name, o.file)
		}
		out = append(out, w)
	}
	return out
}

// recordingGetenv returns a getenv that answers from values and records
// every name asked for.
func recordingGetenv(values map[string]string, seen map[string]bool) func(string) string {
	return func(k string) string {
		seen[k] = true
		return values[k]
	}
}

// serverVariables returns every variable loadConfig reads, found by
// running it with a recording getenv on an empty environment and on each
// given one (so variables read only when another is set are seen too).
func serverVariables(envs ...map[string]string) map[string]bool {
	seen := map[string]bool{}
	for _, e := range append([]map[string]string{nil}, envs...) {
		_, _ = loadConfig(recordingGetenv(e, seen))
	}
	return seen
}

// opsFacts reads cmd/ops's source: the variables it reads (string
// literals passed to getenv, plus the sdkEnvironment list of variables
// the AWS SDK reads on its behalf) and its subcommands (the keys of the
// command table in run).
func opsFacts(t *testing.T) (vars, cmds map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(repoRoot, "cmd/ops/*.go"))
	if err != nil {
		t.Fatal(err)
	}
	vars, cmds = map[string]bool{}, map[string]bool{}
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "getenv" && len(n.Args) == 1 {
					if s, ok := str(n.Args[0]); ok {
						vars[s] = true
					}
				}
			case *ast.ValueSpec:
				if len(n.Names) == 1 && n.Names[0].Name == "sdkEnvironment" && len(n.Values) == 1 {
					for _, e := range n.Values[0].(*ast.CompositeLit).Elts {
						if s, ok := str(e); ok {
							vars[s] = true
						}
					}
				}
			case *ast.AssignStmt:
				if len(n.Lhs) == 1 && len(n.Rhs) == 1 {
					if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name == "cmds" {
						for _, e := range n.Rhs[0].(*ast.CompositeLit).Elts {
							if s, ok := str(e.(*ast.KeyValueExpr).Key); ok {
								cmds[s] = true
							}
						}
					}
				}
			}
			return true
		})
	}
	if !vars["DATABASE_URL"] || !vars["BACKUP_UPLOAD_URL"] || !cmds["backup"] {
		t.Fatalf("reading cmd/ops found variables %v and commands %v: the source no longer looks as this test expects", vars, cmds)
	}
	return vars, cmds
}

// dockerStage is one stage of the Dockerfile.
type dockerStage struct {
	name       string
	entrypoint []string
	cmd        []string
	binaries   map[string]bool // paths of the binaries copied from the build stage
	user       string
}

// dockerfile parses the Dockerfile's stages, the commands its build stage
// compiles, and returns the name of the last stage (the default image).
func dockerfile(t *testing.T) (stages map[string]*dockerStage, built []string, last string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	stages = map[string]*dockerStage{}
	var cur *dockerStage
	fromRe := regexp.MustCompile(`(?i)^FROM\s+\S+(?:\s+AS\s+(\S+))?`)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			m := fromRe.FindStringSubmatch(line)
			if m == nil || m[1] == "" {
				t.Fatalf("Dockerfile: every stage must be named: %q", line)
			}
			cur = &dockerStage{name: m[1], binaries: map[string]bool{}}
			stages[cur.name] = cur
			last = cur.name
		case "ENTRYPOINT", "CMD":
			var argv []string
			if err := json.Unmarshal([]byte(rest), &argv); err != nil {
				t.Fatalf("Dockerfile: %s must be in exec (JSON) form, so no shell is needed: %q", instr, line)
			}
			if strings.ToUpper(instr) == "ENTRYPOINT" {
				cur.entrypoint = argv
			} else {
				cur.cmd = argv
			}
		case "USER":
			cur.user = rest
		case "COPY":
			f := strings.Fields(rest)
			if len(f) >= 3 && strings.HasPrefix(f[0], "--from=") {
				dst := f[len(f)-1]
				for _, src := range f[1 : len(f)-1] {
					if strings.HasSuffix(dst, "/") {
						cur.binaries[dst+path.Base(src)] = true
					} else {
						cur.binaries[dst] = true
					}
				}
			}
		case "RUN":
			if strings.Contains(rest, "go build") {
				if !strings.Contains(rest, "CGO_ENABLED=0") {
					t.Errorf("Dockerfile: the binaries must be static (CGO_ENABLED=0): %q", line)
				}
				for _, m := range regexp.MustCompile(`\./cmd/([a-z0-9_-]+)`).FindAllStringSubmatch(rest, -1) {
					built = append(built, m[1])
				}
			}
		}
	}
	if len(stages) == 0 {
		t.Fatal("Dockerfile: no stages")
	}
	return stages, built, last
}

// mainPackages returns the directories under cmd/ that hold a main
// package: what `make build` (go build -o bin/ ./cmd/...) produces.
func mainPackages(t *testing.T) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(repoRoot, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pkgs, err := parser.ParseDir(token.NewFileSet(), filepath.Join(repoRoot, "cmd", e.Name()), func(fi os.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := pkgs["main"]; ok {
			out[e.Name()] = true
		}
	}
	return out
}

// imageStage maps an image of ours (secondbloom/NAME:tag) to the
// Dockerfile stage that builds it; other images return "".
func imageStage(image string) string {
	repo, _, _ := strings.Cut(image, ":")
	if name, ok := strings.CutPrefix(repo, "secondbloom/"); ok {
		return name
	}
	return ""
}

// probeServer starts the real server on the memory store and returns a
// function that GETs a path on it and returns the status.
func probeServer(t *testing.T) func(path string) int {
	t.Helper()
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env(map[string]string{"PORT": fmt.Sprint(port), "HOST": "127.0.0.1", "SHUTDOWN_DRAIN": "0s", "LOG_LEVEL": "error"}))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	get := func(p string) (int, error) {
		resp, err := http.Get(base + p)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if _, err := get("/"); err == nil {
			break
		} else if time.Since(start) > 15*time.Second {
			t.Fatalf("server did not start: %v", err)
		}
	}
	return func(p string) int {
		code, err := get(p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		return code
	}
}

func TestDeploymentFilesMatchTheCode(t *testing.T) {
	objs := loadManifests(t)
	ws := workloads(t, objs)
	stages, built, last := dockerfile(t)
	mains := mainPackages(t)
	opsVars, opsCmds := opsFacts(t)
	get := probeServer(t)

	// The Dockerfile builds commands that exist, and every ENTRYPOINT runs
	// a binary copied from that build, as a non-root user.
	for _, name := range built {
		if !mains[name] {
			t.Errorf("Dockerfile builds ./cmd/%s, which is not a main package under cmd/ (have %v)", name, keys(mains))
		}
	}
	if last != "server" {
		t.Errorf("Dockerfile: the last (default) stage is %q, want server", last)
	}
	for _, name := range []string{"server", "ops"} {
		s := stages[name]
		if s == nil {
			t.Errorf("Dockerfile has no %s stage", name)
			continue
		}
		if len(s.entrypoint) == 0 {
			t.Errorf("Dockerfile stage %s has no ENTRYPOINT", name)
			continue
		}
		bin := s.entrypoint[0]
		if !s.binaries[bin] || !mains[path.Base(bin)] || !slices.Contains(built, path.Base(bin)) {
			t.Errorf("Dockerfile stage %s: ENTRYPOINT %s is not a built and copied command (copied %v, built %v)", name, bin, keys(s.binaries), built)
		}
		if s.user == "" || strings.HasPrefix(s.user, "0") || strings.HasPrefix(s.user, "root") {
			t.Errorf("Dockerfile stage %s runs as %q, want a non-root USER", name, s.user)
		}
	}
	if s := stages["server"]; s != nil && len(s.cmd) > 0 {
		checkArgs(t, "Dockerfile server CMD", "server", s.cmd, opsCmds)
	}
	if s := stages["ops"]; s != nil && len(s.cmd) > 0 {
		checkArgs(t, "Dockerfile ops CMD", "ops", s.cmd, opsCmds)
	}

	configMaps, secrets := map[string]map[string]string{}, map[string]map[string]string{}
	for _, o := range objs {
		switch o.Kind {
		case "ConfigMap":
			configMaps[o.Metadata.Name] = o.Data
		case "Secret":
			secrets[o.Metadata.Name] = o.StringData
		}
	}

	probed := map[string]bool{}
	var deployment *workload
	for i, w := range ws {
		where := fmt.Sprintf("%s %s (%s)", w.object.Kind, w.object.Metadata.Name, w.object.file)
		for _, c := range append(w.pod.InitContainers, w.pod.Containers...) {
			stage := imageStage(c.Image)
			if stage == "" {
				continue
			}
			s := stages[stage]
			if s == nil {
				t.Errorf("%s: image %s has no Dockerfile stage %q", where, c.Image, stage)
				continue
			}
			argv := append(append([]string{}, c.Command...), c.Args...)
			if len(c.Command) == 0 {
				argv = append(append([]string{}, s.entrypoint...), c.Args...)
			}
			bin := path.Base(argv[0])
			if !s.binaries[argv[0]] {
				t.Errorf("%s: container %s runs %s, which the %s image does not have (%v)", where, c.Name, argv[0], stage, keys(s.binaries))
			}
			checkArgs(t, where, bin, argv[1:], opsCmds)

			// Environment: every name is one the binary reads, and the
			// server's values pass its validation.
			values := containerEnv(t, where, c, configMaps, secrets)
			checkEnv(t, where+" container "+c.Name, bin, values, opsVars)

			if bin != "server" || (len(argv) > 1 && argv[1] != "serve") {
				continue
			}
			checkServing(t, where, w, c, values, probed)
			if w.object.Kind == "Deployment" {
				deployment = &ws[i]
			}
		}
	}
	if deployment == nil {
		t.Fatal("no Deployment runs the server")
	}
	if deployment.replicas != 3 {
		t.Errorf("Deployment %s: replicas %d, want 3", deployment.object.Metadata.Name, deployment.replicas)
	}
	checkKinds(t, objs)
	checkService(t, objs, deployment)
	checkCompose(t, stages, opsCmds, opsVars, probed)
	checkKustomization(t, objs)

	if len(probed) == 0 {
		t.Fatal("no probe paths found")
	}
	for p := range probed {
		if code := get(p); code != http.StatusOK {
			t.Errorf("probe path %s answers %d on a running server, want 200", p, code)
		}
	}
}

// containerEnv returns the environment of container c: its envFrom
// ConfigMaps and Secrets, then its env entries, resolving references
// against the objects in deploy/kubernetes.
func containerEnv(t *testing.T, where string, c container, configMaps, secrets map[string]map[string]string) map[string]string {
	t.Helper()
	values := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, ok := configMaps[ef.ConfigMapRef.Name]
			if !ok {
				t.Errorf("%s: envFrom ConfigMap %s is not in deploy/kubernetes", where, ef.ConfigMapRef.Name)
			}
			for k, v := range cm {
				values[k] = v
			}
		case ef.SecretRef != nil:
			sec, ok := secrets[ef.SecretRef.Name]
			if !ok {
				t.Errorf("%s: envFrom Secret %s is not in deploy/kubernetes", where, ef.SecretRef.Name)
			}
			for k, v := range sec {
				values[k] = v
			}
		}
	}
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			sv, ok := secrets[ref.Name][ref.Key]
			if !ok {
				t.Errorf("%s: %s comes from Secret %s key %s, which deploy/kubernetes does not define", where, e.Name, ref.Name, ref.Key)
			}
			v = sv
		}
		if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
			ref := e.ValueFrom.ConfigMapKeyRef
			cv, ok := configMaps[ref.Name][ref.Key]
			if !ok {
				t.Errorf("%s: %s comes from ConfigMap %s key %s, which deploy/kubernetes does not define", where, e.Name, ref.Name, ref.Key)
			}
			v = cv
		}
		values[e.Name] = v
	}
	return values
}

// checkServing checks a container that runs the server's serve command:
// ports and probes against PORT and the health routes (the paths are
// recorded in probed, to be requested from a running server), a read-only
// root filesystem, and for a Deployment the shutdown budget.
func checkServing(t *testing.T, where string, w workload, c container, values map[string]string, probed map[string]bool) {
	t.Helper()
	cfg, _ := loadConfig(env(values))
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
		if p.ContainerPort != cfg.Port {
			t.Errorf("%s: containerPort %d, but the server listens on PORT=%d", where, p.ContainerPort, cfg.Port)
		}
	}
	for kind, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
		if p == nil {
			if kind != "startup" {
				t.Errorf("%s: no %sProbe", where, kind)
			}
			continue
		}
		if p.HTTPGet == nil {
			t.Errorf("%s: %sProbe is not an httpGet", where, kind)
			continue
		}
		port := 0
		switch v := p.HTTPGet.Port.(type) {
		case string:
			port = ports[v]
		case float64:
			port = int(v)
		}
		if port != cfg.Port {
			t.Errorf("%s: %sProbe port %v is not the server's PORT %d", where, kind, p.HTTPGet.Port, cfg.Port)
		}
		probed[p.HTTPGet.Path] = true
		want := "/api/v1/health/" + kind
		if kind == "startup" {
			want = "/api/v1/health/liveness"
		}
		if p.HTTPGet.Path != want {
			t.Errorf("%s: %sProbe path %s, want %s", where, kind, p.HTTPGet.Path, want)
		}
	}
	if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("%s: the server container should run with readOnlyRootFilesystem: true", where)
	}
	if w.object.Kind == "Deployment" {
		// Shutdown budget: preStop sleep, then SIGTERM: drain,
		// system.ShutdownTimeout for in-flight requests, 2 s Sentry flush.
		var preStop int64
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
			t.Errorf("%s: no preStop sleep (the image has no shell, so use the sleep action)", where)
		} else {
			preStop = c.Lifecycle.PreStop.Sleep.Seconds
		}
		need := time.Duration(preStop)*time.Second + cfg.ShutdownDrain + system.ShutdownTimeout + 2*time.Second
		grace := w.pod.TerminationGracePeriodSeconds
		if grace == nil || time.Duration(*grace)*time.Second < need {
			t.Errorf("%s: terminationGracePeriodSeconds %v is shorter than preStop %ds + SHUTDOWN_DRAIN %s + shutdown %s + flush 2s = %s",
				where, deref(grace), preStop, cfg.ShutdownDrain, system.ShutdownTimeout, need)
		}
	}
}

// checkArgs checks that args name a subcommand bin has.
func checkArgs(t *testing.T, where, bin string, args []string, opsCmds map[string]bool) {
	t.Helper()
	if len(args) == 0 {
		return
	}
	switch bin {
	case "ops":
		if !opsCmds[args[0]] {
			t.Errorf("%s: ops has no command %q (have %v)", where, args[0], keys(opsCmds))
		}
	case "server":
		if args[0] == "serve" {
			return
		}
		// Any other command is run once on an empty environment: an
		// unknown one says so; migrate fails for want of DATABASE_URL.
		err := run(context.Background(), args, env(map[string]string{"LOG_LEVEL": "error"}))
		if err != nil && strings.Contains(err.Error(), "unknown command") {
			t.Errorf("%s: %v", where, err)
		}
	default:
		t.Errorf("%s: runs %s, not a command of ours", where, bin)
	}
}

// checkEnv checks variable names against what bin reads and, for the
// server, the values against loadConfig's validation.
func checkEnv(t *testing.T, where, bin string, values map[string]string, opsVars map[string]bool) {
	t.Helper()
	known := opsVars
	if bin == "server" {
		known = serverVariables(values)
		if _, err := loadConfig(env(values)); err != nil {
			t.Errorf("%s: the server refuses this configuration:\n%v", where, err)
		}
	}
	for name := range values {
		if !known[name] {
			t.Errorf("%s: %s is not a variable %s reads (it reads %v)", where, name, bin, keys(known))
		}
	}
}

func checkKinds(t *testing.T, objs []k8sObject) {
	t.Helper()
	have := map[string]bool{}
	for _, o := range objs {
		have[o.Kind] = true
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Job", "CronJob"} {
		if !have[k] {
			t.Errorf("deploy/kubernetes has no %s", k)
		}
	}
	for _, o := range objs {
		switch o.Kind {
		case "HorizontalPodAutoscaler":
			var s struct {
				ScaleTargetRef struct{ Kind, Name string } `json:"scaleTargetRef"`
				MinReplicas    int                         `json:"minReplicas"`
			}
			_ = json.Unmarshal(o.Spec, &s)
			if s.ScaleTargetRef.Kind != "Deployment" || s.MinReplicas < 3 {
				t.Errorf("HorizontalPodAutoscaler %s: targets %+v with minReplicas %d, want the Deployment and at least 3", o.Metadata.Name, s.ScaleTargetRef, s.MinReplicas)
			}
		case "Secret":
			if len(o.Data) > 0 {
				t.Errorf("Secret %s: use stringData placeholders, not base64 data", o.Metadata.Name)
			}
		}
	}
}

// checkService checks that the Service selects the Deployment's pods and
// targets a port they expose.
func checkService(t *testing.T, objs []k8sObject, d *workload) {
	t.Helper()
	var tmpl struct {
		Template struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		} `json:"template"`
	}
	_ = json.Unmarshal(d.object.Spec, &tmpl)
	for _, o := range objs {
		if o.Kind != "Service" && o.Kind != "PodDisruptionBudget" {
			continue
		}
		var s struct {
			Selector map[string]any `json:"selector"`
			Ports    []struct {
				TargetPort any `json:"targetPort"`
			} `json:"ports"`
		}
		_ = json.Unmarshal(o.Spec, &s)
		sel := s.Selector
		if ml, ok := sel["matchLabels"].(map[string]any); ok {
			sel = ml
		}
		if len(sel) == 0 {
			t.Errorf("%s %s has no selector", o.Kind, o.Metadata.Name)
		}
		for k, v := range sel {
			if tmpl.Template.Metadata.Labels[k] != v {
				t.Errorf("%s %s selects %s=%v, which the Deployment's pods do not carry", o.Kind, o.Metadata.Name, k, v)
			}
		}
		for _, p := range s.Ports {
			ok := false
			for _, cp := range d.pod.Containers[0].Ports {
				if p.TargetPort == cp.Name || p.TargetPort == float64(cp.ContainerPort) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("Service %s targets port %v, which the Deployment's container does not expose", o.Metadata.Name, p.TargetPort)
			}
		}
	}
}

// checkCompose checks docker-compose.yml: our services' variables, ports
// and health checks, and the files mounted into the others.
func checkCompose(t *testing.T, stages map[string]*dockerStage, opsCmds, opsVars, probed map[string]bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Build       any               `json:"build"`
			Image       string            `json:"image"`
			Command     any               `json:"command"`
			Environment map[string]string `json:"environment"`
			Ports       []string          `json:"ports"`
			Volumes     []string          `json:"volumes"`
			Healthcheck *struct {
				Test []string `json:"test"`
			} `json:"healthcheck"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, want := range []string{"server", "postgres", "prometheus", "grafana"} {
		if _, ok := compose.Services[want]; !ok {
			t.Errorf("docker-compose.yml has no %s service", want)
		}
	}
	for name, s := range compose.Services {
		where := "docker-compose.yml service " + name
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
					t.Errorf("%s mounts %s, which does not exist", where, src)
				}
			}
		}
		stage := imageStage(s.Image)
		if s.Build != nil && stage == "" {
			stage = "server"
		}
		if stage == "" {
			continue
		}
		bin := path.Base(stages[stage].entrypoint[0])
		checkEnv(t, where, bin, s.Environment, opsVars)
		if bin != "server" {
			continue
		}
		cfg, _ := loadConfig(env(s.Environment))
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			if parts[len(parts)-1] != strconv.Itoa(cfg.Port) {
				t.Errorf("%s publishes container port %s, but the server listens on PORT=%d", where, parts[len(parts)-1], cfg.Port)
			}
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 {
			t.Errorf("%s has no exec-form healthcheck", where)
			continue
		}
		argv := s.Healthcheck.Test[1:]
		if !stages[stage].binaries[argv[0]] {
			t.Errorf("%s: healthcheck runs %s, which the image does not have", where, argv[0])
		}
		checkArgs(t, where+" healthcheck", path.Base(argv[0]), argv[1:], opsCmds)
		for _, a := range argv {
			if u, err := url.Parse(a); err == nil && u.Scheme == "http" {
				if u.Port() != strconv.Itoa(cfg.Port) {
					t.Errorf("%s: healthcheck probes port %s, but the server listens on %d", where, u.Port(), cfg.Port)
				}
				probed[u.Path] = true
			}
		}
	}
}

// checkKustomization checks that kustomization.yaml lists every manifest.
func checkKustomization(t *testing.T, objs []k8sObject) {
	t.Helper()
	var k struct {
		Resources []string `json:"resources"`
	}
	for _, o := range objs {
		if o.Kind != "Kustomization" {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(repoRoot, "deploy/kubernetes", o.file))
		if err := yaml.Unmarshal(b, &k); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]bool{}
	for _, o := range objs {
		if o.Kind != "Kustomization" {
			files[o.file] = true
		}
	}
	for f := range files {
		if !slices.Contains(k.Resources, f) {
			t.Errorf("deploy/kubernetes/kustomization.yaml does not list %s", f)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func deref(p *int64) any {
	if p == nil {
		return "unset"
	}
	return *p
}
