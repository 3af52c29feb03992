// Package testutil holds what the Go tests of this module share: where the
// read-only reference material lives (JOY_SHARED), packet builders on top of
// gopacket for the link types it can serialize (hand-made headers for the
// others), and small checks on JSON-lines output.
//
// It imports no package of this module, so every package's internal tests
// can use it without an import cycle.
package testutil

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// RepoRoot returns the directory holding go.mod, found by walking up from
// the working directory (go test runs each package in its own directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SharedDir returns the shared reference directory: $JOY_SHARED, or
// ../shared next to the repository root. ok is false when it is absent.
func SharedDir() (dir string, ok bool) {
	dir = os.Getenv("JOY_SHARED")
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(root, "..", "shared")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return dir, false
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir, true
	}
	return abs, true
}

// NeedShared returns the shared directory or skips the test when it is
// absent.
func NeedShared(tb testing.TB) string {
	tb.Helper()
	dir, ok := SharedDir()
	if !ok {
		tb.Skipf("shared reference material not found at %q: set JOY_SHARED to the directory holding spec/, ref/ and pcaps/", dir)
	}
	return dir
}

// ---------------------------------------------------------------------------
// Packet building

// Serialize serializes layers with lengths fixed and checksums computed. A
// TCP, UDP or ICMPv6 layer gets the last IPv4/IPv6 layer before it as its
// checksum network layer; without one, checksums are left zero. It panics on
// error (all inputs are the tests' own).
func Serialize(ls ...gopacket.SerializableLayer) []byte {
	var net gopacket.NetworkLayer
	checksums := true
	for _, l := range ls {
		var t interface {
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}
		switch v := l.(type) {
		case *layers.IPv4:
			net = v
		case *layers.IPv6:
			net = v
		case *layers.TCP:
			t = v
		case *layers.UDP:
			t = v
		case *layers.ICMPv6:
			t = v
		}
		if t != nil {
			if net == nil {
				checksums = false
			} else {
				_ = t.SetNetworkLayerForChecksum(net)
			}
		}
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: checksums}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		panic(fmt.Sprintf("testutil.Serialize: %v", err))
	}
	return append([]byte(nil), buf.Bytes()...)
}

// Ether returns an Ethernet header with fixed MAC addresses.
func Ether(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{
		SrcMAC:       net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01},
		DstMAC:       net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02},
		EthernetType: t,
	}
}

// IPv4 returns an IPv4 header (TTL 64, no options) from src to dst.
func IPv4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

// IPv6 returns an IPv6 header (hop limit 64) from src to dst.
func IPv6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next,
		SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

// TCP returns a TCP header. flags is a string of the letters F S R P A U E C.
func TCP(sp, dp uint16, seq, ack uint32, flags string, win uint16) *layers.TCP {
	t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: ack, Window: win}
	for _, c := range flags {
		switch c {
		case 'F':
			t.FIN = true
		case 'S':
			t.SYN = true
		case 'R':
			t.RST = true
		case 'P':
			t.PSH = true
		case 'A':
			t.ACK = true
		case 'U':
			t.URG = true
		case 'E':
			t.ECE = true
		case 'C':
			t.CWR = true
		default:
			panic("testutil.TCP: unknown flag " + string(c))
		}
	}
	return t
}

// UDP returns a UDP header.
func UDP(sp, dp uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
}

// EthUDP4 is an Ethernet/IPv4/UDP frame carrying payload.
func EthUDP4(src, dst string, sp, dp uint16, payload []byte) []byte {
	return Serialize(Ether(layers.EthernetTypeIPv4), IPv4(src, dst, layers.IPProtocolUDP), UDP(sp, dp), gopacket.Payload(payload))
}

// EthTCP4 is an Ethernet/IPv4/TCP frame carrying payload.
func EthTCP4(src, dst string, tcp *layers.TCP, payload []byte) []byte {
	return Serialize(Ether(layers.EthernetTypeIPv4), IPv4(src, dst, layers.IPProtocolTCP), tcp, gopacket.Payload(payload))
}

// SLL prepends a Linux cooked capture v1 header (16 bytes, LINKTYPE 113):
// packet type, ARPHRD_ETHER, address length 6, 8 address bytes, protocol.
func SLL(etype layers.EthernetType, payload []byte) []byte {
	h := make([]byte, 16, 16+len(payload))
	binary.BigEndian.PutUint16(h[0:], 0) // to us
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], []byte{0x02, 0, 0, 0, 0, 0x01})
	binary.BigEndian.PutUint16(h[14:], uint16(etype))
	return append(h, payload...)
}

