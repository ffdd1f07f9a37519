package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Environment variables read by LoadKeys.
const (
	// EnvKeys holds the key list inline: "id:base64key,id:base64key".
	EnvKeys = "CASEWORK_CODEC_KEYS"
	// EnvKeysFile names a file holding the key list in the same format
	// (one entry per line is easiest). It wins over EnvKeys when both are set.
	EnvKeysFile = "CASEWORK_CODEC_KEYS_FILE"
)

// KeySize is the length in bytes of every key: AES-256.
const KeySize = 32

const maxKeyIDLen = 32

// Keyring is an ordered set of AES-256-GCM keys, each named by a short key id.
// The last key listed encrypts; every key decrypts. A Keyring is immutable and
// safe for concurrent use.
//
// It deliberately keeps no copy of the raw key bytes, and its String method
// prints key ids only, so logging a Keyring never leaks a key.
type Keyring struct {
	ids   []string // in the order listed; the last one encrypts
	aeads map[string]cipher.AEAD
}

// ParseKeys parses a key list: entries "id:base64key" separated by commas
// and/or newlines, where base64key is standard base64 of exactly 32 random
// bytes (as produced by GenerateKey) and id is 1 to 32 characters of
// [A-Za-z0-9._-]. Blank entries, surrounding spaces and lines starting with
// '#' are ignored. The last entry becomes the encrypting key.
//
// Errors name the offending entry by position and id, never by its key
// material.
func ParseKeys(s string) (*Keyring, error) {
	k := &Keyring{aeads: make(map[string]cipher.AEAD)}
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for entry := range strings.SplitSeq(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			n++
			id, b64, ok := strings.Cut(entry, ":")
			if !ok {
				return nil, fmt.Errorf("codec: key entry %d: want id:base64key, found no ':'", n)
			}
			id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
			if err := validateKeyID(id); err != nil {
				return nil, fmt.Errorf("codec: key entry %d: %w", n, err)
			}
			if _, dup := k.aeads[id]; dup {
				return nil, fmt.Errorf("codec: key entry %d (%q): duplicate key id %q", n, id, id)
			}
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, fmt.Errorf("codec: key entry %d (%q): key is not valid standard base64", n, id)
			}
			if len(raw) != KeySize {
				return nil, fmt.Errorf("codec: key entry %d (%q): key is %d bytes, want %d (AES-256)", n, id, len(raw), KeySize)
			}
			aead, err := newAEAD(raw)
			clear(raw)
			if err != nil {
				return nil, fmt.Errorf("codec: key entry %d (%q): %w", n, id, err)
			}
			k.ids = append(k.ids, id)
			k.aeads[id] = aead
		}
	}
	if n == 0 {
		return nil, errors.New("codec: empty key list: want at least one id:base64key entry")
	}
	return k, nil
}

// LoadKeys builds the Keyring from the environment: the file named by
// CASEWORK_CODEC_KEYS_FILE if that variable is set, otherwise the list in
// CASEWORK_CODEC_KEYS. It fails when neither is set, so a worker never starts
// writing plaintext by accident.
func LoadKeys() (*Keyring, error) {
	if name := os.Getenv(EnvKeysFile); name != "" {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("codec: reading %s: %w", EnvKeysFile, err)
		}
		k, err := ParseKeys(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", EnvKeysFile, name, err)
		}
		return k, nil
	}
	if s := os.Getenv(EnvKeys); s != "" {
		k, err := ParseKeys(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKeys, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("codec: no payload encryption keys: set %s or %s (make one with GenerateKey)", EnvKeys, EnvKeysFile)
}

// GenerateKey returns a new "id:base64key" entry holding 32 bytes from
// crypto/rand, ready to append to a key list.
func GenerateKey(id string) (string, error) {
	if err := validateKeyID(id); err != nil {
		return "", fmt.Errorf("codec: %w", err)
	}
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("codec: generating key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// EncryptingKeyID returns the id of the key Encode uses: the last one listed.
func (k *Keyring) EncryptingKeyID() string { return k.ids[len(k.ids)-1] }

// KeyIDs returns the ids of all keys, in the order listed.
func (k *Keyring) KeyIDs() []string { return append([]string(nil), k.ids...) }

// String lists the key ids and marks the encrypting one; it never prints keys.
func (k *Keyring) String() string {
	if k == nil {
		return "codec.Keyring(nil)"
	}
	return "codec.Keyring{" + strings.Join(k.ids, ", ") + " (encrypting: " + k.EncryptingKeyID() + ")}"
}

// GoString keeps %#v from printing key schedules.
func (k *Keyring) GoString() string { return k.String() }

func (k *Keyring) aead(id string) (cipher.AEAD, bool) {
	a, ok := k.aeads[id]
	return a, ok
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	// Seal prepends a fresh random 12-byte nonce; Open reads it back. The
	// wire format is therefore nonce || ciphertext || tag, the same as the
	// Temporal samples' encryption codec.
	return cipher.NewGCMWithRandomNonce(block)
}

func validateKeyID(id string) error {
	if id == "" {
		return errors.New("empty key id")
	}
	if len(id) > maxKeyIDLen {
		return fmt.Errorf("key id %q is longer than %d characters", id, maxKeyIDLen)
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return fmt.Errorf("key id %q has character %q: use only A-Z a-z 0-9 . _ -", id, c)
		}
	}
	return nil
}
