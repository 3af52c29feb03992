// Package main is libjoy.so.4: Joy 4.5's C API generation over the same
// Go core as libjoy.so (package capi). Build with
//
//	go build -buildmode=c-shared -ldflags=-extldflags=-Wl,-soname,libjoy.so.4 -o build/libjoy.so.4 ./capi/v45
//
// The public C symbols live in shim.c (checked against
// include/joy4/joy_api.h) and call the go45* exports below, which convert
// arguments and call package joy. Every export recovers panics, so a bug
// never takes the host process down.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "joy4/joy_api.h"

// What a callback and joy_process_packet's caller see of a record: filled
// by Go in C memory, one per context.
#define JOY45_MAX_IDP 1500
struct joy45_view {
    flow_record_t rec, twin;
    tls_t tls, twin_tls;
    unsigned char idp[JOY45_MAX_IDP], twin_idp[JOY45_MAX_IDP];
    char app[32], twin_app[32];
    unsigned char data[512];
};

static inline void joy45_call(joy_flow_rec_callback *fn, void *rec, unsigned int len, unsigned char *data) {
    fn(rec, len, data);
}
FILE *joy45_stdout(void);
FILE *joy45_stderr(void);
*/
import "C"

import (
	"fmt"
	"io"
	"sync/atomic"
	"unsafe"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/flow"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/registry"
	"github.com/gojoy/libjoy/joy/tls"
)

func main() {}

// MaxContexts is Joy 4.5's MAX_LIB_CONTEXTS.
const MaxContexts = 64

type library struct {
	cfg        config.Config
	inact, act uint // joy_init_t's timeouts, seconds (0: default)
	log        *logx.Logger
	logf       *C.FILE
	logOwned   bool
	ctx        []*context
	seq        atomic.Uint32 // numbers the max_records files of all contexts
}

type context struct {
	c      *joy.Context
	out    io.Writer
	closer []func() error
	view   *C.struct_joy45_view
	files  *joy.Files45 // max_records: the rotating output (nil: one file)
	busy   bool         // a callback walk is running
	closed bool         // joy_context_cleanup was called
}

var current atomic.Pointer[library]

// cWriter writes through a C stdio stream.
type cWriter struct {
	f     *C.FILE
	flush bool
}

func (w cWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := C.fwrite(unsafe.Pointer(&p[0]), 1, C.size_t(len(p)), w.f)
	if w.flush {
		C.fflush(w.f)
	}
	if int(n) < len(p) {
		C.clearerr(w.f)
		return int(n), fmt.Errorf("writing to the output stream failed")
	}
	return int(n), nil
}

func stderrLog() *logx.Logger {
	return logx.New(cWriter{f: C.joy45_stderr(), flush: true}, int(logx.Debug))
}

func recoverPanic(what string) {
	if r := recover(); r != nil {
		log := stderrLog()
		if l := current.Load(); l != nil {
			log = l.log
		}
		log.Logf(logx.Crit, "internal error in %s, call abandoned: %v", what, r)
	}
}

func lib() *library {
	l := current.Load()
	if l == nil {
		stderrLog().Logf(logx.Crit, "Joy Library has not been initialized!")
	}
	return l
}

// context returns context index, or logs why it cannot be used.
func (l *library) context(index int, what string) *context {
	if index < 0 || index >= len(l.ctx) {
		l.log.Logf(logx.Crit, "Joy Library invalid context (%d) for packet processing!", index)
		return nil
	}
	x := l.ctx[index]
	if x.closed {
		l.log.Logf(logx.Err, "%s: context %d was cleaned up (joy_context_cleanup)", what, index)
		return nil
	}
	if x.busy {
		l.log.Logf(logx.Err, "%s: context %d is inside an external-processing callback", what, index)
		return nil
	}
	return x
}

