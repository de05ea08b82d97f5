// Command pulumi-resource-command is this repository's stand-in for the official Pulumi command provider.
//
// Why it exists: the official provider (github.com/pulumi/pulumi-command/provider) is not served by the Go module
// proxy these machines reach, and no registry ships its binary, so the engine tests could not load it. This program
// implements the contract of command 1.2.1 that our stacks use, with the same type tokens and lifecycle, derived
// from the official source (provider/pkg/provider/local and remote):
//
//   - command:local:Command and command:remote:Command: create runs `create`; a change to `triggers` replaces the
//     resource; any other input change (the connection included) is an update that runs `update`, or `create` when
//     `update` is unset; delete runs `delete`. The previous stdout/stderr reach update and delete as
//     PULUMI_COMMAND_STDOUT/PULUMI_COMMAND_STDERR unless addPreviousOutputInEnv is false. Nothing runs during
//     preview. Trailing newlines are trimmed from the outputs. `stdin`, `environment` and `logging` as documented;
//     remotely, `environment` needs the server's AcceptEnv (a refused variable fails the command; a refused
//     previous output only warns). A failed update keeps the previous outputs.
//   - command:remote:CopyToRemote: copies a file asset, a text asset or a path archive (file or directory, never
//     unpacked) over SFTP, by the official destination table (copy.go); parent folders of remotePath are created.
//     An update copies again only when the source's hash or remotePath changed; delete removes nothing.
//   - The remote connection: key, password, agent or bastion (`proxy`) logins; `dialErrorLimit` errors are allowed
//     before giving up (default 10, -1 unlimited) with growing delays; `perDialTimeout` seconds per attempt
//     (default 15); `hostKey`, when given, must match the server's key, otherwise any host key is accepted (as in
//     the official provider).
//   - command:local:run (invoke): runs `command` every time the program runs, preview included.
//
// Outputs carry the inputs plus stdout and stderr. stdout and stderr are secret when an input is (for remote
// commands: an input other than the connection, which the SDK always sends as a secret); then, unlike the official
// provider, their lines are not logged and a failure message hides the command and its output.
// Local assetPaths/archivePaths are not implemented and fail with a message saying so.
// The official provider replaces this binary wherever it can be installed: `pulumi plugin install resource command`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// providerVersion is the @pulumi/command release whose contract this stand-in follows; the SDK asks the engine for
// that version, so the plugin is installed under it.
var providerVersion = "1.2.1"

const (
	localCommandToken  = "command:local:Command"
	remoteCommandToken = "command:remote:Command"
	copyToRemoteToken  = "command:remote:CopyToRemote"
	runToken           = "command:local:run"
)

// Inputs whose change must replace the resource rather than update it (as in the official provider's schema).
var replaceOnChanges = map[resource.PropertyKey]bool{"triggers": true}

// Outputs that the provider computes; everything else in the state is an input echoed back.
var computedOutputs = map[resource.PropertyKey]bool{"stdout": true, "stderr": true}

var unsupportedInputs = []resource.PropertyKey{"assetPaths", "archivePaths"}

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &commandProvider{host: host}, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ERROR: command provider: %v\n", err)
		os.Exit(1)
	}
}

type commandProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	host *provider.HostClient
}

var marshalOptions = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, marshalOptions)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOptions)
}

func (p *commandProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: providerVersion}, nil
}

