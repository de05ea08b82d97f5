//go:build tools

// Package tools pins the Pulumi CLI in this module's go.mod/go.sum, so that `go build
// github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` resolves the same dependency versions on every machine.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