// configure fills cfg from a joy_init_t.
func configure(cfg *config.Config, d *C.joy_init_t) {
	in := joy.Init45{
		Verbosity:  uint(d.verbosity),
		NumPkts:    uint(d.num_pkts),
		MaxRecords: uint(d.max_records),
		IDP:        uint(d.idp),
		Bitmask:    uint32(d.bitmask),
		IPFIXPort:  uint(d.ipfix_port),
		IPFIXHost:  goString(d.ipfix_host),
		Upload:     goString(d.upload_srvname),
		Keyfile:    goString(d.upload_keyfile),
	}
	in.Configure(cfg)
}

// goString is s, NULL as "".
func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

func contextCount(d *C.joy_init_t, log *logx.Logger) (int, bool) {
	n := int(d.contexts)
	if n < 1 {
		n = 1
	}
	if n > MaxContexts {
		log.Logf(logx.Err, "joy_initialize: %d contexts asked for, at most %d", n, MaxContexts)
		return 0, false
	}
	return n, true
}

//export go45Initialize
func go45Initialize(d *C.joy_init_t, outputDir, outputFile, logfile *C.char) (rc C.int) {
	defer recoverPanic("joy_initialize")
	rc = 1
	errLog := stderrLog()
	if d == nil {
		errLog.Logf(logx.Err, "joy_initialize: init data is NULL")
		return
	}
	l := &library{logf: C.joy45_stderr()}
	l.cfg.Info = "stderr"
	if logfile != nil {
		mode := C.CString("a")
		f, err := C.fopen(logfile, mode)
		C.free(unsafe.Pointer(mode))
		if f == nil {
			errLog.Logf(logx.Err, "could not open log file %s (%v)", C.GoString(logfile), err)
			return
		}
		l.logf, l.logOwned = f, true
		l.cfg.Info = C.GoString(logfile)
	}
	l.log = logx.New(cWriter{f: l.logf, flush: true}, int(d.verbosity))
	n, ok := contextCount(d, l.log)
	if !ok {
		l.closeLog()
		return
	}
	dir, name := joy.OutputNames45(goString(outputDir), goString(outputFile))
	configure(&l.cfg, d)
	l.inact, l.act = uint(d.inact_timeout), uint(d.act_timeout)
	l.cfg.OutputDir = dir
	l.cfg.Output = name
	for i := 0; i < n; i++ {
		base := joy.ContextBase45(dir, name, i, n)
		x := &context{}
		if d.max_records > 0 {
			files, err := joy.OpenFiles45(base, uint64(d.max_records), &l.seq, nil)
			if err != nil {
				l.log.Logf(logx.Err, "%v", err)
				l.release()
				return
			}
			x.files, x.out, x.closer = files, files, []func() error{files.Close}
		} else {
			path := base
			if n > 1 {
				path += ".gz"
			}
			out, closers, err := joy.OpenOutput45(path)
			if err != nil {
				l.log.Logf(logx.Err, "%v", err)
				l.release()
				return
			}
			x.out, x.closer = out, closers
		}
		l.addContext(x)
	}
	install(l)
	return 0
}

func (l *library) addContext(x *context) {
	x.c = joy.NewContext(&l.cfg, x.out, l.log)
	x.c.Table().SetTimeouts(l.inact, l.act)
	x.view = (*C.struct_joy45_view)(C.calloc(1, C.sizeof_struct_joy45_view))
	l.ctx = append(l.ctx, x)
}

// install makes l the library; an earlier one is shut down first.
func install(l *library) {
	if old := current.Swap(l); old != nil {
		old.release()
	}
}

func (l *library) closeLog() {
	if l.logOwned && l.logf != nil {
		C.fclose(l.logf)
	}
	l.logOwned = false
}

// release cleans every context up and closes the log.
func (l *library) release() {
	for _, x := range l.ctx {
		x.cleanup(l.log)
		if x.view != nil {
			C.free(unsafe.Pointer(x.view))
			x.view = nil
		}
	}
	l.closeLog()
}

