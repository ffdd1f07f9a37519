package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/contrib/envconfig"
)

func gen(t *testing.T, dir string, args ...string) {
	t.Helper()
	var out, errs bytes.Buffer
	if err := run(append([]string{"-out", dir}, args...), &out, &errs); err != nil {
		t.Fatalf("gencerts %v: %v\n%s", args, err, errs.String())
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) > 0 {
		t.Fatalf("%s: not one PEM certificate", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func keyPair(t *testing.T, dir, name string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem"))
	if err != nil {
		t.Fatalf("%s key pair: %v", name, err)
	}
	return c
}

func caPool(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, filepath.Join(dir, CAFile)))
	return pool
}

func TestFilesAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	gen(t, dir)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory %s: %v %v, want mode 0700", dir, fi.Mode(), err)
	}
	for _, f := range allFiles {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		want := os.FileMode(0o644)
		if strings.HasSuffix(f, "-key.pem") {
			want = 0o600
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", f, fi.Mode().Perm(), want)
		}
	}
	for _, name := range []string{"ca", "server", "client"} {
		b, _ := os.ReadFile(filepath.Join(dir, name+"-key.pem"))
		if block, _ := pem.Decode(b); block == nil || block.Type != "PRIVATE KEY" {
			t.Errorf("%s-key.pem: not a PKCS #8 PEM key", name)
		}
		keyPair(t, dir, name) // the key matches the certificate
	}
}

func TestChain(t *testing.T) {
	dir := t.TempDir()
	gen(t, dir, "-days", "7")
	roots := caPool(t, dir)
	ca := readCert(t, filepath.Join(dir, CAFile))
	if !ca.IsCA || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("CA: IsCA %v, MaxPathLen %d", ca.IsCA, ca.MaxPathLen)
	}
	server := readCert(t, filepath.Join(dir, ServerFile))
	client := readCert(t, filepath.Join(dir, ClientFile))
	for _, c := range []*x509.Certificate{ca, server, client} {
		if got := time.Until(c.NotAfter); got < 6*24*time.Hour || got > 7*24*time.Hour+time.Minute {
			t.Errorf("%s: valid for another %v, want 7 days", c.Subject.CommonName, got)
		}
	}

	// the server certificate: for each host, as a server; and as a client (internode)
	for _, host := range []string{"127.0.0.1", "localhost", "temporal"} {
		if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: "example.com"}); err == nil {
		t.Error("server certificate verifies for a host it was not made for")
	}
	if _, err := server.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("server certificate as an internode client: %v", err)
	}

	// the client certificate: a client, not a server
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("the client certificate verifies as a server's")
	}

	// another run's authority vouches for neither
	other := t.TempDir()
	gen(t, other)
	if _, err := client.Verify(x509.VerifyOptions{Roots: caPool(t, other), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the client certificate verifies under another authority")
	}
}

func TestHosts(t *testing.T) {
	dir := t.TempDir()
	gen(t, dir, "-hosts", " temporal.example.org, 10.0.0.7 ,::1")
	server := readCert(t, filepath.Join(dir, ServerFile))
	if strings.Join(server.DNSNames, ",") != "temporal.example.org" || len(server.IPAddresses) != 2 ||
		!server.IPAddresses[0].Equal(net.ParseIP("10.0.0.7")) || !server.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("server certificate names %v, addresses %v", server.DNSNames, server.IPAddresses)
	}
	if server.Subject.CommonName != "temporal.example.org" {
		t.Errorf("server certificate's common name %q", server.Subject.CommonName)
	}
}

func TestRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	gen(t, dir)
	before, _ := os.ReadFile(filepath.Join(dir, CAKeyFile))
	err := run([]string{"-out", dir}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("second run without -force: %v, want a refusal", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, CAKeyFile)); !bytes.Equal(before, after) {
		t.Fatal("the refused run changed the CA key")
	}
	// one file is enough to refuse
	lone := t.TempDir()
	if err := os.WriteFile(filepath.Join(lone, ClientKeyFile), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-out", lone}, io.Discard, io.Discard); err == nil {
		t.Fatal("a run over an existing client key succeeded")
	}
	if _, err := os.Stat(filepath.Join(lone, CAFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run wrote %s: %v", CAFile, err)
	}

	// -force replaces all, with the modes of new files even over wider ones
	if err := os.Chmod(filepath.Join(dir, ServerKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	gen(t, dir, "-force")
	if after, _ := os.ReadFile(filepath.Join(dir, CAKeyFile)); bytes.Equal(before, after) {
		t.Error("-force kept the old CA key")
	}
	if fi, _ := os.Stat(filepath.Join(dir, ServerKeyFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("server key after -force: mode %v", fi.Mode().Perm())
	}
	keyPair(t, dir, "server")
	keyPair(t, dir, "client")
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{},                                  // no -out
		{"-out", t.TempDir(), "-days", "0"}, // no validity
		{"-out", t.TempDir(), "-hosts", " , "},
		{"-out", t.TempDir(), "extra"},
	} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("gencerts %q: no error", args)
		}
	}
}

