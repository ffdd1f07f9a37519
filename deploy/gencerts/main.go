// Command gencerts writes the development certificates of the Temporal server's mTLS in
// docker-compose.yml: a certificate authority, a server certificate for the hosts the
// server is reached by, and a client certificate for the programs, the Web UI and the
// temporal CLI, both signed by the authority.
//
//	go run ./deploy/gencerts -out secrets/certs [-hosts 127.0.0.1,localhost,temporal] [-days 30] [-force]
//
// In DIR: ca.pem and ca-key.pem (the authority), server.pem and server-key.pem (ECDSA
// P-256, for server and client authentication: the Temporal server presents it to its
// clients and to its own nodes), client.pem and client-key.pem (client authentication).
// Private keys are written 0600, certificates 0644, DIR 0700 when it is created. Existing
// files are never overwritten unless -force is given (then all six are replaced, the
// authority too: restart everything that holds the old ones).
//
// These are development certificates: a production deployment uses its own PKI.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The files gencerts writes, in DIR.
const (
	CAFile         = "ca.pem"
	CAKeyFile      = "ca-key.pem"
	ServerFile     = "server.pem"
	ServerKeyFile  = "server-key.pem"
	ClientFile     = "client.pem"
	ClientKeyFile  = "client-key.pem"
	defaultHosts   = "127.0.0.1,localhost,temporal"
	defaultDays    = 30
	clientName     = "casework-client"
	authorityName  = "Casework development CA"
	clockSkewSlack = 5 * time.Minute
)

var allFiles = []string{CAFile, CAKeyFile, ServerFile, ServerKeyFile, ClientFile, ClientKeyFile}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "gencerts: %v\n", err)
		}
		os.Exit(2)
	}
}

// options are gencerts' flags.
type options struct {
	out   string
	hosts []string
	days  int
	force bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	set := flag.NewFlagSet("gencerts", flag.ContinueOnError)
	set.SetOutput(stderr)
	out := set.String("out", "", "directory to write the certificates and keys to (required)")
	hosts := set.String("hosts", defaultHosts, "comma-separated host names and IP addresses of the server certificate")
	days := set.Int("days", defaultDays, "validity of the certificates, in days")
	force := set.Bool("force", false, "replace existing files")
	set.Usage = func() {
		_, _ = fmt.Fprintln(stderr, "usage: gencerts -out DIR [-hosts 127.0.0.1,localhost,temporal] [-days 30] [-force]") // the usage, as the flag package writes it
		set.PrintDefaults()
	}
	if err := set.Parse(args); err != nil {
		return options{}, err
	}
	if set.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", set.Args())
	}
	o := options{out: *out, days: *days, force: *force}
	if o.out == "" {
		return o, errors.New("-out DIR is required")
	}
	if o.days < 1 || o.days > 3650 {
		return o, fmt.Errorf("-days %d: want 1 to 3650", o.days)
	}
	for h := range strings.SplitSeq(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			o.hosts = append(o.hosts, h)
		}
	}
	if len(o.hosts) == 0 {
		return o, errors.New("-hosts: at least one host name or IP address")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if err := generate(o); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s to %s (server certificate for %s, valid %d days)\n",
		strings.Join(allFiles, ", "), o.out, strings.Join(o.hosts, ", "), o.days)
	return err
}

// pair is a certificate with its key.
type pair struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

func generate(o options) error {
	if !o.force {
		for _, f := range allFiles {
			p := filepath.Join(o.out, f)
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("%s exists: not overwriting (use -force to replace all six files)", p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return err
	}
	now := time.Now()
	notBefore, notAfter := now.Add(-clockSkewSlack), now.Add(time.Duration(o.days)*24*time.Hour)

	ca, err := issue(&x509.Certificate{
		Subject:               pkix.Name{CommonName: authorityName, Organization: []string{"Casework"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil)
	if err != nil {
		return err
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: o.hosts[0], Organization: []string{"Casework"}},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range o.hosts {
		if ip := net.ParseIP(h); ip != nil {
			server.IPAddresses = append(server.IPAddresses, ip)
		} else {
			server.DNSNames = append(server.DNSNames, h)
		}
	}
	srv, err := issue(server, ca)
	if err != nil {
		return err
	}
	cli, err := issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: clientName, Organization: []string{"Casework"}},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca)
	if err != nil {
		return err
	}
	for _, w := range []struct {
		name string
		p    *pair
	}{{"ca", ca}, {"server", srv}, {"client", cli}} {
		if err := writePair(o.out, w.name, w.p, o.force); err != nil {
			return err
		}
	}
	return nil
}

// issue makes a new P-256 key and a certificate for it from tmpl, signed by parent (self-
// signed when parent is nil).
func issue(tmpl *x509.Certificate, parent *pair) (*pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("create certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &pair{cert: cert, der: der, key: key}, nil
}

func writePair(dir, name string, p *pair, force bool) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(p.key)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.der}), 0o644, force); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600, force)
}

// writeFile writes data to a new file (or, with force, replaces it), mode perm whatever
// the umask and whatever the old file's mode was.
func writeFile(path string, data []byte, perm os.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		// a fresh file, not a truncated one: the old file may be a link, or readable by others
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	f, err := os.OpenFile(path, flags, perm)
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