func (x *context) cleanup(log *logx.Logger) {
	if x.closed {
		return
	}
	x.closed = true
	x.c.CloseExport()
	x.c.Discard()
	x.c.Flush()
	for _, f := range x.closer {
		if err := f(); err != nil {
			log.Logf(logx.Err, "closing the output: %v", err)
		}
	}
	x.closer = nil
}

//export go45InitializeNoConfig
func go45InitializeNoConfig(cfgp unsafe.Pointer, errInfo *C.FILE, d *C.joy_init_t) (rc C.int) {
	defer recoverPanic("joy_initialize_no_config")
	rc = 1
	if cfgp == nil {
		stderrLog().Logf(logx.Err, "joy_initialize_no_config: config is NULL")
		return
	}
	if d == nil {
		stderrLog().Logf(logx.Err, "joy_initialize_no_config: init data is NULL")
		return
	}
	l := &library{logf: errInfo}
	if errInfo == nil {
		l.logf = C.joy45_stderr()
	}
	l.log = logx.New(cWriter{f: l.logf, flush: true}, int(d.verbosity))
	n, ok := contextCount(d, l.log)
	if !ok {
		return
	}
	configure(&l.cfg, d)
	l.inact, l.act = uint(d.inact_timeout), uint(d.act_timeout)
	l.cfg.OutputDir = "./"
	l.cfg.Info = "stderr"
	for i := 0; i < n; i++ {
		l.addContext(&context{out: cWriter{f: C.joy45_stdout()}})
	}
	install(l)
	return 0
}

//export go45PrintConfig
func go45PrintConfig(index C.int, format C.int) {
	defer recoverPanic("joy_print_config")
	l := lib()
	if l == nil {
		return
	}
	x := l.context(int(index), "joy_print_config")
	if x == nil {
		return
	}
	if format == C.JOY_TERMINAL_FORMAT {
		_, _ = cWriter{f: l.logf, flush: true}.Write(registry.AppendConfigTerminal(nil, &l.cfg, nil))
		return
	}
	x.c.WriteLine(l.cfg.AppendJSON45(nil))
}

//export go45PrintStats
func go45PrintStats(index C.int) {
	defer recoverPanic("joy_print_flocap_stats_output")
	l := lib()
	if l == nil {
		return
	}
	if x := l.context(int(index), "joy_print_flocap_stats_output"); x != nil {
		s := x.c.Stats()
		l.log.Logf(logx.Crit, "context %d: packets %d, IP packets %d, ignored %d, flows in table %d, flows printed %d, write errors %d",
			int(index), s.Packets, s.IPPackets, s.Ignored, x.c.Flows(), s.FlowsPrinted, s.WriteErrors)
	}
}

// change applies a configuration call of package joy (joy.With*) to the
// library's configuration and its contexts, or logs why it could not.
func (l *library) change(with func(*config.Config) (*config.Config, error)) C.int {
	next, err := with(&l.cfg)
	if err != nil {
		l.log.Logf(logx.Err, "%v", err)
		return 1
	}
	l.cfg = *next
	for _, x := range l.ctx {
		x.c.UpdateFrom(&l.cfg)
	}
	return 0
}

// fileCall converts the file name argument of a configuration call: NULL
// is refused with missing in the log.
func fileCall(what string, file *C.char, missing string, with func(cfg *config.Config, path string, log *logx.Logger) (*config.Config, error)) C.int {
	defer recoverPanic(what)
	l := lib()
	if l == nil {
		return 1
	}
	if file == nil {
		l.log.Logf(logx.Err, "%s", missing)
		return 1
	}
	path := C.GoString(file)
	return l.change(func(cfg *config.Config) (*config.Config, error) { return with(cfg, path, l.log) })
}

//export go45AnonSubnets
func go45AnonSubnets(file *C.char) C.int {
	return fileCall("joy_anon_subnets", file, "could not initialize anonymization subnets - no file specified", joy.WithAnonSubnets)
}

//export go45AnonUsernames
func go45AnonUsernames(file *C.char) C.int {
	return fileCall("joy_anon_http_usernames", file, "could not initialize HTTP username anonymization - no file specified", joy.WithAnonUsernames)
}

