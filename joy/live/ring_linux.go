//go:build linux

package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gojoy/libjoy/joy/decode"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Kernel constants (linux/if_packet.h) that golang.org/x/sys may lack.
const (
	packetFanout         = 18
	packetFanoutHash     = 0
	packetFanoutUniqueID = 0x2000 // PACKET_FANOUT_FLAG_UNIQUEID: the kernel picks a free group id
	tpStatusKernel       = 0
	tpStatusUser         = 1 << 0
	tpStatusVLANValid    = 1 << 4
	tpStatusVLANTPID     = 1 << 6
	tpacket3HdrLen       = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): where sockaddr_ll follows
	ethPAll              = 0x0003
	opRetK               = 0x06 // BPF_RET | BPF_K
)

// Capture is an open live capture: one AF_PACKET socket and ring per member.
type Capture struct {
	name    string
	ifindex int
	link    decode.LinkType
	cooked  bool
	members []*Member
	closed  bool
}

// Member is one socket of a capture, read by one goroutine.
type Member struct {
	fd        int
	ring      []byte
	blockSize int
	blocks    int
	cur       int
	link      decode.LinkType
	cooked    bool
	scratch   []byte
	pfd       []unix.PollFd
	ifindex   int
	checked   time.Time // when the interface was last seen to exist

	statsMu  sync.Mutex
	received atomic.Uint64
	dropped  atomic.Uint64
}

// LinkTypeOf returns the link type (pcap DLT) the frames of interface name
// will have, for compiling a filter before Open.
func LinkTypeOf(name string) (decode.LinkType, error) {
	if _, err := net.InterfaceByName(name); err != nil {
		return 0, &InterfaceError{name, errors.Unwrap(err)}
	}
	link, _ := linkOf(arphrd(name))
	return link, nil
}

// arphrd reads the interface's hardware type; Ethernet when unknown.
func arphrd(name string) uint16 {
	b, err := os.ReadFile("/sys/class/net/" + name + "/type")
	if err != nil {
		return 1
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 16)
	if err != nil {
		return 1
	}
	return uint16(n)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Open opens the capture. Nothing is delivered to the rings before every
// member has joined the fanout group, so no flow is split by the start.
func Open(o Options) (*Capture, error) {
	ifc, err := net.InterfaceByName(o.Interface)
	if err != nil {
		var e *net.OpError
		if errors.As(err, &e) {
			err = e.Err
		}
		return nil, &InterfaceError{o.Interface, err}
	}
	if o.Members < 1 {
		o.Members = 1
	}
	if o.BlockSize <= 0 {
		o.BlockSize = 1 << 20
	}
	if o.Blocks <= 0 {
		// 64 MiB of ring in all (with the default 1 MiB blocks),
		// at least 4 blocks per member.
		o.Blocks = max(4, (64<<20)/o.BlockSize/o.Members)
	}
	if o.BlockTimeoutMS <= 0 {
		o.BlockTimeoutMS = 50
	}
	if o.BlockSize%os.Getpagesize() != 0 || o.BlockSize&(o.BlockSize-1) != 0 {
		return nil, fmt.Errorf("ring block size %d is not a power of two multiple of the page size", o.BlockSize)
	}
	c := &Capture{name: ifc.Name, ifindex: ifc.Index}
	c.link, c.cooked = linkOf(arphrd(ifc.Name))
	fail := func(err error) (*Capture, error) {
		c.Close()
		return nil, &InterfaceError{o.Interface, err}
	}
	fanoutID := -1
	for i := 0; i < o.Members; i++ {
		m, err := c.openMember(o)
		if err != nil {
			return fail(err)
		}
		c.members = append(c.members, m)
		if i == 0 && o.Promisc {
			mreq := unix.PacketMreq{Ifindex: int32(c.ifindex), Type: unix.PACKET_MR_PROMISC}
			if err := unix.SetsockoptPacketMreq(m.fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
				return fail(fmt.Errorf("promiscuous mode: %w", err))
			}
		}
		if o.Members > 1 {
			if fanoutID, err = m.joinFanout(fanoutID); err != nil {
				return fail(fmt.Errorf("PACKET_FANOUT: %w", err))
			}
		}
	}
	// Every member is in the group: let packets in.
	for _, m := range c.members {
		if err := m.setFilter(o.Filter); err != nil {
			return fail(fmt.Errorf("attaching the filter: %w", err))
		}
	}
	return c, nil
}

func (c *Capture) openMember(o Options) (*Member, error) {
	typ := unix.SOCK_RAW
	if c.cooked {
		typ = unix.SOCK_DGRAM
	}
	// Protocol 0: the socket receives nothing until it is bound below.
	fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	m := &Member{fd: fd, blockSize: o.BlockSize, blocks: o.Blocks, link: c.link, cooked: c.cooked, ifindex: c.ifindex,
		scratch: make([]byte, 0, 1<<16), pfd: []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLERR}}}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		m.close()
		return nil, fmt.Errorf("TPACKET_V3: %w", err)
	}
	// Reject everything until all members are in the fanout group.
	if err := m.setFilter([]bpf.RawInstruction{{Op: opRetK, K: 0}}); err != nil {
		m.close()
		return nil, fmt.Errorf("SO_ATTACH_FILTER: %w", err)
	}
	req := unix.TpacketReq3{
		Block_size:     uint32(o.BlockSize),
		Block_nr:       uint32(o.Blocks),
		Frame_size:     1 << 11,
		Frame_nr:       uint32(o.BlockSize / (1 << 11) * o.Blocks),
		Retire_blk_tov: uint32(o.BlockTimeoutMS),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		m.close()
		return nil, fmt.Errorf("PACKET_RX_RING: %w", err)
	}
	m.ring, err = unix.Mmap(fd, 0, o.BlockSize*o.Blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		m.close()
		return nil, fmt.Errorf("mapping the ring: %w", err)
	}
	sa := unix.SockaddrLinklayer{Protocol: htons(ethPAll), Ifindex: c.ifindex}
	if err := unix.Bind(fd, &sa); err != nil {
		m.close()
		return nil, fmt.Errorf("bind: %w", err)
	}
	return m, nil
}

