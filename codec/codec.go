// Package codec encrypts every Temporal payload Casework writes with
// AES-256-GCM, so workflow inputs, results, activity arguments, signals,
// memos and failure details reach the Temporal service (and its database)
// only as ciphertext.
//
// # Wire format
//
// It follows the conventions of the temporalio/samples-go encryption sample:
// an encrypted payload has metadata
//
//	encoding:          binary/encrypted
//	encryption-key-id: <key id>
//
// and data nonce || ciphertext || tag, where the plaintext is the original
// payload (metadata and data) in protobuf wire format, the nonce is 12 random
// bytes and the key id is the additional authenticated data. Payloads whose
// encoding is not binary/encrypted decode unchanged, so histories recorded
// before encryption was switched on still replay.
//
// # Keys and rotation
//
// A Keyring holds AES-256 keys named by short ids; the last one listed
// encrypts and all of them decrypt. Workers, clients and the codec server
// load it with LoadKeys from CASEWORK_CODEC_KEYS (inline) or
// CASEWORK_CODEC_KEYS_FILE (a file, which wins when both are set), in the
// format "k1:<base64 of 32 bytes>,k2:<base64>"; GenerateKey makes an entry.
//
// Rotate in two deploys so that no process ever meets a key it lacks: first
// add the new key anywhere but last ("k2:...,k1:..." — k1 still encrypts,
// both decrypt), then, once every worker, starter and codec server runs with
// it, move it last ("k1:...,k2:..."). Keep an old key for as long as any
// history (including retained closed workflows) may hold payloads written
// with it. A key must not encrypt more than 2^32 payloads (random nonces).
//
// Decoding a payload whose key the keyring lacks fails with an
// *UnknownKeyError wrapped in converter.NewWorkflowTaskFailureError, so a
// worker deployed without a key fails and retries its workflow tasks rather
// than failing the workflow executions.
//
// # Codec server
//
// Handler serves POST /encode and POST /decode for the Temporal Web UI and
// CLI, which otherwise show only ciphertext. Configure the UI's codec
// endpoint (TEMPORAL_CODEC_ENDPOINT, or the "Codec Server" setting in the
// browser) to the mount point, e.g. https://casework.example/codec; the UI
// POSTs from the browser, sending an X-Namespace header, so its origin must
// be in the allowed origins. For the CLI:
//
//	temporal workflow show -w <id> \
//	    --codec-endpoint https://casework.example/codec \
//	    --codec-auth "Bearer $CASEWORK_CODEC_TOKEN"
//
// --codec-auth (env TEMPORAL_CODEC_AUTH) is sent verbatim as the
// Authorization header, hence the "Bearer " prefix that BearerToken expects.
// The Web UI cannot send a static secret: it can only forward the user's own
// OIDC access token ("pass access token") or cookies ("include
// credentials"), so serving the UI needs an Authorizer that checks those, or
// a proxy in front that authenticates the user and adds the header.
package codec

import (
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata names and values, as in the Temporal samples' encryption codec.
const (
	// MetadataEncodingEncrypted is the "encoding" metadata of an encrypted payload.
	MetadataEncodingEncrypted = "binary/encrypted"
	// MetadataEncryptionKeyID names the metadata holding the key id.
	MetadataEncryptionKeyID = "encryption-key-id"
)

// UnknownKeyError reports a payload encrypted with a key the keyring lacks.
type UnknownKeyError struct {
	KeyID string
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("codec: payload encrypted with key %q, which this keyring does not hold", e.KeyID)
}

// PayloadCodec is the converter.PayloadCodec that encrypts with the keyring's
// encrypting key and decrypts with whichever key a payload names. It is safe
// for concurrent use.
type PayloadCodec struct {
	keys *Keyring
}

var _ converter.PayloadCodec = (*PayloadCodec)(nil)

// NewPayloadCodec returns the encrypting codec for k. It panics if k is nil.
func NewPayloadCodec(k *Keyring) *PayloadCodec {
	if k == nil || len(k.ids) == 0 {
		panic("codec: NewPayloadCodec needs a non-empty *Keyring")
	}
	return &PayloadCodec{keys: k}
}

// NewDataConverter returns Temporal's default data converter with every
// payload encrypted by k. Use it for the client (client.Options.DataConverter),
// which workers created from that client inherit.
func NewDataConverter(k *Keyring) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewPayloadCodec(k))
}

// Encode encrypts each payload with the encrypting key. Nil payloads and
// payloads already encrypted pass through unchanged. The input slice and its
// payloads are not modified.
func (c *PayloadCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	keyID := c.keys.EncryptingKeyID()
	aead, _ := c.keys.aead(keyID)
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if p == nil || isEncrypted(p) {
			out[i] = p
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("codec: marshalling payload %d: %w", i, err)
		}
		sealed := aead.Seal(nil, nil, plain, []byte(keyID))
		clear(plain)
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataEncryptionKeyID:    []byte(keyID),
			},
			Data: sealed,
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key its metadata names.
// Payloads that are not binary/encrypted (plaintext written before
// encryption was enabled) pass through unchanged.
func (c *PayloadCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if p == nil || !isEncrypted(p) {
			out[i] = p
			continue
		}
		d, err := c.decodeOne(p)
		if err != nil {
			return payloads, err
		}
		out[i] = d
	}
	return out, nil
}

func (c *PayloadCodec) decodeOne(p *commonpb.Payload) (*commonpb.Payload, error) {
	rawID, ok := p.Metadata[MetadataEncryptionKeyID]
	if !ok {
		return nil, fmt.Errorf("codec: encrypted payload has no %q metadata", MetadataEncryptionKeyID)
	}
	keyID := string(rawID)
	aead, ok := c.keys.aead(keyID)
	if !ok {
		// A missing key is a deployment problem, not a property of the
		// workflow: fail the workflow task (retried) instead of the execution.
		return nil, converter.NewWorkflowTaskFailureError(&UnknownKeyError{KeyID: keyID})
	}
	if len(p.Data) < aead.Overhead() {
		return nil, fmt.Errorf("codec: payload encrypted with key %q is truncated (%d bytes)", keyID, len(p.Data))
	}
	plain, err := aead.Open(nil, nil, p.Data, rawID)
	if err != nil {
		return nil, fmt.Errorf("codec: payload encrypted with key %q failed authentication (tampered, corrupted or wrong key)", keyID)
	}
	var orig commonpb.Payload
	if err := proto.Unmarshal(plain, &orig); err != nil {
		return nil, fmt.Errorf("codec: payload encrypted with key %q: decrypted data is not a payload: %w", keyID, err)
	}
	return &orig, nil
}

func isEncrypted(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[converter.MetadataEncoding]) == MetadataEncodingEncrypted
}

// IsUnknownKey reports whether err (from Decode or a data converter built by
// NewDataConverter) is due to a key id the keyring does not hold, and
// returns that id.
func IsUnknownKey(err error) (keyID string, ok bool) {
	if u, ok := errors.AsType[*UnknownKeyError](err); ok {
		return u.KeyID, true
	}
	return "", false
}