//export go45UpdateParams
func go45UpdateParams(splt, bd *C.char) C.int {
	defer recoverPanic("joy_update_splt_bd_params")
	l := lib()
	if l == nil {
		return 1
	}
	if splt == nil || bd == nil {
		l.log.Logf(logx.Err, "could not update SPLT/BD parameters - missing update file(s)")
		return 1
	}
	spltFile, bdFile := C.GoString(splt), C.GoString(bd)
	return l.change(func(cfg *config.Config) (*config.Config, error) { return joy.WithModelFiles(cfg, spltFile, bdFile) })
}

//export go45UpdateCompactBD
func go45UpdateCompactBD(filename *C.char) C.int {
	return fileCall("joy_update_compact_bd", filename, "couldn't update compact BD values - no file specified",
		func(cfg *config.Config, path string, _ *logx.Logger) (*config.Config, error) {
			return joy.WithCompactMap(cfg, path)
		})
}

//export go45LabelSubnets
func go45LabelSubnets(name *C.char, typ C.int, subnet *C.char) C.int {
	defer recoverPanic("joy_label_subnets")
	l := lib()
	if l == nil {
		return 1
	}
	if name == nil || subnet == nil || C.GoString(name) == "" {
		l.log.Logf(logx.Err, "could not add subnet label: label or subnet is NULL or empty")
		return 1
	}
	labelName, arg := C.GoString(name), C.GoString(subnet)
	if typ != C.JOY_SINGLE_SUBNET && typ != C.JOY_FILE_SUBNET {
		l.log.Logf(logx.Err, "could not add subnet label %s: type %d is neither JOY_SINGLE_SUBNET nor JOY_FILE_SUBNET", labelName, int(typ))
		return 1
	}
	fromFile := typ == C.JOY_FILE_SUBNET
	return l.change(func(cfg *config.Config) (*config.Config, error) {
		return joy.WithSubnetLabel(cfg, labelName, fromFile, arg)
	})
}

//export go45UpdateTime
func go45UpdateTime(index C.int, sec, usec C.int64_t, isNull C.int) {
	defer recoverPanic("joy_update_ctx_global_time")
	l := lib()
	if l == nil {
		return
	}
	if isNull != 0 {
		l.log.Logf(logx.Err, "New Time passed in is NULL, nothing to do!")
		return
	}
	if x := l.context(int(index), "joy_update_ctx_global_time"); x != nil {
		x.c.Table().SetClock(int64(sec)*1e6 + int64(usec))
	}
}

// packetContext is the original's symmetric 5-tuple hash of an Ethernet
// frame (up to two VLAN tags, IPv4 or IPv6): the sum of the addresses'
// 32-bit words (as the machine reads them), the ports and the protocol,
// scrambled to 8 bits, modulo the number of contexts. The frame's length
// is not known (the 4.5 signature has none), so only what its own headers
// promise is read: the Ethernet header, the IP header, and the ports when
// the IP length covers them. Frames without a 5-tuple go to context 0.
func packetContext(p unsafe.Pointer, n int) int {
	at := func(i int) uint32 { return uint32(*(*byte)(unsafe.Add(p, i))) }
	be16 := func(i int) uint32 { return at(i)<<8 | at(i+1) }
	word := func(i int) uint32 { return *(*uint32)(unsafe.Add(p, i)) }
	off := 12
	et := be16(off)
	for tags := 0; tags < 2 && (et == 0x8100 || et == 0x88a8); tags++ {
		off += 4
		et = be16(off)
	}
	off += 2
	var sum, proto uint32
	ports := -1
	switch et {
	case 0x0800:
		ihl := int(at(off)&0xf) * 4
		if at(off)>>4 != 4 || ihl < 20 {
			return 0
		}
		total := int(be16(off + 2))
		proto = at(off + 9)
		sum = word(off+12) + word(off+16)
		if total >= ihl+4 && be16(off+6)&0x1fff == 0 {
			ports = off + ihl
		}
	case 0x86dd:
		if at(off)>>4 != 6 {
			return 0
		}
		proto = at(off + 6)
		for i := 8; i < 40; i += 4 {
			sum += word(off + i)
		}
		if be16(off+4) >= 4 {
			ports = off + 40
		}
	default:
		return 0
	}
	if (proto == 6 || proto == 17) && ports >= 0 {
		sum += be16(ports) + be16(ports+2)
	}
	sum += proto
	sum *= 0x6B
	sum -= sum >> 8
	sum &= 0xff
	return int(sum) % n
}