// SLL2 prepends a Linux cooked capture v2 header (20 bytes, LINKTYPE 276):
// protocol, reserved, interface index, ARPHRD type, packet type, address
// length, 8 address bytes.
func SLL2(etype layers.EthernetType, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(h[0:], uint16(etype))
	binary.BigEndian.PutUint32(h[4:], 3) // ifindex
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = 4                            // outgoing
	h[11] = 6
	copy(h[12:], []byte{0x02, 0, 0, 0, 0, 0x01})
	return append(h, payload...)
}

// Null prepends a BSD loopback header (LINKTYPE_NULL 0): the address family
// in the capturing host's byte order, here little-endian.
func Null(family uint32, payload []byte) []byte {
	h := binary.LittleEndian.AppendUint32(nil, family)
	return append(h, payload...)
}

// Loop prepends an OpenBSD loopback header (LINKTYPE_LOOP 108): the address
// family in network byte order.
func Loop(family uint32, payload []byte) []byte {
	h := binary.BigEndian.AppendUint32(nil, family)
	return append(h, payload...)
}

// Pcapng writes a little-endian pcapng file by hand: a section header, one
// interface description block per link type (µs resolution, the default)
// and an enhanced packet block per packet. Unlike gopacket's NgWriter it
// takes link types above 255.
func Pcapng(links []uint16, pkts ...NgPacket) []byte {
	le := binary.LittleEndian
	block := func(b []byte, typ uint32, body []byte) []byte {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		n := uint32(12 + len(body))
		b = le.AppendUint32(b, typ)
		b = le.AppendUint32(b, n)
		b = append(b, body...)
		return le.AppendUint32(b, n)
	}
	var shb []byte
	shb = le.AppendUint32(shb, 0x1a2b3c4d)
	shb = le.AppendUint16(shb, 1)
	shb = le.AppendUint16(shb, 0)
	shb = le.AppendUint64(shb, ^uint64(0))
	out := block(nil, 0x0a0d0d0a, shb)
	for _, l := range links {
		var idb []byte
		idb = le.AppendUint16(idb, l)
		idb = le.AppendUint16(idb, 0)
		idb = le.AppendUint32(idb, 0)
		out = block(out, 1, idb)
	}
	for _, p := range pkts {
		var epb []byte
		epb = le.AppendUint32(epb, uint32(p.Iface))
		epb = le.AppendUint32(epb, uint32(uint64(p.TS)>>32))
		epb = le.AppendUint32(epb, uint32(p.TS))
		epb = le.AppendUint32(epb, uint32(len(p.Data)))
		epb = le.AppendUint32(epb, uint32(len(p.Data)))
		epb = append(epb, p.Data...)
		out = block(out, 6, epb)
	}
	return out
}

// NgPacket is one packet for Pcapng: interface index, µs timestamp, bytes.
type NgPacket struct {
	Iface int
	TS    int64
	Data  []byte
}

// ---------------------------------------------------------------------------
// JSON lines

// Lines splits output into lines without their newlines; a final empty
// line (after the last newline) is not returned.
func Lines(out []byte) []string {
	s := strings.TrimSuffix(string(out), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// CheckJSONLines reports every line of out that is not a valid JSON object,
// and a missing final newline. It returns the number of lines.
func CheckJSONLines(tb testing.TB, out []byte) int {
	tb.Helper()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		tb.Errorf("output does not end with a newline: ...%q", tail(out, 60))
	}
	lines := Lines(out)
	bad := 0
	for i, l := range lines {
		if !json.Valid([]byte(l)) || !strings.HasPrefix(l, "{") {
			bad++
			if bad <= 3 {
				tb.Errorf("line %d is not a valid JSON object: %.300s", i+1, l)
			}
		}
	}
	if bad > 3 {
		tb.Errorf("... %d invalid lines in all", bad)
	}
	return len(lines)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// IsIPv6Line reports whether a flow line's "sa" is an IPv6 address (the
// original ignored IPv6; these lines are our extension).
func IsIPv6Line(l string) bool {
	const k = `{"sa":"`
	if !strings.HasPrefix(l, k) {
		return false
	}
	rest := l[len(k):]
	end := strings.IndexByte(rest, '"')
	return end >= 0 && strings.Contains(rest[:end], ":")
}

// DropIPv6 returns out without the lines whose "sa" is an IPv6 address.
func DropIPv6(out []byte) []byte {
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if IsIPv6Line(sc.Text()) {
			continue
		}
		b.Write(sc.Bytes())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ---------------------------------------------------------------------------
// Frames from capture files (fuzz seeds)

// Frame is one captured packet and its link type.
type Frame struct {
	Link int
	TS   int64 // µs
	Data []byte
}

// ReadFrames returns up to max packets of a pcap or pcapng file (chosen by
// magic number), read with gopacket's pcapgo. Errors part-way end the list.
func ReadFrames(path string, max int) ([]Frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, err
	}
	type src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var r src
	link := 0
	if binary.LittleEndian.Uint32(magic) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, err
		}
		r = ng
	} else {
		hdr, err := br.Peek(24)
		if err != nil {
			return nil, err
		}
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, err
		}
		// pcapgo's LinkType is 8 bits wide (gopacket v1.1.19); read the
		// 32-bit field ourselves (low 28 bits are the link type).
		var order binary.ByteOrder = binary.LittleEndian
		if m := binary.BigEndian.Uint32(hdr); m == 0xa1b2c3d4 || m == 0xa1b23c4d {
			order = binary.BigEndian
		}
		r, link = pr, int(order.Uint32(hdr[20:])&0x0fffffff)
	}
	var out []Frame
	for len(out) < max {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return out, nil
		}
		l := link
		if len(ci.AncillaryData) > 0 {
			if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				l = int(lt)
			}
		}
		var ts int64
		if !ci.Timestamp.IsZero() { // no time (simple packet block): 0, as libpcap gives
			ts = ci.Timestamp.UnixMicro()
		}
		out = append(out, Frame{Link: l, TS: ts, Data: data})
	}
	return out, nil
}