// joinFanout adds the member to fanout group id (-1: a new group with an
// id the kernel picks) and returns the group's id.
func (m *Member) joinFanout(id int) (int, error) {
	if id < 0 {
		err := unix.SetsockoptInt(m.fd, unix.SOL_PACKET, packetFanout, packetFanoutHash|packetFanoutUniqueID<<16)
		if err == nil {
			v, err := unix.GetsockoptInt(m.fd, unix.SOL_PACKET, packetFanout)
			if err != nil {
				return 0, err
			}
			return v & 0xffff, nil
		}
		// Kernels before 4.13 have no unique ids: take one from the pid.
		id = os.Getpid() & 0xffff
	}
	return id, unix.SetsockoptInt(m.fd, unix.SOL_PACKET, packetFanout, id|packetFanoutHash<<16)
}

// setFilter attaches prog (nil: accept everything) to the socket.
func (m *Member) setFilter(prog []bpf.RawInstruction) error {
	if prog == nil {
		prog = []bpf.RawInstruction{{Op: opRetK, K: 0x40000}}
	}
	if len(prog) == 0 || len(prog) > 4096 {
		return fmt.Errorf("a BPF program has 1 to 4096 instructions, not %d", len(prog))
	}
	f := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		f[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	fp := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
	return unix.SetsockoptSockFprog(m.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fp)
}

// LinkType is the link type of the frames Read delivers.
func (c *Capture) LinkType() decode.LinkType { return c.link }

// Interface is the name of the captured interface.
func (c *Capture) Interface() string { return c.name }

// Members returns the members; each must be read by one goroutine.
func (c *Capture) Members() []*Member { return c.members }

// Stats reads the kernel's counters of every member.
func (c *Capture) Stats() Stats {
	var s Stats
	for _, m := range c.members {
		ms := m.Stats()
		s.Received += ms.Received
		s.Dropped += ms.Dropped
	}
	return s
}

// Stats reads the member's kernel counters (the kernel resets them on
// every read; they are accumulated here). Safe for concurrent use.
func (m *Member) Stats() Stats {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	if m.fd >= 0 {
		if st, err := unix.GetsockoptTpacketStatsV3(m.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			m.received.Add(uint64(st.Packets))
			m.dropped.Add(uint64(st.Drops))
		}
	}
	return Stats{Received: m.received.Load(), Dropped: m.dropped.Load()}
}

// Close releases every member. The members must not be read any more.
func (c *Capture) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	for _, m := range c.members {
		m.Stats() // keep the last counts
		m.close()
	}
	return nil
}

func (m *Member) close() {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	if m.ring != nil {
		unix.Munmap(m.ring)
		m.ring = nil
	}
	if m.fd >= 0 {
		unix.Close(m.fd)
		m.fd = -1
	}
}

