// Package live captures packets from a network interface for joy contexts.
//
// On Linux it reads AF_PACKET sockets through TPACKET_V3 memory-mapped rings,
// in pure Go (golang.org/x/sys/unix, no libpcap). A capture has one or more
// members; with more than one they form a PACKET_FANOUT group in hash mode,
// so the kernel spreads flows over the members. The kernel's fanout hash is
// symmetric (it hashes the flow's addresses and ports in a canonical order),
// so both directions of a flow reach the same member, and one joy context
// per member sees whole flows.
//
//	c, err := live.Open(live.Options{Interface: "eth0", Members: 2})
//	for _, m := range c.Members() {
//		go func(m *live.Member) {
//			ctx := joy.NewContext(cfg, out, log)
//			ctx.SetLinkType(c.LinkType())
//			for !stopped() {
//				m.Read(100*time.Millisecond, ctx.ProcessPacket)
//				ctx.PrintFlows(joy.ExpiredFlows)
//			}
//		}(m)
//	}
//
// A filter (classic BPF, for example from package pcapbpf) runs in the
// kernel on each member before a packet is copied into the ring.
package live

import (
	"errors"
	"fmt"
	"net"

	"github.com/gojoy/libjoy/joy/decode"
	"golang.org/x/net/bpf"
)

// Options say what to capture and how.
type Options struct {
	Interface string // interface name
	Members   int    // fanout members (goroutines, contexts); 0 or 1: one socket, no fanout
	Promisc   bool   // put the interface in promiscuous mode while the capture is open
	// Filter, when not nil, is a classic BPF program for the capture's link
	// type (LinkTypeOf); packets it rejects never reach the ring.
	Filter []bpf.RawInstruction
	// Ring geometry per member: BlockSize bytes (a power of two, at least
	// the page size; default 1 MiB) times Blocks (default: 64 MiB in all,
	// shared among the members, at least 4 blocks each). A block is
	// handed to the reader when it is full or BlockTimeoutMS milliseconds
	// (default 50) after its first packet.
	BlockSize      int
	Blocks         int
	BlockTimeoutMS int
}

// Stats are the kernel's counters of a capture, summed over its members.
type Stats struct {
	Received uint64 // packets that passed the filter, including the dropped ones
	Dropped  uint64 // packets the kernel dropped because a ring was full
}

// ErrNoInterface is returned by AutoInterface when no interface qualifies.
var ErrNoInterface = errors.New("no suitable interface: none is up, not loopback and with an IP address")

// AutoInterface picks the interface for "interface=auto" as the original
// did: the first interface (in index order) that is up, is not a loopback
// and has an IPv4 or IPv6 address.
func AutoInterface() (string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP != nil {
				return ifc.Name, nil
			}
		}
	}
	return "", ErrNoInterface
}

// InterfaceError is an interface that cannot be captured on.
type InterfaceError struct {
	Name string
	Err  error
}

func (e *InterfaceError) Error() string { return fmt.Sprintf("interface %q: %v", e.Name, e.Err) }
func (e *InterfaceError) Unwrap() error { return e.Err }

// SocketError is an error the kernel reported on a member's socket. The
// member stays usable: after ENETDOWN (the interface went down) packets
// flow again when it comes back up. After ENODEV (the interface is gone)
// nothing more will come; Fatal reports that.
type SocketError struct{ Err error }

func (e *SocketError) Error() string { return "capture socket: " + e.Err.Error() }
func (e *SocketError) Unwrap() error { return e.Err }

// Fatal reports whether the capture cannot go on (the interface is gone).
func (e *SocketError) Fatal() bool { return errors.Is(e.Err, errNoDevice) }

// linkOf maps an ARPHRD_ hardware type to the frames the capture delivers:
// Ethernet-like devices are read raw as Ethernet; every other device is
// read "cooked" (SOCK_DGRAM) and its frames get a Linux cooked (SLL)
// header, as libpcap does for them.
func linkOf(arphrd uint16) (link decode.LinkType, cooked bool) {
	switch arphrd {
	case 1, 6, 772: // ARPHRD_ETHER, ARPHRD_IEEE802, ARPHRD_LOOPBACK
		return decode.LinkEthernet, false
	}
	return decode.LinkSLL, true
}
