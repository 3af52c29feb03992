// Command joy-mkdemo writes a small, deterministic demo capture for the
// embedding example: a TCP flow with a handshake and data both ways, a UDP
// flow, a TLS-like flow on port 443 and a DNS query/response.
//
//	go run ./cmd/joy-mkdemo build/demo.pcap
//
// Every packet gets a fixed timestamp from 2020-01-01T00:00:00Z on, so the
// file is byte-identical on every run. The DNS exchange comes 20 s after the
// rest, which makes the earlier flows time out (10 s inactive timeout) and
// shows up as "expired" output in the middle of the run.
package main

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

var (
	clientMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	routerMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}
	client    = net.IPv4(10, 0, 0, 1).To4()
)

// demo accumulates packets and the running capture clock.
type demo struct {
	w     *pcapgo.Writer
	now   time.Time
	ipID  uint16
	count int
}

func (d *demo) advance(ms int) { d.now = d.now.Add(time.Duration(ms) * time.Millisecond) }

// write serializes the layers (lengths and checksums filled in) and
// appends the frame to the capture at the current clock.
func (d *demo) write(ls ...gopacket.SerializableLayer) error {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		return err
	}
	b := buf.Bytes()
	d.count++
	return d.w.WritePacket(gopacket.CaptureInfo{Timestamp: d.now, CaptureLength: len(b), Length: len(b)}, b)
}

// ipv4 returns the Ethernet and IPv4 headers for a packet from src to dst;
// frames from the client go to the router MAC and back.
func (d *demo) ipv4(src, dst net.IP, proto layers.IPProtocol) (*layers.Ethernet, *layers.IPv4) {
	eth := &layers.Ethernet{SrcMAC: clientMAC, DstMAC: routerMAC, EthernetType: layers.EthernetTypeIPv4}
	if !src.Equal(client) {
		eth.SrcMAC, eth.DstMAC = routerMAC, clientMAC
	}
	d.ipID++
	ttl := uint8(64)
	if !src.Equal(client) {
		ttl = 57
	}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: ttl, Id: d.ipID, Flags: layers.IPv4DontFragment,
		Protocol: proto, SrcIP: src, DstIP: dst}
	return eth, ip
}

// tcpConn tracks sequence numbers of one TCP connection.
type tcpConn struct {
	d          *demo
	cli, srv   net.IP
	cport      layers.TCPPort
	sport      layers.TCPPort
	cseq, sseq uint32
}

// send writes one segment; fromClient picks the direction. SYN and FIN
// consume one sequence number, as on the wire.
func (c *tcpConn) send(fromClient bool, flags string, payload []byte) error {
	src, dst := c.srv, c.cli
	sp, dp := c.sport, c.cport
	seq, ack := &c.sseq, c.cseq
	if fromClient {
		src, dst = c.cli, c.srv
		sp, dp = c.cport, c.sport
		seq, ack = &c.cseq, c.sseq
	}
	eth, ip := c.d.ipv4(src, dst, layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: *seq, Window: 64240}
	for _, f := range flags {
		switch f {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'P':
			tcp.PSH = true
		case 'F':
			tcp.FIN = true
		}
	}
	if tcp.ACK {
		tcp.Ack = ack
	}
	if tcp.SYN {
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	*seq += uint32(len(payload))
	if tcp.SYN || tcp.FIN {
		*seq++
	}
	return c.d.write(eth, ip, tcp, gopacket.Payload(payload))
}

// handshake, exchange and close make up a whole connection.
func (c *tcpConn) handshake() error {
	steps := []struct {
		cli   bool
		flags string
		ms    int
	}{{true, "S", 0}, {false, "SA", 12}, {true, "A", 12}}
	for _, s := range steps {
		c.d.advance(s.ms)
		if err := c.send(s.cli, s.flags, nil); err != nil {
			return err
		}
	}
	return nil
}

func (c *tcpConn) close() error {
	c.d.advance(5)
	if err := c.send(true, "FA", nil); err != nil {
		return err
	}
	c.d.advance(12)
	if err := c.send(false, "FA", nil); err != nil {
		return err
	}
	c.d.advance(12)
	return c.send(true, "A", nil)
}

// fill returns n bytes of a repeating pattern, so payloads are recognisable.
func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i%23)
	}
	return b
}