// SeedFrames returns up to perFile packets from each named capture in the
// shared pcaps folder, or nothing when the shared folder is absent. Fuzz
// targets use them as extra seeds; nothing read here is ever committed.
func SeedFrames(perFile int, names ...string) []Frame {
	dir, ok := SharedDir()
	if !ok {
		return nil
	}
	var out []Frame
	for _, n := range names {
		fr, err := ReadFrames(filepath.Join(dir, "pcaps", n), perFile)
		if err != nil {
			continue
		}
		out = append(out, fr...)
	}
	return out
}

// SeedFiles returns the first max bytes of each named capture in the shared
// pcaps folder (nothing when it is absent).
func SeedFiles(max int, names ...string) [][]byte {
	dir, ok := SharedDir()
	if !ok {
		return nil
	}
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, "pcaps", n))
		if err != nil {
			continue
		}
		if len(b) > max {
			b = b[:max]
		}
		out = append(out, b)
	}
	return out
}

// ---------------------------------------------------------------------------
// Fuzz inputs of two-direction modules

// FuzzChunks splits fuzz input into payloads for two directions: each
// payload is a header byte (bit 0: direction, bits 1–7: length, 127 meaning
// that a two-byte length follows) and then its bytes.
func FuzzChunks(data []byte) (dirs [2][][]byte) {
	for len(data) > 0 {
		h := data[0]
		data = data[1:]
		n := int(h >> 1)
		if n == 127 && len(data) >= 2 {
			n = int(data[0])<<8 | int(data[1])
			data = data[2:]
		}
		n = min(n, len(data))
		dirs[h&1] = append(dirs[h&1], data[:n])
		data = data[n:]
	}
	return dirs
}

// EncodeChunks is the inverse of FuzzChunks, for seeds: payloads of one
// direction (0 or 1).
func EncodeChunks(dir int, payloads ...string) []byte {
	var b []byte
	for _, p := range payloads {
		if len(p) < 127 {
			b = append(b, byte(len(p)<<1|dir))
		} else {
			b = append(b, 127<<1|byte(dir), byte(len(p)>>8), byte(len(p)))
		}
		b = append(b, p...)
	}
	return b
}

// ValidMember fails the test unless a module's member (with its leading
// comma) makes a valid JSON object.
func ValidMember(tb testing.TB, member []byte) {
	tb.Helper()
	if rec := append(append([]byte(`{"x":1`), member...), '}'); !json.Valid(rec) {
		tb.Fatalf("invalid JSON: %q", rec)
	}
}

// BuildJoy builds the joy command (./cmd/joy of this repository) into dir
// and returns the binary's path. The build gets five minutes: a loaded
// 2-core machine with a cold cache needs more than a minute.
func BuildJoy(dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		g := os.Getenv("GOROOT")
		if g == "" {
			return "", fmt.Errorf("go tool not found: %w", err)
		}
		goTool = filepath.Join(g, "bin", "go")
	}
	bin := filepath.Join(dir, "joy")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/joy")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/joy: %v\n%s", err, out)
	}
	return bin, nil
}

// JoyOnce builds the joy command the first time a test of the package needs
// it. The zero value is ready; call Remove from TestMain when done.
type JoyOnce struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Path returns the built command, or fails tb when it cannot be built.
func (j *JoyOnce) Path(tb testing.TB) string {
	tb.Helper()
	j.once.Do(func() {
		if j.dir, j.err = os.MkdirTemp("", "joy-test-"); j.err == nil {
			j.bin, j.err = BuildJoy(j.dir)
		}
	})
	if j.err != nil {
		tb.Fatal(j.err)
	}
	return j.bin
}

// Remove deletes the build directory, if one was made.
func (j *JoyOnce) Remove() {
	if j.dir != "" {
		os.RemoveAll(j.dir)
	}
}
