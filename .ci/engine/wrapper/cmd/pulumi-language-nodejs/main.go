// Command pulumi-language-nodejs is this repository's Node.js language host for the Pulumi CLI built from modules.
//
// Why it exists: the official host lives in its own module (github.com/pulumi/pulumi/sdk/nodejs/cmd/
// pulumi-language-nodejs/v3), which the Go module proxy reached here does not serve. The newest served sdk/v3
// release that still carries the host as a package is v3.68.0 (2023); its resource-monitor proxy predates RPCs that
// @pulumi/pulumi 3.2xx calls (RegisterPackage, SignalAndWaitForShutdown, ...). This host does what the CLI needs for
// preview/up/destroy/refresh: it launches `@pulumi/pulumi/cmd/run` with the arguments and environment that script
// documents in its usage, connected straight to the engine's resource monitor, and reports the resource plugins that
// the program's node_modules declare (package.json "pulumi": {"resource": true, ...}).
// It also starts Node.js policy packs (RunPlugin, kind "analyzer") for `pulumi preview --policy-pack DIR`.
// Dependency installation is left to npm (npm ci): InstallDependencies does nothing.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// hostVersion is the CLI release this host is built and tested with (.ci/engine/build.sh sets it with -X).
var hostVersion = "3.274.1"

// The SDK's run script exits with this code after it has already shown the user an actionable message.
const exitCodeAfterUserMessage = 32

func main() {
	// The CLI passes the engine address as the last positional argument; flags are accepted for compatibility.
	flags := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	tracing := flags.String("tracing", "", "tracing endpoint (forwarded to the program)")
	_ = flags.String("root", "", "project root (unused; the run request carries it)")
	if err := flags.Parse(os.Args[1:]); err != nil {
		fail(err)
	}
	engineAddress := ""
	if flags.NArg() > 0 {
		engineAddress = flags.Arg(flags.NArg() - 1)
	}

	host := &nodeLanguageHost{engineAddress: engineAddress, tracing: *tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fail(err)
	}
	// The CLI reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "ERROR: pulumi-language-nodejs: %v\n", err)
	os.Exit(1)
}

type nodeLanguageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	tracing       string
}

func (h *nodeLanguageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: hostVersion}, nil
}

func (h *nodeLanguageHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeLanguageHost) InstallDependencies(
	*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

func (h *nodeLanguageHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	packages, err := declaredResourcePackages(programDirectory(req.GetInfo()))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func (h *nodeLanguageHost) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	packages, err := declaredResourcePackages(programDirectory(req.GetInfo()))
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(packages))
	for _, p := range packages {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.GetName(), Kind: p.GetKind(), Version: p.GetVersion(), Server: p.GetServer(),
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func programDirectory(info *pulumirpc.ProgramInfo) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	dir, _ := os.Getwd()
	return dir
}

// pulumiPackageMetadata is the "pulumi" block of a provider SDK's package.json.
type pulumiPackageMetadata struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

// declaredResourcePackages lists the resource plugins declared by the packages installed in the nearest
// node_modules folder at or above dir (top level and @scope/ packages).
func declaredResourcePackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	modules, err := findUpwards(dir, "node_modules")
	if err != nil {
		return nil, nil // no dependencies installed: nothing to declare; running the program will say what is missing
	}
	var packageDirs []string
	entries, err := os.ReadDir(modules)
	if err != nil {
		return nil, err
	}
	for _, entry := range entries {
		if !entry.IsDir() && entry.Type()&os.ModeSymlink == 0 {
			continue
		}
		full := filepath.Join(modules, entry.Name())
		if strings.HasPrefix(entry.Name(), "@") {
			scoped, err := os.ReadDir(full)
			if err != nil {
				continue
			}
			for _, s := range scoped {
				packageDirs = append(packageDirs, filepath.Join(full, s.Name()))
			}
			continue
		}
		packageDirs = append(packageDirs, full)
	}

	seen := map[string]bool{}
	var packages []*pulumirpc.PackageDependency
	for _, packageDir := range packageDirs {
		raw, err := os.ReadFile(filepath.Join(packageDir, "package.json"))
		if err != nil {
			continue
		}
		var manifest struct {
			Name    string                 `json:"name"`
			Version string                 `json:"version"`
			Pulumi  *pulumiPackageMetadata `json:"pulumi"`
		}
		if json.Unmarshal(raw, &manifest) != nil || manifest.Pulumi == nil || !manifest.Pulumi.Resource {
			continue
		}
		name := manifest.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(manifest.Name, "@pulumi/")
		}
		version := manifest.Pulumi.Version
		if version == "" {
			version = manifest.Version
		}
		key := name + "@" + version
		if seen[key] {
			continue
		}
		seen[key] = true
		packages = append(packages, &pulumirpc.PackageDependency{
			Name: name, Kind: "resource", Version: "v" + strings.TrimPrefix(version, "v"),
			Server: manifest.Pulumi.Server,
		})
	}
	sort.Slice(packages, func(i, j int) bool { return packages[i].Name < packages[j].Name })
	return packages, nil
}