// handshakeRecord wraps one handshake message (type hsType) in a TLS
// record (content type 22) with the given record version.
func handshakeRecord(version uint16, hsType byte, body []byte) []byte {
	n := len(body)
	hs := append([]byte{hsType, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
	rec := []byte{0x16, byte(version >> 8), byte(version), byte(len(hs) >> 8), byte(len(hs))}
	return append(rec, hs...)
}

// clientHello is a minimal but well-formed TLS 1.2 ClientHello with two
// cipher suites and a server_name extension.
func clientHello() []byte {
	b := []byte{0x03, 0x03}
	b = append(b, fill(32, 0x40)...)                  // random
	b = append(b, 0x00)                               // no session id
	b = append(b, 0x00, 0x04, 0xc0, 0x2f, 0x00, 0x2f) // cipher suites
	b = append(b, 0x01, 0x00)                         // null compression
	name := []byte("demo.example")
	sni := []byte{0x00, 0x00, 0x00, byte(len(name) + 5), 0x00, byte(len(name) + 3), 0x00, 0x00, byte(len(name))}
	sni = append(sni, name...)
	b = append(b, 0x00, byte(len(sni)))
	return handshakeRecord(0x0301, 0x01, append(b, sni...))
}

// serverHello picks the first suite of clientHello.
func serverHello() []byte {
	b := []byte{0x03, 0x03}
	b = append(b, fill(32, 0x60)...)
	b = append(b, 0x00, 0xc0, 0x2f, 0x00, 0x00, 0x00)
	return handshakeRecord(0x0303, 0x02, b)
}

func (d *demo) udp(src, dst net.IP, sp, dp layers.UDPPort, payload gopacket.SerializableLayer) error {
	eth, ip := d.ipv4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: sp, DstPort: dp}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	return d.write(eth, ip, u, payload)
}

func run(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	d := &demo{w: w, now: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}

	// 1. Plain TCP: handshake, a request, a two-segment answer, close.
	web := &tcpConn{d: d, cli: client, srv: net.IPv4(10, 0, 0, 2).To4(), cport: 40000, sport: 8080,
		cseq: 1000, sseq: 5000}
	if err := web.handshake(); err != nil {
		return err
	}
	d.advance(3)
	if err := web.send(true, "PA", []byte("GET /demo HTTP/1.0\r\nHost: demo\r\n\r\n")); err != nil {
		return err
	}
	for _, n := range []int{1200, 300} {
		d.advance(15)
		if err := web.send(false, "PA", fill(n, 'a')); err != nil {
			return err
		}
	}
	d.advance(10)
	if err := web.send(true, "A", nil); err != nil {
		return err
	}
	if err := web.close(); err != nil {
		return err
	}

	// 2. UDP both ways.
	d.advance(100)
	peer := net.IPv4(10, 0, 0, 3).To4()
	for i := 0; i < 3; i++ {
		if err := d.udp(client, peer, 50000, 9999, gopacket.Payload(fill(100+i*10, 'u'))); err != nil {
			return err
		}
		d.advance(20)
		if err := d.udp(peer, client, 9999, 50000, gopacket.Payload(fill(60, 'v'))); err != nil {
			return err
		}
		d.advance(200)
	}

	// 3. TLS-like: ClientHello in a TLS 1.0 record, ServerHello in 1.2.
	tls := &tcpConn{d: d, cli: client, srv: net.IPv4(10, 0, 0, 4).To4(), cport: 40001, sport: 443,
		cseq: 70000, sseq: 90000}
	if err := tls.handshake(); err != nil {
		return err
	}
	d.advance(2)
	if err := tls.send(true, "PA", clientHello()); err != nil {
		return err
	}
	d.advance(30)
	if err := tls.send(false, "PA", serverHello()); err != nil {
		return err
	}
	d.advance(10)
	if err := tls.send(true, "A", nil); err != nil {
		return err
	}
	d.advance(40)
	// Application data records (type 23) both ways.
	if err := tls.send(true, "PA", append([]byte{0x17, 0x03, 0x03, 0x00, 0x40}, fill(64, 0x80)...)); err != nil {
		return err
	}
	d.advance(25)
	if err := tls.send(false, "PA", append([]byte{0x17, 0x03, 0x03, 0x01, 0x00}, fill(256, 0x90)...)); err != nil {
		return err
	}
	if err := tls.close(); err != nil {
		return err
	}

	// 4. DNS 20 s later, so the flows above are expired by then.
	d.advance(20000)
	resolver := net.IPv4(10, 0, 0, 53).To4()
	q := layers.DNSQuestion{Name: []byte("example.com"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}
	query := &layers.DNS{ID: 0x1234, RD: true, Questions: []layers.DNSQuestion{q}}
	if err := d.udp(client, resolver, 53000, 53, query); err != nil {
		return err
	}
	d.advance(18)
	answer := &layers.DNS{ID: 0x1234, QR: true, RD: true, RA: true, Questions: []layers.DNSQuestion{q},
		Answers: []layers.DNSResourceRecord{{Name: []byte("example.com"), Type: layers.DNSTypeA,
			Class: layers.DNSClassIN, TTL: 300, IP: net.IPv4(93, 184, 216, 34).To4()}}}
	if err := d.udp(resolver, client, 53, 53000, answer); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "joy-mkdemo: wrote %d packets to %s\n", d.count, path)
	return f.Close()
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: joy-mkdemo OUT.pcap")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "joy-mkdemo:", err)
		os.Exit(1)
	}
}