//export go45PacketToContext
func go45PacketToContext(packet *C.uchar, n C.int) (ctx C.int) {
	defer recoverPanic("joy_packet_to_context")
	if n <= 0 {
		stderrLog().Logf(logx.Err, "joy_packet_to_context: number of contexts is 0; using context 0")
		return 0
	}
	if packet == nil {
		stderrLog().Logf(logx.Err, "joy_packet_to_context: packet is NULL; using context 0")
		return 0
	}
	return C.int(packetContext(unsafe.Pointer(packet), int(n)))
}

//export go45IndexToContext
func go45IndexToContext(index C.int) unsafe.Pointer {
	defer recoverPanic("joy_index_to_context")
	l := lib()
	if l == nil {
		return nil
	}
	if x := l.context(int(index), "joy_index_to_context"); x != nil {
		return unsafe.Pointer(x.view)
	}
	return nil
}

//export go45ProcessPacket
func go45ProcessPacket(index C.int, sec, usec C.int64_t, data *C.uchar, caplen C.uint32_t, appLen C.uint, app *C.uchar, wantRec C.int) (rec unsafe.Pointer) {
	defer recoverPanic("joy_process_packet")
	l := lib()
	if l == nil {
		return nil
	}
	x := l.context(int(index), "joy_process_packet")
	if x == nil {
		return nil
	}
	if data == nil {
		l.log.Logf(logx.Err, "joy_process_packet: packet data is NULL (context %d)", int(index))
		return nil
	}
	frame := unsafe.Slice((*byte)(unsafe.Pointer(data)), int(caplen))
	r := x.c.ProcessPacketRecord(int64(sec)*1e6+int64(usec), frame)
	if r == nil {
		return nil
	}
	if appLen > 0 && app != nil {
		if !r.SetAppData(unsafe.Slice((*byte)(unsafe.Pointer(app)), int(appLen))) {
			l.log.Logf(logx.Err, "App Specific data is too large(%d bytes), not storing the information", uint(appLen))
		}
	}
	if wantRec == 0 {
		return nil
	}
	return x.fill(x.c.Table(), r)
}

//export go45ProcessBatch
func go45ProcessBatch(index C.int, count C.uint, ts *C.int64_t, caplens *C.uint32_t, data *C.uchar) {
	defer recoverPanic("joy_libpcap_process_packet")
	l := lib()
	if l == nil {
		return
	}
	x := l.context(int(index), "joy_libpcap_process_packet")
	if x == nil {
		return
	}
	times := unsafe.Slice((*int64)(unsafe.Pointer(ts)), int(count))
	lens := unsafe.Slice((*uint32)(unsafe.Pointer(caplens)), int(count))
	off := 0
	for i := range times {
		n := int(lens[i])
		processOne(l, x, times[i], unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(data), off)), n))
		off += n
	}
}

// processOne handles one packet of a batch; a panic drops only that packet.
func processOne(l *library, x *context, ts int64, frame []byte) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Logf(logx.Crit, "internal error in joy_libpcap_process_packet, packet dropped: %v", r)
		}
	}()
	x.c.ProcessPacket(ts, frame)
}

// fill writes the view of r (and of its twin) into the context's C
// memory and returns the view of r.
func (x *context) fill(t *flow.Table, r *flow.Record) unsafe.Pointer {
	v := x.view
	fillOne(t, r, &v.rec, &v.tls, v.idp[:], v.app[:])
	v.rec.twin = nil
	if tw := r.Twin(); tw != nil {
		fillOne(t, tw, &v.twin, &v.twin_tls, v.twin_idp[:], v.twin_app[:])
		v.rec.twin = &v.twin
		v.twin.twin = &v.rec
	}
	return unsafe.Pointer(&v.rec)
}

