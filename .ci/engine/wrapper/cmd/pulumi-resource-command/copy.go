package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// copySource is the `source` input of CopyToRemote: a file asset, a text asset, or a path archive (a file or a
// directory; archive files such as .tgz are copied as they are, not unpacked).
type copySource struct {
	asset   *resource.Asset
	archive *resource.Archive
}

func readCopySource(inputs resource.PropertyMap) copySource {
	source := unwrapSecret(inputs["source"])
	switch {
	case source.IsAsset():
		return copySource{asset: source.AssetValue()}
	case source.IsArchive():
		return copySource{archive: source.ArchiveValue()}
	}
	return copySource{}
}

// checkCopyInputs reports what the official Check rejects: no source, or one that is not a path or text.
func checkCopyInputs(inputs resource.PropertyMap) []*pulumirpc.CheckFailure {
	var failures []*pulumirpc.CheckFailure
	fail := func(property, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: property, Reason: reason})
	}
	if v, ok := inputs["connection"]; !ok || unwrapSecret(v).IsNull() {
		fail("connection", "connection is required")
	}
	if remotePath, ok := stringInput(inputs, "remotePath"); !ok || remotePath == "" {
		if v, known := inputs["remotePath"]; !known || !v.ContainsUnknowns() {
			fail("remotePath", "remotePath is required")
		}
	}
	source := readCopySource(inputs)
	switch {
	case source.asset == nil && source.archive == nil:
		if v, ok := inputs["source"]; !ok || !v.ContainsUnknowns() {
			fail("asset", "either asset or archive must be set")
		}
	case source.asset != nil && !source.asset.IsPath() && !source.asset.IsText():
		fail("asset", "asset must be a path-based file asset or a text asset")
	case source.archive != nil && !source.archive.IsPath():
		fail("archive", "archive must be a path to a file or directory")
	}
	return failures
}

// sourceHash is what decides, on update, whether the copy runs again (with the remote path).
func (s copySource) hash() string {
	switch {
	case s.asset != nil:
		if s.asset.Hash == "" {
			_ = s.asset.EnsureHash()
		}
		return s.asset.Hash
	case s.archive != nil:
		if s.archive.Hash == "" {
			_ = s.archive.EnsureHash()
		}
		return s.archive.Hash
	}
	return ""
}

// copyToRemote dials the connection and copies the source to remotePath over SFTP.
func (p *commandProvider) copyToRemote(ctx context.Context, urn string, inputs resource.PropertyMap) error {
	connection, err := parseConnection(inputs["connection"])
	if err != nil {
		return err
	}
	remotePath, _ := stringInput(inputs, "remotePath")
	source := readCopySource(inputs)
	client, err := connection.dial(ctx, func(message string) {
		_ = p.host.LogStatus(ctx, diag.Info, resource.URN(urn), message)
	})
	if err != nil {
		return err
	}
	defer client.Close()
	remote, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return fmt.Errorf("starting the SFTP subsystem on %s: %w", connection.host, err)
	}
	defer remote.Close()
	// The 1.2.1 schema promises that missing parent folders of remotePath are created.
	if parent := path.Dir(strings.TrimSuffix(remotePath, "/")); parent != "." && parent != "/" {
		if err := remote.MkdirAll(parent); err != nil {
			return fmt.Errorf("failed to create remote directory %s: %w", parent, err)
		}
	}
	if source.asset != nil && source.asset.IsText() {
		return copyText(remote, source.asset.Text, remotePath)
	}
	localPath := ""
	if source.asset != nil {
		localPath = source.asset.Path
	} else if source.archive != nil {
		localPath = source.archive.Path
	}
	return copyPath(remote, localPath, remotePath)
}

// remoteStat returns nil, nil when the path does not exist.
func remoteStat(remote *sftp.Client, remotePath string) (fs.FileInfo, error) {
	info, err := remote.Stat(remotePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to stat remote path %s: %w", remotePath, err)
	}
	return info, nil
}

func copyText(remote *sftp.Client, text, remotePath string) error {
	info, err := remoteStat(remote, remotePath)
	if err != nil {
		return err
	}
	if info != nil && info.IsDir() {
		return fmt.Errorf("remote path %s is a directory; when using a text asset, remotePath must be a file path", remotePath)
	}
	file, err := remote.Create(remotePath)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", remotePath, err)
	}
	defer file.Close()
	if _, err := file.Write([]byte(text)); err != nil {
		return fmt.Errorf("failed to write text content to remote path %s: %w", remotePath, err)
	}
	return nil
}

// copyPath applies the official destination table:
//
//	source | remotePath is a directory | remotePath does not exist | remotePath is a file
//	dir    | remotePath/dir/...        | remotePath/dir/...        | error
//	dir/   | remotePath/<entries>      | remotePath/<entries>      | error
//	file   | remotePath/file           | remotePath                | remotePath, overwritten
//
// So a directory without a trailing slash always lands one level down, even when remotePath is new.
func copyPath(remote *sftp.Client, localPath, remotePath string) error {
	info, err := os.Stat(localPath)
	if err != nil {
		return err
	}
	destination, err := remoteStat(remote, remotePath)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		target := remotePath
		if destination != nil && destination.IsDir() {
			target = path.Join(remotePath, filepath.Base(localPath))
		}
		return copyFile(remote, localPath, target)
	}
	if destination == nil {
		if err := remote.Mkdir(remotePath); err != nil {
			return fmt.Errorf("failed to create remote directory %s: %w", remotePath, err)
		}
	}
	target := remotePath
	if !strings.HasSuffix(localPath, "/") {
		target = path.Join(remotePath, filepath.Base(localPath))
		existing, err := remoteStat(remote, target)
		if err != nil {
			return err
		}
		if existing != nil && !existing.IsDir() {
			return fmt.Errorf("remote path %s exists but is not a directory", target)
		}
		if existing == nil {
			if err := remote.Mkdir(target); err != nil {
				return fmt.Errorf("failed to create remote directory %s: %w", target, err)
			}
		}
	}
	return copyDirectory(remote, localPath, target)
}

func copyFile(remote *sftp.Client, localPath, remotePath string) error {
	local, err := os.Open(localPath)
	if err != nil {
		return err
	}
	defer local.Close()
	file, err := remote.Create(remotePath)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", remotePath, err)
	}
	defer file.Close()
	if _, err := file.ReadFrom(local); err != nil {
		return fmt.Errorf("failed to copy file %s to remote path %s: %w", localPath, remotePath, err)
	}
	return nil
}

// copyDirectory copies the tree under localDir into remoteDir (which exists), one file at a time.
func copyDirectory(remote *sftp.Client, localDir, remoteDir string) error {
	return fs.WalkDir(os.DirFS(localDir), ".", func(relative string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := path.Join(remoteDir, relative)
		if !entry.IsDir() {
			return copyFile(remote, filepath.Join(localDir, relative), target)
		}
		existing, err := remoteStat(remote, target)
		if err != nil {
			return err
		}
		if existing == nil {
			if err := remote.Mkdir(target); err != nil {
				return fmt.Errorf("failed to create remote directory %s: %w", target, err)
			}
		} else if !existing.IsDir() {
			return fmt.Errorf("remote path %s exists but is not a directory", target)
		}
		return nil
	})
}
