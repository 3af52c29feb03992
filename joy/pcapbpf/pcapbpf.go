// Package pcapbpf compiles filter expressions in tcpdump's syntax ("tcp port
// 443", "host 10.0.0.1 and not udp") into classic BPF programs with
// libpcap's pcap_compile. It is the one place outside capi that uses cgo,
// and it links libpcap: the joy and capi packages never import it. The
// joy command uses it for bpf=; a Go program that wants tcpdump syntax
// imports it too, and hands the program to package live (run by the
// kernel) or package filter (run on file input).
package pcapbpf

/*
#cgo LDFLAGS: -lpcap
#include <stdlib.h>
#include <pcap/pcap.h>

// compile returns 0 and fills prog, or -1 and an error text in err
// (at least PCAP_ERRBUF_SIZE bytes).
static int compile(int link, int snaplen, const char *expr, struct bpf_program *prog, char *err) {
	pcap_t *p = pcap_open_dead(link, snaplen);
	if (p == NULL) {
		snprintf(err, PCAP_ERRBUF_SIZE, "libpcap cannot open a handle for link type %d", link);
		return -1;
	}
	int rc = pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
	if (rc != 0)
		snprintf(err, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
	pcap_close(p);
	return rc == 0 ? 0 : -1;
}
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"

	"golang.org/x/net/bpf"
)

// libpcap before 1.8 kept the compiler's state in globals.
var mu sync.Mutex

// DefaultSnaplen is the capture length programs are compiled for.
const DefaultSnaplen = 262144

// Compile compiles expr for frames of pcap link type link (DLT_ number)
// captured with at most snaplen bytes. The error is libpcap's message.
func Compile(link, snaplen int, expr string) ([]bpf.RawInstruction, error) {
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	errbuf := (*C.char)(C.malloc(C.PCAP_ERRBUF_SIZE))
	defer C.free(unsafe.Pointer(errbuf))
	var prog C.struct_bpf_program
	mu.Lock()
	rc := C.compile(C.int(link), C.int(snaplen), cexpr, &prog, errbuf)
	mu.Unlock()
	if rc != 0 {
		return nil, errors.New(C.GoString(errbuf))
	}
	defer C.pcap_freecode(&prog)
	ins := unsafe.Slice(prog.bf_insns, int(prog.bf_len))
	out := make([]bpf.RawInstruction, len(ins))
	for i, in := range ins {
		out[i] = bpf.RawInstruction{Op: uint16(in.code), Jt: uint8(in.jt), Jf: uint8(in.jf), K: uint32(in.k)}
	}
	return out, nil
}
