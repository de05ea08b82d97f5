package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/retry"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// The official Connection's defaults (its schema sets them; the SDK also fills them in before sending).
const (
	defaultUser           = "root"
	defaultPort           = 22
	defaultDialErrorLimit = 10 // errors allowed before giving up; -1 means no limit
	defaultPerDialTimeout = 15 // seconds per attempt; 0 means no limit
	unlimitedDialErrors   = -1
)

// sshConnection is the `connection` input of the remote resources (and of its `proxy`).
type sshConnection struct {
	host               string
	port               int
	user               string
	password           *string
	privateKey         *string
	privateKeyPassword *string
	agentSocketPath    *string
	dialErrorLimit     int
	perDialTimeout     int
	// hostKey is the server's expected public key in authorized_keys form ("ssh-ed25519 AAAA..."). Unset, the
	// official provider accepts any host key, and so does this one.
	hostKey *string
	proxy   *sshConnection
}

// parseConnection reads a connection object, secret or not, applying the official defaults.
func parseConnection(value resource.PropertyValue) (*sshConnection, error) {
	value = unwrapSecret(value)
	if !value.IsObject() {
		return nil, fmt.Errorf("connection must be an object with at least `host`")
	}
	fields := value.ObjectValue()
	host, ok := stringInput(fields, "host")
	if !ok || host == "" {
		return nil, fmt.Errorf("connection.host is required")
	}
	c := &sshConnection{host: host, port: defaultPort, user: defaultUser,
		dialErrorLimit: defaultDialErrorLimit, perDialTimeout: defaultPerDialTimeout}
	if user, ok := stringInput(fields, "user"); ok {
		c.user = user
	}
	if port, ok := numberInput(fields, "port"); ok {
		c.port = int(port)
	}
	if limit, ok := numberInput(fields, "dialErrorLimit"); ok {
		c.dialErrorLimit = int(limit)
	}
	if timeout, ok := numberInput(fields, "perDialTimeout"); ok {
		c.perDialTimeout = int(timeout)
	}
	for key, target := range map[resource.PropertyKey]**string{
		"password": &c.password, "privateKey": &c.privateKey, "privateKeyPassword": &c.privateKeyPassword,
		"agentSocketPath": &c.agentSocketPath, "hostKey": &c.hostKey,
	} {
		if text, ok := stringInput(fields, key); ok {
			*target = &text
		}
	}
	if proxy, ok := fields["proxy"]; ok && !unwrapSecret(proxy).IsNull() {
		parsed, err := parseConnection(proxy)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		c.proxy = parsed
	}
	return c, nil
}

func (c *sshConnection) endpoint() string {
	return net.JoinHostPort(c.host, strconv.Itoa(c.port))
}

func (c *sshConnection) clientConfig() (*ssh.ClientConfig, error) {
	config := &ssh.ClientConfig{
		User:            c.user,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // the official default when no hostKey is given
		Timeout:         time.Duration(c.perDialTimeout) * time.Second,
	}
	if c.hostKey != nil {
		expected, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*c.hostKey))
		if err != nil {
			return nil, fmt.Errorf("connection.hostKey is not a public key in authorized_keys form: %w", err)
		}
		config.HostKeyCallback = ssh.FixedHostKey(expected)
	}
	if c.privateKey != nil {
		var signer ssh.Signer
		var err error
		if c.privateKeyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*c.privateKey), []byte(*c.privateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*c.privateKey))
		}
		if err != nil {
			// The key itself must never reach the message.
			return nil, fmt.Errorf("connection.privateKey cannot be parsed: %w", err)
		}
		config.Auth = append(config.Auth, ssh.PublicKeys(signer))
	}
	if c.password != nil {
		password := *c.password
		config.Auth = append(config.Auth, ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = password
				}
				return answers, nil
			}))
	}
	socket := os.Getenv("SSH_AUTH_SOCK")
	if c.agentSocketPath != nil {
		socket = *c.agentSocketPath
	}
	if socket != "" {
		conn, err := net.Dial("unix", socket)
		if err != nil {
			return nil, fmt.Errorf("connecting to the SSH agent at %s: %w", socket, err)
		}
		config.Auth = append(config.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return config, nil
}

// dialWithRetry calls attempt until it succeeds or has failed more than maxErrors times (never, for -1), with the
// engine's usual growing delay between attempts, reporting each failure as a status line like the official one.
func dialWithRetry[T any](ctx context.Context, report func(string), what string, maxErrors int,
	attempt func() (T, error)) (T, error) {
	var lastErr error
	done, data, err := retry.Until(ctx, retry.Acceptor{
		Accept: func(try int, _ time.Duration) (bool, any, error) {
			result, attemptErr := attempt()
			if attemptErr == nil {
				return true, result, nil
			}
			lastErr = attemptErr
			dials := try + 1
			if maxErrors > unlimitedDialErrors && dials > maxErrors {
				return true, nil, fmt.Errorf("after %d failed attempts: %w", try, attemptErr)
			}
			limit := "inf"
			if maxErrors != unlimitedDialErrors {
				limit = strconv.Itoa(maxErrors)
			}
			report(fmt.Sprintf("%s %d/%s failed: retrying", what, dials, limit))
			return false, nil, nil
		},
	})
	var zero T
	if done && err == nil {
		return data.(T), nil
	}
	if err == nil {
		err = ctx.Err()
		if lastErr != nil {
			err = fmt.Errorf("%w (last error: %v)", err, lastErr)
		}
	}
	return zero, err
}

// dial opens an SSH client, through the bastion when `proxy` is set.
func (c *sshConnection) dial(ctx context.Context, report func(string)) (*ssh.Client, error) {
	config, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	if c.proxy == nil {
		return dialWithRetry(ctx, report, "Dial", c.dialErrorLimit, func() (*ssh.Client, error) {
			return ssh.Dial("tcp", c.endpoint(), config)
		})
	}
	proxyConfig, err := c.proxy.clientConfig()
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	bastion, err := dialWithRetry(ctx, report, "Dial proxy", c.proxy.dialErrorLimit, func() (*ssh.Client, error) {
		return ssh.Dial("tcp", c.proxy.endpoint(), proxyConfig)
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	conn, err := dialWithRetry(ctx, report, "Dial from proxy", c.dialErrorLimit, func() (net.Conn, error) {
		return bastion.Dial("tcp", c.endpoint())
	})
	if err != nil {
		_ = bastion.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	clientConn, channels, requests, err := ssh.NewClientConn(conn, c.endpoint(), config)
	if err != nil {
		_ = bastion.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return ssh.NewClient(clientConn, channels, requests), nil
}

func unwrapSecret(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func numberInput(m resource.PropertyMap, key resource.PropertyKey) (float64, bool) {
	v, ok := m[key]
	if !ok {
		return 0, false
	}
	v = unwrapSecret(v)
	if !v.IsNumber() {
		return 0, false
	}
	return v.NumberValue(), true
}