func fillOne(t *flow.Table, r *flow.Record, c *C.flow_record_t, tv *C.tls_t, idp []C.uchar, app []C.char) {
	k := &r.Key
	for i := 0; i < 16; i++ {
		c.sa[i] = C.uint8_t(k.Src[i])
		c.da[i] = C.uint8_t(k.Dst[i])
	}
	c.sp, c.dp, c.prot = C.uint16_t(k.Sp), C.uint16_t(k.Dp), C.uint8_t(k.Proto)
	c.ip_version = 4
	if k.V6 {
		c.ip_version = 6
	}
	start, end := r.Times()
	c.start = timeval(start)
	c.end = timeval(end)
	c.np, c.op, c.ob = C.uint32_t(r.Packets()), C.uint32_t(r.SPLT()), C.uint64_t(r.Octets())
	c.idp, c.idp_len = nil, 0
	if p := r.IDP(); len(p) > 0 {
		n := copy(unsafe.Slice((*byte)(unsafe.Pointer(&idp[0])), len(idp)), p)
		c.idp, c.idp_len = unsafe.Pointer(&idp[0]), C.uint16_t(n)
	}
	c.tls = nil
	if s, ok := t.Module(r, "tls").(*tls.State); ok && s != nil {
		v, done := s.Handshake()
		tv.version, tv.done_handshake = C.uchar(v), 0
		if done {
			tv.done_handshake = 1
		}
		c.tls = tv
	}
	c.joy_app_data, c.joy_app_data_len = nil, 0
	if a := r.AppData(); len(a) > 0 {
		n := copy(unsafe.Slice((*byte)(unsafe.Pointer(&app[0])), len(app)), a)
		c.joy_app_data, c.joy_app_data_len = &app[0], C.uint8_t(n)
	}
}

func timeval(us int64) C.struct_timeval {
	sec := us / 1e6
	if us%1e6 < 0 {
		sec--
	}
	return C.struct_timeval{tv_sec: C.__time_t(sec), tv_usec: C.__suseconds_t(us - sec*1e6)}
}

//export go45PrintFlowData
func go45PrintFlowData(index C.int, typ C.int) {
	defer recoverPanic("joy_print_flow_data")
	l := lib()
	if l == nil {
		return
	}
	x := l.context(int(index), "joy_print_flow_data")
	if x == nil {
		return
	}
	x.c.PrintFlows(typ != C.JOY_EXPIRED_FLOWS)
	if x.files == nil {
		return
	}
	rotated, err := x.files.Printed(x.c.Stats().FlowsPrinted)
	if err != nil {
		l.log.Logf(logx.Err, "joy_print_flow_data: rolling the output file of context %d: %v", int(index), err)
	}
	if rotated {
		x.c.WriteLine(l.cfg.AppendJSON45(nil))
	}
}

var ipfixWarned atomic.Bool

//export go45ExportFlowsIPFIX
func go45ExportFlowsIPFIX(index C.int, typ C.int) {
	defer recoverPanic("joy_export_flows_ipfix")
	l := lib()
	if l == nil {
		return
	}
	x := l.context(int(index), "joy_export_flows_ipfix")
	if x == nil {
		return
	}
	if !l.cfg.IPFIXExport {
		if !ipfixWarned.Swap(true) {
			l.log.Logf(logx.Err, "joy_export_flows_ipfix: IPFIX export is not configured (JOY_IPFIX_EXPORT_ON); flows are dropped")
		}
		x.c.Discard()
		return
	}
	x.c.ExportFlows(typ != C.JOY_EXPIRED_FLOWS)
}

