package anon

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// maxUsernameMatches bounds how many user names one URI can yield.
const maxUsernameMatches = 32

// Usernames pseudonymizes user names in HTTP request URIs: each listed
// name found in a URI, case-insensitively and bounded on both sides by a
// separator (start or end of the URI, or one of ? & / - \ _ . = ;), is
// replaced by the AES-128 block of the name as written, padded with 0xff
// (32 hex digits; a name longer than 16 bytes becomes as many '*').
type Usernames struct {
	key   *Key
	names [][]byte // lower case
}

// LoadUsernames reads user names, one per line; each line is cut at its
// first space, CR or LF, and empty lines are skipped.
func LoadUsernames(r io.Reader, key *Key) (*Usernames, error) {
	u := &Usernames{key: key}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	line := 0
	for sc.Scan() {
		line++
		name := sc.Bytes()
		if i := bytes.IndexAny(name, " \r\n"); i >= 0 {
			name = name[:i]
		}
		if len(name) == 0 {
			continue
		}
		u.names = append(u.names, bytes.ToLower(name))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(u.names) == 0 {
		return nil, fmt.Errorf("no user names")
	}
	return u, nil
}

// Len returns how many names are listed.
func (u *Usernames) Len() int { return len(u.names) }

func isSeparator(c byte) bool {
	switch c {
	case '?', '&', '/', '-', '\\', '_', '.', '=', ';', 0:
		return true
	}
	return false
}

type span struct{ start, end int }

// matches finds the bounded user names of uri, leftmost and longest
// first, without overlaps. Each URI is matched afresh (the original
// carried its matcher's state from one URI to the next, QUIRK-5).
func (u *Usernames) matches(uri []byte, out []span) []span {
	for i := 0; i < len(uri) && len(out) < maxUsernameMatches; i++ {
		if i > 0 && !isSeparator(uri[i-1]) {
			continue
		}
		best := 0
		for _, n := range u.names {
			if len(n) > best && len(n) <= len(uri)-i && bytes.EqualFold(uri[i:i+len(n)], n) {
				end := i + len(n)
				if end == len(uri) || isSeparator(uri[end]) {
					best = len(n)
				}
			}
		}
		if best > 0 {
			out = append(out, span{i, i + best})
			i += best - 1
		}
	}
	return out
}

func (u *Usernames) pseudonym(b []byte, name []byte) []byte {
	if len(name) > 16 {
		return append(b, bytes.Repeat([]byte{'*'}, len(name))...)
	}
	var block [16]byte
	for i := range block {
		block[i] = 0xff
	}
	copy(block[:], name)
	enc := u.key.encrypt(block)
	return jsonw.Hex(b, enc[:])
}

// AppendURI appends uri with the user names replaced by their
// pseudonyms (the text, not escaped: the record's encoder escapes it).
func (u *Usernames) AppendURI(b, uri []byte) []byte {
	var buf [maxUsernameMatches]span
	last := 0
	for _, m := range u.matches(uri, buf[:0]) {
		b = append(b, uri[last:m.start]...)
		b = u.pseudonym(b, uri[m.start:m.end])
		last = m.end
	}
	return append(b, uri[last:]...)
}

// PseudonymLen is the length of a pseudonym AppendPseudonyms appends.
const PseudonymLen = 32

// AppendPseudonyms appends the pseudonyms (PseudonymLen hex digits each,
// one after the other) of the user names found in uri, in order; names
// over 16 bytes are left out. They are the "usernames" the original lists
// after a request's version.
func (u *Usernames) AppendPseudonyms(b, uri []byte) []byte {
	var buf [maxUsernameMatches]span
	for _, m := range u.matches(uri, buf[:0]) {
		if m.end-m.start <= 16 {
			b = u.pseudonym(b, uri[m.start:m.end])
		}
	}
	return b
}
