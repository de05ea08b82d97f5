package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// outputsAreSecret says whether a remote command's stdout/stderr must be secret: when any input but the connection
// is. The SDK always sends the connection as a secret; the official provider's outputs follow the command inputs
// (create/update), not the connection (pulumi-command issue 256), and this stand-in also counts stdin, environment
// and the rest, so that a secret given any way never comes back in plain text.
func remoteOutputsAreSecret(inputs resource.PropertyMap) bool {
	for key, value := range inputs {
		if key != "connection" && !computedOutputs[key] && value.ContainsSecrets() {
			return true
		}
	}
	return false
}

// runRemoteCommand runs the named step's command over SSH and returns the new state: the inputs plus stdout and
// stderr. previous holds the stdout/stderr of the last create or update (for PULUMI_COMMAND_STDOUT/STDERR).
func (p *commandProvider) runRemoteCommand(
	ctx context.Context, urn string, step string, inputs, previous resource.PropertyMap,
) (resource.PropertyMap, error) {
	state := inputs.Copy()
	secret := remoteOutputsAreSecret(inputs)
	commandLine, _ := stringInput(inputs, resource.PropertyKey(step))
	stdout, stderr, err := p.executeRemote(ctx, urn, commandLine, inputs, previous, secret)
	if step == "delete" {
		return state, err
	}
	if err != nil {
		// A failed run keeps the outputs of the last successful one, as the official provider does.
		stdout, _ = stringInput(previous, "stdout")
		stderr, _ = stringInput(previous, "stderr")
	}
	stdoutValue, stderrValue := resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)
	if secret {
		stdoutValue, stderrValue = resource.MakeSecret(stdoutValue), resource.MakeSecret(stderrValue)
	}
	state["stdout"], state["stderr"] = stdoutValue, stderrValue
	return state, err
}

func (p *commandProvider) executeRemote(
	ctx context.Context, urn string, commandLine string, inputs, previous resource.PropertyMap, secret bool,
) (string, string, error) {
	connection, err := parseConnection(inputs["connection"])
	if err != nil {
		return "", "", err
	}
	client, err := connection.dial(ctx, func(message string) {
		_ = p.host.LogStatus(ctx, diag.Info, resource.URN(urn), message)
	})
	if err != nil {
		return "", "", err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return "", "", err
	}
	defer session.Close()

	// The SSH server decides which variables it accepts (sshd's AcceptEnv): a refused `environment` entry fails
	// the command, a refused previous output only warns, as in the official provider.
	for _, name := range sortedEnvironmentNames(inputs) {
		value := environmentValue(inputs, name)
		if err := session.Setenv(name, value); err != nil {
			return "", "", fmt.Errorf("could not set environment variable %q (the SSH server accepts only the "+
				"variables its AcceptEnv lists; or prefix the command with VAR=value): %w", name, err)
		}
	}
	if addPrevious, ok := inputs["addPreviousOutputInEnv"]; !ok || !addPrevious.IsBool() || addPrevious.BoolValue() {
		for key, name := range map[resource.PropertyKey]string{
			"stdout": "PULUMI_COMMAND_STDOUT", "stderr": "PULUMI_COMMAND_STDERR",
		} {
			if value, ok := stringInput(previous, key); ok && value != "" {
				if err := session.Setenv(name, value); err != nil {
					_ = p.host.Log(ctx, diag.Warning, resource.URN(urn), fmt.Sprintf(
						"Unable to set '%s': the SSH server accepts only the variables its AcceptEnv lists", name))
				}
			}
		}
	}
	if stdin, ok := stringInput(inputs, "stdin"); ok && stdin != "" {
		session.Stdin = strings.NewReader(stdin)
	}

	logStdout, logStderr := loggingChoice(inputs)
	var stdoutBuf, stderrBuf, combined lockedBuffer
	logReader, logWriter := io.Pipe()
	stdoutWriters := []io.Writer{&stdoutBuf, &combined}
	if logStdout {
		stdoutWriters = append(stdoutWriters, logWriter)
	}
	stderrWriters := []io.Writer{&stderrBuf, &combined}
	if logStderr {
		stderrWriters = append(stderrWriters, logWriter)
	}
	session.Stdout = io.MultiWriter(stdoutWriters...)
	session.Stderr = io.MultiWriter(stderrWriters...)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		scanner := bufio.NewScanner(logReader)
		scanner.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for scanner.Scan() {
			if !secret {
				_ = p.host.Log(ctx, diag.Info, resource.URN(urn), scanner.Text())
			}
		}
		_, _ = io.Copy(io.Discard, logReader)
	}()

	runErr := session.Run(commandLine)
	_ = logWriter.Close()
	<-logged
	if runErr != nil {
		detail := combined.String()
		if secret {
			detail = "[output hidden: the command has secret inputs]"
		}
		return "", "", fmt.Errorf("%w: running %q:\n%s", runErr, redactIfSecret(commandLine, secret), detail)
	}
	return strings.TrimSuffix(stdoutBuf.String(), "\n"), strings.TrimSuffix(stderrBuf.String(), "\n"), nil
}

func sortedEnvironmentNames(inputs resource.PropertyMap) []string {
	environment := unwrapSecret(inputs["environment"])
	if !environment.IsObject() {
		return nil
	}
	var names []string
	for key := range environment.ObjectValue() {
		names = append(names, string(key))
	}
	sort.Strings(names)
	return names
}

func environmentValue(inputs resource.PropertyMap, name string) string {
	value, _ := stringInput(unwrapSecret(inputs["environment"]).ObjectValue(), resource.PropertyKey(name))
	return value
}

// lockedBuffer is a bytes.Buffer that stdout and stderr may write to at once (the SSH session copies each stream
// in its own goroutine).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(data)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