func findUpwards(dir, name string) (string, error) {
	for {
		candidate := filepath.Join(dir, name)
		if info, err := os.Stat(candidate); err == nil && info.IsDir() {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s folder at or above %s", name, dir)
		}
		dir = parent
	}
}

// runtimeOptions are the `runtime.options` of Pulumi.yaml that change how the program is launched.
type runtimeOptions struct {
	typescript bool
	nodeargs   []string
	tsconfig   string
}

func readRuntimeOptions(options *structpb.Struct) runtimeOptions {
	result := runtimeOptions{typescript: true}
	if options == nil {
		return result
	}
	values := options.AsMap()
	if v, ok := values["typescript"].(bool); ok {
		result.typescript = v
	}
	if v, ok := values["nodeargs"].(string); ok {
		result.nodeargs = strings.Fields(v)
	}
	if v, ok := values["tsconfig"].(string); ok {
		result.tsconfig = v
	}
	return result
}

func (h *nodeLanguageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	pwd := req.GetPwd()
	if pwd == "" {
		pwd = programDirectory(req.GetInfo())
	}
	modules, err := findUpwards(pwd, "node_modules")
	runScript := filepath.Join(modules, "@pulumi", "pulumi", "cmd", "run")
	if err != nil || !exists(filepath.Join(runScript, "index.js")) {
		return &pulumirpc.RunResponse{
			Error: "the Pulumi SDK (@pulumi/pulumi) is not installed for " + pwd + ": run npm ci first",
		}, nil
	}

	options := readRuntimeOptions(req.GetInfo().GetOptions())
	args := append([]string{}, options.nodeargs...)
	args = append(args, runScript)
	addFlag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	addFlag("monitor", req.GetMonitorAddress())
	addFlag("engine", h.engineAddress)
	addFlag("organization", req.GetOrganization())
	addFlag("project", req.GetProject())
	addFlag("stack", req.GetStack())
	addFlag("pwd", pwd)
	addFlag("root-directory", req.GetInfo().GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	addFlag("parallel", fmt.Sprint(req.GetParallel()))
	addFlag("tracing", h.tracing)
	program := req.GetProgram()
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(orEmpty(req.GetConfig()))
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(orEmptyList(req.GetConfigSecretKeys()))
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	)
	if options.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if options.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+options.tsconfig)
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = pwd
	cmd.Env = env
	// The engine shows what the program prints; the host's own stdout/stderr are relayed by the CLI.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	runErr := cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	if runErr == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		if exitErr.ExitCode() == exitCodeAfterUserMessage {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d",
			exitErr.ExitCode())}, nil
	}
	return &pulumirpc.RunResponse{Error: "could not run the Node.js program: " + runErr.Error()}, nil
}

// RunPlugin starts a policy pack (analyzer) written in Node.js: `@pulumi/pulumi/cmd/run-policy-pack ENGINE DIR`,
// the program the CLI's older `pulumi-analyzer-policy` shim ran. Its output is streamed back; the CLI reads the
// analyzer's port from the first line of stdout.
func (h *nodeLanguageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	if req.GetKind() != "analyzer" {
		return fmt.Errorf("plugins of kind %q are not supported by this language host (only policy packs)", req.GetKind())
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	dir := programDirectory(req.GetInfo())
	modules, err := findUpwards(dir, "node_modules")
	runScript := filepath.Join(modules, "@pulumi", "pulumi", "cmd", "run-policy-pack")
	if err != nil || !exists(filepath.Join(runScript, "index.js")) {
		return fmt.Errorf("the Pulumi SDK (@pulumi/pulumi) is not installed for the policy pack in %s: run npm ci", dir)
	}
	args := append(append([]string{runScript}, req.GetArgs()...), dir)
	cmd := exec.CommandContext(stream.Context(), nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	cmd.Stdout = streamWriter(func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	}, stream)
	cmd.Stderr = streamWriter(func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	}, stream)
	exitCode := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("could not run the policy pack: %w", err)
		}
		exitCode = int32(exitErr.ExitCode())
	}
	return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: exitCode}})
}

// pluginOutput forwards a child's output to the CLI as it is written; sends are serialised by a lock because
// stdout and stderr are copied by separate goroutines.
type pluginOutput struct {
	wrap   func([]byte) *pulumirpc.RunPluginResponse
	stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	lock   *sync.Mutex
}

var pluginOutputLock sync.Mutex

func streamWriter(
	wrap func([]byte) *pulumirpc.RunPluginResponse, stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) *pluginOutput {
	return &pluginOutput{wrap: wrap, stream: stream, lock: &pluginOutputLock}
}

func (o *pluginOutput) Write(p []byte) (int, error) {
	chunk := append([]byte(nil), p...)
	o.lock.Lock()
	defer o.lock.Unlock()
	if err := o.stream.Send(o.wrap(chunk)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *nodeLanguageHost) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *nodeLanguageHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.AboutResponse{}, nil
	}
	version, _ := exec.Command(nodeBin, "--version").Output()
	return &pulumirpc.AboutResponse{
		Executable: nodeBin, Version: strings.TrimPrefix(strings.TrimSpace(string(version)), "v"),
	}, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptyList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