func (m *Member) blockStatus(b []byte) *uint32 { return (*uint32)(unsafe.Pointer(&b[8])) }

// Read hands every packet of the next full block to fn, waiting up to
// timeout for one, and returns the number of packets handed. fn gets the
// time in microseconds since the epoch and the frame, valid only during
// the call. Only one goroutine may read a member.
func (m *Member) Read(timeout time.Duration, fn func(ts int64, frame []byte)) (int, error) {
	b := m.ring[m.cur*m.blockSize : (m.cur+1)*m.blockSize]
	st := m.blockStatus(b)
	if atomic.LoadUint32(st)&tpStatusUser == 0 {
		m.pfd[0].Revents = 0
		_, err := unix.Poll(m.pfd, int(timeout/time.Millisecond))
		if err != nil && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		if m.pfd[0].Revents&unix.POLLERR != 0 {
			// Reading SO_ERROR clears it; until then poll would not wait.
			if e, err := unix.GetsockoptInt(m.fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && e != 0 {
				if _, err := net.InterfaceByIndex(m.ifindex); err != nil {
					e = int(unix.ENODEV) // deleted, not only down
				}
				return 0, &SocketError{Err: unix.Errno(e)}
			}
		}
		if atomic.LoadUint32(st)&tpStatusUser == 0 {
			// An interface deleted while down leaves no error on the
			// socket: look for it now and then.
			if now := time.Now(); now.Sub(m.checked) >= time.Second {
				m.checked = now
				if _, err := net.InterfaceByIndex(m.ifindex); err != nil {
					return 0, &SocketError{Err: unix.ENODEV}
				}
			}
			return 0, nil
		}
	}
	le := binary.NativeEndian // the ring is in host byte order
	num := int(le.Uint32(b[12:]))
	off := int(le.Uint32(b[16:]))
	for i := 0; i < num && off >= 0 && off+tpacket3HdrLen <= len(b); i++ {
		h := b[off:]
		next := int(le.Uint32(h[0:]))
		sec, nsec := int64(le.Uint32(h[4:])), int64(le.Uint32(h[8:]))
		snap := int(le.Uint32(h[12:]))
		status := le.Uint32(h[20:])
		mac := int(le.Uint16(h[24:]))
		if mac+snap <= len(h) {
			frame := h[mac : mac+snap]
			switch {
			case m.cooked:
				frame = m.withSLL(h, frame)
			case status&tpStatusVLANValid != 0 && m.link == decode.LinkEthernet && len(frame) >= 12:
				tpid := uint16(0x8100)
				if status&tpStatusVLANTPID != 0 {
					tpid = le.Uint16(h[36:])
				}
				frame = m.withTag(frame, tpid, uint16(le.Uint32(h[32:])))
			}
			fn(sec*1e6+nsec/1000, frame)
		}
		if next <= 0 {
			break
		}
		off += next
	}
	atomic.StoreUint32(st, tpStatusKernel)
	m.cur = (m.cur + 1) % m.blocks
	return num, nil
}

// withTag puts back the 802.1Q tag the kernel took out of an Ethernet
// frame (it reports the tag beside the frame), as libpcap does.
func (m *Member) withTag(frame []byte, tpid, tci uint16) []byte {
	s := append(m.scratch[:0], frame[:12]...)
	s = binary.BigEndian.AppendUint16(s, tpid)
	s = binary.BigEndian.AppendUint16(s, tci)
	s = append(s, frame[12:]...)
	m.scratch = s
	return s
}

// withSLL puts a Linux cooked (v1) header, built from the sockaddr_ll the
// kernel stores after the packet header, in front of a network-layer
// packet.
func (m *Member) withSLL(h, frame []byte) []byte {
	if len(h) < tpacket3HdrLen+20 {
		return frame
	}
	sll := h[tpacket3HdrLen : tpacket3HdrLen+20]
	be := binary.BigEndian
	s := m.scratch[:0]
	s = be.AppendUint16(s, uint16(sll[10]))                     // packet type
	s = be.AppendUint16(s, binary.NativeEndian.Uint16(sll[8:])) // ARPHRD
	halen := min(int(sll[11]), 8)
	s = be.AppendUint16(s, uint16(halen))
	var addr [8]byte
	copy(addr[:], sll[12:12+halen])
	s = append(s, addr[:]...)
	s = append(s, sll[2], sll[3]) // protocol, already in network order
	s = append(s, frame...)
	m.scratch = s
	return s
}

var errNoDevice error = unix.ENODEV