// mtlsServer is a TLS server with the server certificate of dir that requires and
// verifies a client certificate of dir's authority, answers "ok" to a client it accepted,
// and reports its verdict on each handshake.
type mtlsServer struct {
	addr   string
	served chan error
}

func newMTLSServer(t *testing.T, dir string) *mtlsServer {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{keyPair(t, dir, "server")},
		ClientCAs:    caPool(t, dir),
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	s := &mtlsServer{addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			err = conn.(*tls.Conn).Handshake()
			if err == nil {
				_, err = conn.Write([]byte("ok"))
			}
			_ = conn.Close()
			s.served <- err
		}
	}()
	return s
}

// result is what a client read, its error and the server's verdict on the handshake.
type result struct {
	read           string
	client, server error
}

func (s *mtlsServer) dial(t *testing.T, cfg *tls.Config) result {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.addr, cfg)
	if err != nil {
		// the server's verdict still comes, unless the client gave up before it spoke
		select {
		case serr := <-s.served:
			return result{client: err, server: serr}
		case <-time.After(5 * time.Second):
			return result{client: err}
		}
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	got, rerr := io.ReadAll(conn)
	_ = conn.Close()
	return result{read: string(got), client: rerr, server: <-s.served}
}

// A real mutual-TLS handshake: the server certificate, the client certificates required
// and verified against the authority.
func TestMutualTLS(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	gen(t, dir)
	gen(t, other)
	srv := newMTLSServer(t, dir)
	client := func(certs []tls.Certificate, serverName string) *tls.Config {
		return &tls.Config{RootCAs: caPool(t, dir), Certificates: certs, ServerName: serverName, MinVersion: tls.VersionTLS12}
	}
	for _, serverName := range []string{"temporal", "localhost", "127.0.0.1"} {
		if r := srv.dial(t, client([]tls.Certificate{keyPair(t, dir, "client")}, serverName)); r.read != "ok" || r.client != nil || r.server != nil {
			t.Errorf("client with its certificate, server name %s: read %q, client %v, server %v", serverName, r.read, r.client, r.server)
		}
	}
	if r := srv.dial(t, client(nil, "temporal")); r.read == "ok" || r.server == nil || r.client == nil {
		t.Errorf("client without a certificate: read %q, client %v, server %v: want the handshake refused", r.read, r.client, r.server)
	}
	if r := srv.dial(t, client([]tls.Certificate{keyPair(t, other, "client")}, "temporal")); r.read == "ok" || r.server == nil || r.client == nil {
		t.Errorf("client with another authority's certificate: read %q, client %v, server %v: want the handshake refused", r.read, r.client, r.server)
	}
	// and the client refuses a server name the certificate does not carry
	if r := srv.dial(t, client([]tls.Certificate{keyPair(t, dir, "client")}, "example.com")); r.client == nil {
		t.Error("the client accepted the server certificate for example.com")
	}
}

// The Casework programs connect through the Temporal SDK's envconfig: the environment
// docker-compose.yml gives them makes a TLS configuration the server accepts, and without
// the client certificate's settings the server refuses it.
func TestEnvconfigClient(t *testing.T) {
	dir := t.TempDir()
	gen(t, dir)
	srv := newMTLSServer(t, dir)
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(dir, "none.toml"))
	t.Setenv("TEMPORAL_ADDRESS", srv.addr)
	t.Setenv("TEMPORAL_TLS", "true")
	t.Setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", filepath.Join(dir, CAFile))
	t.Setenv("TEMPORAL_TLS_SERVER_NAME", "temporal")
	load := func() *tls.Config {
		t.Helper()
		opts, err := envconfig.LoadDefaultClientOptions()
		if err != nil {
			t.Fatal(err)
		}
		if opts.ConnectionOptions.TLS == nil || opts.ConnectionOptions.TLSDisabled {
			t.Fatal("envconfig: no TLS")
		}
		return opts.ConnectionOptions.TLS
	}
	if r := srv.dial(t, load()); r.read == "ok" || r.server == nil {
		t.Errorf("envconfig without a client certificate: read %q, server %v: want the handshake refused", r.read, r.server)
	}
	t.Setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", filepath.Join(dir, ClientFile))
	t.Setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", filepath.Join(dir, ClientKeyFile))
	if r := srv.dial(t, load()); r.read != "ok" || r.client != nil || r.server != nil {
		t.Errorf("envconfig with the client certificate: read %q, client %v, server %v", r.read, r.client, r.server)
	}
}
