// Package anon anonymizes what Joy's users share: addresses inside
// configured subnets (AES-128 of the address, keyed by joy.bin, as the
// original does, so the same key file gives the same output) and HTTP user
// names.
package anon

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultKeyFile is where the original keeps its key: joy.bin in the
// current directory.
const DefaultKeyFile = "joy.bin"

// keyFileKey encrypts the real key inside joy.bin. It is the original's
// fixed value, so key files are interchangeable between the two.
var keyFileKey = [16]byte{0xa9, 0xd1, 0x62, 0x94, 0x4b, 0x7c, 0x20, 0x18, 0xac, 0x6d, 0x1a, 0x6b, 0x42, 0x8a, 0x0b, 0x2e}

// Key is the anonymization key.
type Key struct {
	block cipher.Block
}

// NewKey makes a key from 16 raw bytes.
func NewKey(raw [16]byte) *Key {
	b, err := aes.NewCipher(raw[:])
	if err != nil { // cannot happen with 16 bytes
		panic(err)
	}
	return &Key{block: b}
}

// LoadOrCreateKey reads the key file at path, or, when there is none,
// draws a random key and stores it there (mode 0600). created reports the
// latter. A key file that exists but is read-only is read (the original
// treated it as missing and used a new random key every run, QUIRK-49).
func LoadOrCreateKey(path string) (k *Key, created bool, err error) {
	fixed, _ := aes.NewCipher(keyFileKey[:])
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		var enc, raw [16]byte
		if _, err := io.ReadFull(f, enc[:]); err != nil {
			return nil, false, fmt.Errorf("could not read anonymization key from %s: %w", path, err)
		}
		fixed.Decrypt(raw[:], enc[:])
		return NewKey(raw), false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("could not open anonymization key %s: %w", path, err)
	}
	var raw, enc [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, false, fmt.Errorf("could not draw an anonymization key: %w", err)
	}
	fixed.Encrypt(enc[:], raw[:])
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("could not create %s: %w", path, err)
	}
	if _, err := out.Write(enc[:]); err != nil {
		out.Close()
		return nil, false, fmt.Errorf("could not write %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return nil, false, fmt.Errorf("could not write %s: %w", path, err)
	}
	return NewKey(raw), true, nil
}

// encrypt returns AES-128 of one 16-byte block.
func (k *Key) encrypt(block [16]byte) [16]byte {
	var out [16]byte
	k.block.Encrypt(out[:], block[:])
	return out
}
