// Package procinfo finds the local process that owns a TCP connection, for
// Joy's "exe" member: the process name, its executable's path and SHA-256,
// and how long it has been running. It reads Linux's /proc; elsewhere, or
// when the capture is not of this host, nothing is found and the member is
// absent.
package procinfo

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Process describes a process.
type Process struct {
	Name   string
	Path   string
	Hash   string // SHA-256 of the executable, lowercase hex
	Uptime uint64 // seconds
}

// Conn is one TCP connection's endpoints.
type Conn struct {
	Local, Remote netip.AddrPort
}

// Table maps TCP connections to processes. It is refreshed at most every
// Refresh, as the original did (30 s), since reading /proc is costly.
type Table struct {
	Root    string // "/proc" normally
	Refresh time.Duration
	last    time.Time
	conns   map[Conn]*Process
	hashes  map[string]string
}

// New returns a table reading /proc.
func New() *Table {
	return &Table{Root: "/proc", Refresh: 30 * time.Second, hashes: map[string]string{}}
}

// Lookup returns the process of the connection between a and b, in either
// direction, or nil.
func (t *Table) Lookup(a, b netip.AddrPort) *Process {
	if t.conns == nil || time.Since(t.last) >= t.Refresh {
		t.reload()
	}
	if p := t.conns[Conn{a, b}]; p != nil {
		return p
	}
	return t.conns[Conn{b, a}]
}

func (t *Table) reload() {
	t.last = time.Now()
	t.conns = map[Conn]*Process{}
	inodes := map[string]Conn{}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		readSockets(filepath.Join(t.Root, f), inodes)
	}
	if len(inodes) == 0 {
		return
	}
	bootSecs := uptime(t.Root)
	dirs, _ := os.ReadDir(t.Root)
	for _, d := range dirs {
		pid := d.Name()
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join(t.Root, pid, "fd"))
		if err != nil {
			continue
		}
		var proc *Process
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(t.Root, pid, "fd", fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			c, ok := inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")]
			if !ok {
				continue
			}
			if proc == nil {
				proc = t.process(pid, bootSecs)
			}
			t.conns[c] = proc
		}
	}
}

func (t *Table) process(pid string, bootSecs float64) *Process {
	p := &Process{}
	if b, err := os.ReadFile(filepath.Join(t.Root, pid, "comm")); err == nil {
		p.Name = strings.TrimSpace(string(b))
	}
	if path, err := os.Readlink(filepath.Join(t.Root, pid, "exe")); err == nil {
		p.Path = path
		if h, ok := t.hashes[path]; ok {
			p.Hash = h
		} else if f, err := os.Open(path); err == nil {
			sum := sha256.New()
			if _, err := io.Copy(sum, f); err == nil {
				p.Hash = hex.EncodeToString(sum.Sum(nil))
			}
			f.Close()
			t.hashes[path] = p.Hash
		}
	}
	if b, err := os.ReadFile(filepath.Join(t.Root, pid, "stat")); err == nil && bootSecs > 0 {
		// Field 22 (after the parenthesized name) is the start time in
		// clock ticks since boot; Linux's tick is 100 Hz for userland.
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			f := strings.Fields(s[i+1:])
			if len(f) > 19 {
				if ticks, err := strconv.ParseUint(f[19], 10, 64); err == nil {
					if up := bootSecs - float64(ticks)/100; up > 0 {
						p.Uptime = uint64(up)
					}
				}
			}
		}
	}
	return p
}

func uptime(root string) float64 {
	b, err := os.ReadFile(filepath.Join(root, "uptime"))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// readSockets reads /proc/net/tcp{,6}: "sl local rem st ... inode".
func readSockets(path string, out map[string]Conn) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 10 || fl[9] == "0" {
			continue
		}
		l, ok1 := parseHexAddr(fl[1])
		r, ok2 := parseHexAddr(fl[2])
		if ok1 && ok2 {
			out[fl[9]] = Conn{Local: l, Remote: r}
		}
	}
}

// parseHexAddr reads "0100007F:1F90": the address as host-order 32-bit
// words in hex, then the port.
func parseHexAddr(s string) (netip.AddrPort, bool) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	var raw [16]byte
	n := len(a) / 8
	if n != 1 && n != 4 {
		return netip.AddrPort{}, false
	}
	for w := 0; w < n; w++ {
		v, err := strconv.ParseUint(a[w*8:w*8+8], 16, 32)
		if err != nil {
			return netip.AddrPort{}, false
		}
		// Each 32-bit word is in host (little-endian) order.
		raw[w*4], raw[w*4+1], raw[w*4+2], raw[w*4+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	var addr netip.Addr
	if n == 1 {
		addr = netip.AddrFrom4([4]byte(raw[:4]))
	} else {
		addr = netip.AddrFrom16(raw).Unmap()
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}