func (p *commandProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	// The TypeScript SDK is generated already; the engine needs no schema for up/preview/destroy.
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"command","version":"` + providerVersion + `"}`}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *commandProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *commandProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *commandProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// resourceType returns the resource's type token, or an error naming the types this stand-in implements.
func resourceType(urn string) (string, error) {
	switch t := string(resource.URN(urn).Type()); t {
	case localCommandToken, remoteCommandToken, copyToRemoteToken:
		return t, nil
	default:
		return "", fmt.Errorf("resource type %q is not implemented by this stand-in command provider (only %s, %s, %s)",
			t, localCommandToken, remoteCommandToken, copyToRemoteToken)
	}
}

// Check applies the documented default (addPreviousOutputInEnv: true) and rejects what is not implemented or
// what the official provider rejects.
func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	token, err := resourceType(req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	switch token {
	case localCommandToken:
		for _, key := range unsupportedInputs {
			if v, ok := news[key]; ok && !v.IsNull() {
				failures = append(failures, &pulumirpc.CheckFailure{
					Property: string(key),
					Reason:   string(key) + " is not supported by this stand-in command provider",
				})
			}
		}
	case remoteCommandToken:
		if v, ok := news["connection"]; !ok || unwrapSecret(v).IsNull() {
			failures = append(failures, &pulumirpc.CheckFailure{Property: "connection", Reason: "connection is required"})
		}
	case copyToRemoteToken:
		failures = append(failures, checkCopyInputs(news)...)
		// The hash recorded with the inputs is what later diffs compare.
		_ = readCopySource(news).hash()
	}
	if _, ok := news["addPreviousOutputInEnv"]; !ok && token != copyToRemoteToken {
		news["addPreviousOutputInEnv"] = resource.NewBoolProperty(true)
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// changedInputs lists the input keys whose values differ between the recorded state and the new inputs.
func changedInputs(olds, news resource.PropertyMap) []resource.PropertyKey {
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		if !computedOutputs[k] {
			keys[k] = true
		}
	}
	for k := range news {
		keys[k] = true
	}
	var changed []resource.PropertyKey
	for k := range keys {
		oldValue, newValue := olds[k], news[k]
		if newValue.ContainsUnknowns() || !oldValue.DeepEquals(newValue) {
			changed = append(changed, k)
		}
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i] < changed[j] })
	return changed
}

func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ignored := map[string]bool{}
	for _, k := range req.GetIgnoreChanges() {
		ignored[k] = true
	}
	var diffs, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, k := range changedInputs(olds, news) {
		if ignored[string(k)] {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		if _, had := olds[k]; !had {
			kind = pulumirpc.PropertyDiff_ADD
		} else if _, has := news[k]; !has {
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if replaceOnChanges[k] {
			replaces = append(replaces, string(k))
			kind += 1 // every *_REPLACE kind directly follows its plain kind
		}
		diffs = append(diffs, string(k))
		detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: kind}
	}
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes: changes, Diffs: diffs, Replaces: replaces, DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

func newResourceID(name string) (string, error) {
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return "", err
	}
	return name + hex.EncodeToString(suffix), nil
}

func (p *commandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	token, err := resourceType(req.GetUrn())
	if err != nil {
		return nil, err
	}
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if token == copyToRemoteToken {
		return p.createCopy(ctx, req, inputs)
	}
	id, err := newResourceID(resource.URN(req.GetUrn()).Name())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		state, err := marshal(withUnknownOutputs(inputs))
		return &pulumirpc.CreateResponse{Id: id, Properties: state}, err
	}
	state, runErr := p.runStep(ctx, token, req.GetUrn(), "create", inputs, inputs)
	props, err := marshal(state)
	if err != nil {
		return nil, err
	}
	if runErr != nil {
		// Returning the id with the error records the resource as partially created, as the engine expects.
		return nil, partialFailure(id, props, runErr)
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *commandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	token, err := resourceType(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if token == copyToRemoteToken {
		return p.updateCopy(ctx, req, olds, news)
	}
	if req.GetPreview() {
		state, err := marshal(withUnknownOutputs(news))
		return &pulumirpc.UpdateResponse{Properties: state}, err
	}
	step := "update"
	if !hasString(news, "update") {
		step = "create"
	}
	if token == remoteCommandToken && !hasString(news, resource.PropertyKey(step)) {
		// Neither update nor create: nothing runs and the last outputs stay.
		state := news.Copy()
		state["stdout"], state["stderr"] = olds["stdout"], olds["stderr"]
		props, err := marshal(state)
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	state, runErr := p.runStep(ctx, token, req.GetUrn(), step, news, olds)
	props, err := marshal(state)
	if err != nil {
		return nil, err
	}
	if runErr != nil {
		return nil, partialFailure(req.GetId(), props, runErr)
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (p *commandProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	token, err := resourceType(req.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	// CopyToRemote has no delete: the official provider leaves the copied files on the host.
	if token != copyToRemoteToken && hasString(state, "delete") {
		if _, err := p.runStep(ctx, token, req.GetUrn(), "delete", state, state); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

// runStep runs a lifecycle step of a local or remote Command.
func (p *commandProvider) runStep(
	ctx context.Context, token, urn, step string, inputs, previous resource.PropertyMap,
) (resource.PropertyMap, error) {
	if token == remoteCommandToken {
		return p.runRemoteCommand(ctx, urn, step, inputs, previous)
	}
	return p.runLifecycleCommand(ctx, urn, step, inputs, previous)
}

// createCopy copies on create; its id is a random hex string like the official one's.
func (p *commandProvider) createCopy(
	ctx context.Context, req *pulumirpc.CreateRequest, inputs resource.PropertyMap,
) (*pulumirpc.CreateResponse, error) {
	props, err := marshal(inputs)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		return &pulumirpc.CreateResponse{Properties: props}, nil
	}
	if err := p.copyToRemote(ctx, req.GetUrn(), inputs); err != nil {
		return nil, err
	}
	id, err := newResourceID("")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// updateCopy copies again only when the source's content or the remote path changed.
func (p *commandProvider) updateCopy(
	ctx context.Context, req *pulumirpc.UpdateRequest, olds, news resource.PropertyMap,
) (*pulumirpc.UpdateResponse, error) {
	props, err := marshal(news)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		return &pulumirpc.UpdateResponse{Properties: props}, nil
	}
	oldPath, _ := stringInput(olds, "remotePath")
	newPath, _ := stringInput(news, "remotePath")
	if readCopySource(news).hash() != readCopySource(olds).hash() || oldPath != newPath {
		if err := p.copyToRemote(ctx, req.GetUrn(), news); err != nil {
			return nil, partialFailure(req.GetId(), props, err)
		}
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Read returns the recorded state unchanged: a command's effects cannot be read back.
func (p *commandProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *commandProvider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runToken {
		return nil, fmt.Errorf("function %q is not implemented by this stand-in command provider (only %s)",
			req.GetTok(), runToken)
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	for _, key := range unsupportedInputs {
		if v, ok := args[key]; ok && !v.IsNull() {
			return nil, fmt.Errorf("%s is not supported by this stand-in command provider", key)
		}
	}
	commandLine, ok := stringInput(args, "command")
	if !ok {
		return nil, fmt.Errorf("command:local:run needs a string `command`")
	}
	stdout, stderr, err := p.execute(ctx, "", commandLine, args, nil)
	if err != nil {
		return nil, err
	}
	result := args.Copy()
	result["stdout"] = resource.NewStringProperty(stdout)
	result["stderr"] = resource.NewStringProperty(stderr)
	ret, err := plugin.MarshalProperties(result, plugin.MarshalOptions{SkipNulls: true})
	return &pulumirpc.InvokeResponse{Return: ret}, err
}

// partialFailure reports a failed command with the state reached so far, so that the engine records the resource
// (and a later delete can still run its delete command).
func partialFailure(id string, props *structpb.Struct, cause error) error {
	return rpcerror.WithDetails(rpcerror.New(codes.Unknown, cause.Error()),
		&pulumirpc.ErrorResourceInitFailed{Id: id, Properties: props, Reasons: []string{cause.Error()}})
}

func withUnknownOutputs(inputs resource.PropertyMap) resource.PropertyMap {
	state := inputs.Copy()
	for k := range computedOutputs {
		state[k] = resource.MakeComputed(resource.NewStringProperty(""))
	}
	return state
}

func hasString(m resource.PropertyMap, key resource.PropertyKey) bool {
	_, ok := stringInput(m, key)
	return ok
}

func stringInput(m resource.PropertyMap, key resource.PropertyKey) (string, bool) {
	v, ok := m[key]
	if !ok {
		return "", false
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

func anySecret(m resource.PropertyMap) bool {
	for _, v := range m {
		if v.ContainsSecrets() {
			return true
		}
	}
	return false
}

// runLifecycleCommand runs the named step's command with the inputs and returns the new state: the inputs plus the
// command's stdout and stderr. previous holds the stdout/stderr of the last create or update.
func (p *commandProvider) runLifecycleCommand(
	ctx context.Context, urn string, step string, inputs, previous resource.PropertyMap,
) (resource.PropertyMap, error) {
	commandLine, _ := stringInput(inputs, resource.PropertyKey(step))
	var previousOutput map[string]string
	if addPrevious, ok := inputs["addPreviousOutputInEnv"]; !ok || !addPrevious.IsBool() || addPrevious.BoolValue() {
		previousOutput = map[string]string{}
		for key, name := range map[resource.PropertyKey]string{
			"stdout": "PULUMI_COMMAND_STDOUT", "stderr": "PULUMI_COMMAND_STDERR",
		} {
			if value, ok := stringInput(previous, key); ok && value != "" {
				previousOutput[name] = value
			}
		}
	}
	stdout, stderr, runErr := p.execute(ctx, urn, commandLine, inputs, previousOutput)
	state := inputs.Copy()
	if step == "delete" {
		return state, runErr
	}
	stdoutValue, stderrValue := resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)
	if anySecret(inputs) {
		stdoutValue, stderrValue = resource.MakeSecret(stdoutValue), resource.MakeSecret(stderrValue)
	}
	state["stdout"], state["stderr"] = stdoutValue, stderrValue
	return state, runErr
}

// execute runs one command line through the interpreter (default /bin/sh -c) in dir (default: the provider's
// working directory, which the engine sets to the program's folder), streaming its output to the engine log unless
// logging says otherwise.
func (p *commandProvider) execute(
	ctx context.Context, urn string, commandLine string, inputs resource.PropertyMap, extraEnv map[string]string,
) (string, string, error) {
	argv := []string{"/bin/sh", "-c"}
	if interpreter, ok := inputs["interpreter"]; ok && interpreter.IsArray() && len(interpreter.ArrayValue()) > 0 {
		argv = nil
		for _, part := range interpreter.ArrayValue() {
			if part.IsSecret() {
				part = part.SecretValue().Element
			}
			argv = append(argv, part.StringValue())
		}
	}
	argv = append(argv, commandLine)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if dir, ok := stringInput(inputs, "dir"); ok {
		cmd.Dir = dir
	}
	cmd.Env = os.Environ()
	if environment, ok := inputs["environment"]; ok {
		if environment.IsSecret() {
			environment = environment.SecretValue().Element
		}
		if environment.IsObject() {
			for key, value := range environment.ObjectValue() {
				if value.IsSecret() {
					value = value.SecretValue().Element
				}
				if value.IsString() {
					cmd.Env = append(cmd.Env, string(key)+"="+value.StringValue())
				}
			}
		}
	}
	for name, value := range extraEnv {
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	if stdin, ok := stringInput(inputs, "stdin"); ok && stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}

	logStdout, logStderr := loggingChoice(inputs)
	secret := anySecret(inputs)
	var stdoutBuf, stderrBuf, combined bytes.Buffer
	var combinedLock sync.Mutex
	stdoutPipe, stdoutWriter := io.Pipe()
	stderrPipe, stderrWriter := io.Pipe()
	cmd.Stdout, cmd.Stderr = stdoutWriter, stderrWriter
	var readers sync.WaitGroup
	relay := func(from io.Reader, into *bytes.Buffer, log bool) {
		defer readers.Done()
		scanner := bufio.NewScanner(from)
		scanner.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for scanner.Scan() {
			line := scanner.Text()
			into.WriteString(line + "\n")
			combinedLock.Lock()
			combined.WriteString(line + "\n")
			combinedLock.Unlock()
			if log && urn != "" && !secret {
				_ = p.host.Log(ctx, diag.Info, resource.URN(urn), line)
			}
		}
		_, _ = io.Copy(io.Discard, from)
	}
	readers.Add(2)
	go relay(stdoutPipe, &stdoutBuf, logStdout)
	go relay(stderrPipe, &stderrBuf, logStderr)

	runErr := cmd.Run()
	_ = stdoutWriter.Close()
	_ = stderrWriter.Close()
	readers.Wait()

	stdout := strings.TrimSuffix(stdoutBuf.String(), "\n")
	stderr := strings.TrimSuffix(stderrBuf.String(), "\n")
	if runErr != nil {
		detail := combined.String()
		if secret {
			detail = "[output hidden: the command has secret inputs]"
		}
		return stdout, stderr, fmt.Errorf("%w: running %q:\n%s", runErr, redactIfSecret(commandLine, secret), detail)
	}
	return stdout, stderr, nil
}

func redactIfSecret(commandLine string, secret bool) string {
	if secret {
		return "[secret]"
	}
	return commandLine
}

// loggingChoice reads the `logging` input: stdout, stderr, stdoutAndStderr (default) or none.
func loggingChoice(inputs resource.PropertyMap) (bool, bool) {
	choice, _ := stringInput(inputs, "logging")
	switch choice {
	case "stdout":
		return true, false
	case "stderr":
		return false, true
	case "none":
		return false, false
	default:
		return true, true
	}
}
