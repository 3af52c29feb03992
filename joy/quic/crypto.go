package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
)

// Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1, and the drafts' own) and
// the HKDF labels of each version family.
var (
	saltV1      = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}
	saltV2      = []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}
	saltDraft29 = []byte{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99}
	saltDraft23 = []byte{0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02}
	saltDraft22 = []byte{0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a}
	saltQ050    = []byte{0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0, 0xd3, 0xb5, 0x6b, 0x45}
)

// Version numbers.
const (
	Version1 = 0x00000001
	Version2 = 0x6b3343cf // RFC 9369
)

// versionInfo tells how a version's Initial packets are protected.
type versionInfo struct {
	salt []byte
	v2   bool // RFC 9369's labels and packet type numbers
}

// lookupVersion returns the Initial protection of a version, ok false when
// its Initials cannot be decrypted here.
func lookupVersion(v uint32) (versionInfo, bool) {
	switch {
	case v == Version1:
		return versionInfo{salt: saltV1}, true
	case v == Version2:
		return versionInfo{salt: saltV2, v2: true}, true
	case v >= 0xff00001d && v <= 0xff000020: // draft-29 to draft-32
		return versionInfo{salt: saltDraft29}, true
	case v == 0xff000021 || v == 0xff000022: // draft-33, -34: v1's salt
		return versionInfo{salt: saltV1}, true
	case v >= 0xff000017 && v <= 0xff00001c: // draft-23 to draft-28
		return versionInfo{salt: saltDraft23}, true
	case v == 0xff000016:
		return versionInfo{salt: saltDraft22}, true
	case v&0xffffff00 == 0xfaceb000: // Facebook mvfst drafts: draft-29's salt
		return versionInfo{salt: saltDraft29}, true
	case v == 0x51303530: // Google Q050
		return versionInfo{salt: saltQ050}, true
	}
	return versionInfo{}, false
}

// keys protect one direction's Initial packets.
type keys struct {
	aead cipher.AEAD
	hp   cipher.Block
	iv   [12]byte
}

// hkdfExpandLabel is TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) with an
// empty context.
func hkdfExpandLabel(secret []byte, label string, n int) ([]byte, error) {
	info := make([]byte, 0, 4+6+len(label))
	info = append(info, byte(n>>8), byte(n), byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, 0)
	return hkdf.Expand(sha256.New, secret, string(info), n)
}

// initialKeys derives the client's and server's Initial keys from the
// Destination Connection ID of the client's first Initial (RFC 9001 §5.2).
func initialKeys(vi versionInfo, dcid []byte) (client, server *keys, err error) {
	initial, err := hkdf.Extract(sha256.New, dcid, vi.salt)
	if err != nil {
		return nil, nil, err
	}
	client, err = deriveKeys(vi, initial, "client in")
	if err != nil {
		return nil, nil, err
	}
	server, err = deriveKeys(vi, initial, "server in")
	return client, server, err
}

func deriveKeys(vi versionInfo, initial []byte, label string) (*keys, error) {
	key, iv, hp, err := keyMaterial(vi, initial, label)
	if err != nil {
		return nil, err
	}
	k := new(keys)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	if k.hp, err = aes.NewCipher(hp); err != nil {
		return nil, err
	}
	copy(k.iv[:], iv)
	return k, nil
}

// keyMaterial derives the key, IV and header protection key of one
// direction from the Initial secret.
func keyMaterial(vi versionInfo, initial []byte, label string) (key, iv, hp []byte, err error) {
	secret, err := hkdfExpandLabel(initial, label, 32)
	if err != nil {
		return nil, nil, nil, err
	}
	kl, il, hl := "quic key", "quic iv", "quic hp"
	if vi.v2 {
		kl, il, hl = "quicv2 key", "quicv2 iv", "quicv2 hp"
	}
	if key, err = hkdfExpandLabel(secret, kl, 16); err != nil {
		return nil, nil, nil, err
	}
	if iv, err = hkdfExpandLabel(secret, il, 12); err != nil {
		return nil, nil, nil, err
	}
	hp, err = hkdfExpandLabel(secret, hl, 16)
	return key, iv, hp, err
}

var errDecrypt = errors.New("quic: Initial packet does not decrypt")

// open removes header protection from pkt (the whole packet, pnOff the
// offset of its packet number) and decrypts its payload into dst. largest
// is the largest packet number decrypted so far in this direction, or -1.
// pkt is not modified.
func (k *keys) open(dst, pkt []byte, pnOff int, largest int64) (plain []byte, pn int64, err error) {
	if pnOff+4+16 > len(pkt) {
		return nil, 0, errDecrypt
	}
	var mask [16]byte
	k.hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+4+16])
	first := pkt[0] ^ mask[0]&0x0f
	pnLen := int(first&3) + 1
	var hdr [64 + 4]byte
	if pnOff+pnLen > len(hdr) {
		// Headers longer than 64 bytes (long tokens) take the slow path.
		return k.openLong(dst, pkt, pnOff, first, pnLen, mask, largest)
	}
	h := hdr[:pnOff+pnLen]
	copy(h, pkt[:pnOff+pnLen])
	return k.finish(dst, pkt, h, pnOff, first, pnLen, mask, largest)
}

func (k *keys) openLong(dst, pkt []byte, pnOff int, first byte, pnLen int, mask [16]byte, largest int64) ([]byte, int64, error) {
	h := append([]byte(nil), pkt[:pnOff+pnLen]...)
	return k.finish(dst, pkt, h, pnOff, first, pnLen, mask, largest)
}

func (k *keys) finish(dst, pkt, h []byte, pnOff int, first byte, pnLen int, mask [16]byte, largest int64) ([]byte, int64, error) {
	h[0] = first
	var trunc uint64
	for i := 0; i < pnLen; i++ {
		h[pnOff+i] ^= mask[1+i]
		trunc = trunc<<8 | uint64(h[pnOff+i])
	}
	pn := decodePacketNumber(largest, trunc, pnLen*8)
	nonce := k.iv
	for i := 0; i < 8; i++ {
		nonce[11-i] ^= byte(pn >> (8 * i))
	}
	plain, err := k.aead.Open(dst, nonce[:], pkt[pnOff+pnLen:], h)
	if err != nil {
		return nil, 0, errDecrypt
	}
	return plain, pn, nil
}

// decodePacketNumber is RFC 9000 §A.3.
func decodePacketNumber(largest int64, truncated uint64, bits int) int64 {
	expected := largest + 1
	win := int64(1) << bits
	hwin := win / 2
	mask := win - 1
	candidate := (expected &^ mask) | int64(truncated)
	switch {
	case candidate <= expected-hwin && candidate < (1<<62)-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}