//export go45FeatureCounts
func go45FeatureCounts(index C.int, out *C.joy_ctx_feat_count_t) {
	defer recoverPanic("joy_get_feature_counts")
	l := lib()
	if l == nil {
		return
	}
	x := l.context(int(index), "joy_get_feature_counts")
	if x == nil {
		return
	}
	if out == nil {
		l.log.Logf(logx.Err, "joy_get_feature_counts: feat_counts is NULL")
		return
	}
	n := x.c.FeatureCounts45()
	out.idp_recs_ready = C.uint32_t(n.IDP)
	out.tls_recs_ready = C.uint32_t(n.TLS)
	out.splt_recs_ready = C.uint32_t(n.SPLT)
	out.salt_recs_ready = C.uint32_t(n.SALT)
	out.bd_recs_ready = C.uint32_t(n.BD)
}

// featNames are the functions of go45External's feat, a joy.Feature45
// (shim.c passes 0-4 in joy.IDP45 ... joy.BD45 order).
var featNames = [...]string{"joy_idp_external_processing", "joy_tls_external_processing",
	"joy_splt_external_processing", "joy_salt_external_processing", "joy_bd_external_processing"}

//export go45External
func go45External(index C.int, feat C.int, format C.int, min C.uint, fn *C.joy_flow_rec_callback) {
	what := featNames[feat]
	defer recoverPanic(what)
	l := lib()
	if l == nil {
		return
	}
	x := l.context(int(index), what)
	if x == nil {
		return
	}
	if fn == nil {
		l.log.Logf(logx.Err, "%s: callback is NULL", what)
		return
	}
	if f := joy.Feature45(feat); (f == joy.SPLT45 || f == joy.SALT45) && format != C.JOY_NFV9_EXPORT && format != C.JOY_IPFIX_EXPORT {
		l.log.Logf(logx.Err, "%s: export format %d is neither JOY_NFV9_EXPORT nor JOY_IPFIX_EXPORT", what, int(format))
		return
	}
	t := x.c.Table()
	x.busy = true
	defer func() { x.busy = false }()
	data := unsafe.Slice((*byte)(unsafe.Pointer(&x.view.data[0])), len(x.view.data))
	x.c.External45(joy.Feature45(feat), format == C.JOY_NFV9_EXPORT, uint(min), data, func(r *flow.Record, n int, withData bool) {
		rec := x.fill(t, r)
		var p *C.uchar
		if withData {
			p = &x.view.data[0]
		}
		C.joy45_call(fn, rec, C.uint(n), p)
	})
}

//export go45DeleteFlowRecords
func go45DeleteFlowRecords(index C.int, cond C.uint) C.uint {
	defer recoverPanic("joy_delete_flow_records")
	l := lib()
	if l == nil {
		return 0
	}
	x := l.context(int(index), "joy_delete_flow_records")
	if x == nil {
		return 0
	}
	n, ok := x.c.DeleteMarked45(uint(cond))
	if !ok {
		l.log.Logf(logx.Err, "joy_delete_flow_records: unknown condition bits 0x%x", uint(cond)&^0x1f)
	}
	return C.uint(n)
}

//export go45PurgeOld
func go45PurgeOld(index C.int, age C.uint) C.uint {
	defer recoverPanic("joy_purge_old_flow_records")
	l := lib()
	if l == nil {
		return 0
	}
	x := l.context(int(index), "joy_purge_old_flow_records")
	if x == nil {
		return 0
	}
	return C.uint(x.c.PurgeOld45(uint(age)))
}

//export go45ContextCleanup
func go45ContextCleanup(index C.int) {
	defer recoverPanic("joy_context_cleanup")
	l := lib()
	if l == nil {
		return
	}
	if x := l.context(int(index), "joy_context_cleanup"); x != nil {
		x.cleanup(l.log)
	}
}

//export go45Shutdown
func go45Shutdown() {
	defer recoverPanic("joy_shutdown")
	l := current.Swap(nil)
	if l == nil {
		stderrLog().Logf(logx.Crit, "Joy Library has not been initialized!")
		return
	}
	l.release()
}
