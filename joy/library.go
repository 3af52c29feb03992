package joy

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"

	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/label"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/registry"
)

// The library guide's limits and defaults (joy_api.h repeats them).
const (
	// MaxFilenameLen bounds output_dir/output_file (MAX_FILENAME_LEN).
	MaxFilenameLen = 1024
	// DefaultIPFIXPort is the collector's port when none is given.
	DefaultIPFIXPort = 4739
	// DefaultIPFIXHost is the collector when none is given.
	DefaultIPFIXHost = "127.0.0.1"
)

// LibraryInit is what joy_initialize is given: struct joy_init and the
// three names, with NULL as "".
type LibraryInit struct {
	Type      int // 1 SPLT, 2 SALT; other values leave the type unset
	Verbosity int
	IDP       int // >0: report that many bytes of the initial data packet
	IPFIXHost string
	IPFIXPort uint
	Bitmask   uint32
	OutputDir string // "": ./
	Output    string // "": standard output
	LogFile   string // "": standard error
}

// OutputPath is the file the records go to when an output file is given:
// OutputDir (./ when empty, a slash added) joined with Output, at most
// MaxFilenameLen-1 bytes.
func (in *LibraryInit) OutputPath() (string, error) {
	dir := "./"
	if in.OutputDir != "" {
		dir = withSlash(in.OutputDir)
	}
	path := dir + in.Output
	if len(path) >= MaxFilenameLen {
		return "", fmt.Errorf("output path is longer than %d bytes", MaxFilenameLen-1)
	}
	return path, nil
}

// withSlash is dir ending in '/'.
func withSlash(dir string) string {
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	return dir
}

// Config makes the configuration joy_initialize sets up: the type,
// verbosity and names of in, then the options set before (opts, in the
// order set: an option set there wins over in's type and idp), then the
// bits of in.Bitmask, OR'd in (a set bit turns its feature on, 1 for a
// number such as hd, unless an option already turned it on; a clear bit
// leaves the option's value), then the IPFIX defaults. opts is sealed:
// later options are refused. Without options the result is the guide's
// joy_initialize's exactly. log gets the complaints (idp too large).
func (in *LibraryInit) Config(opts *Options, log *logx.Logger) *Config {
	cfg := &Config{}
	if in.Type == 1 || in.Type == 2 {
		cfg.Type = uint(in.Type)
	}
	cfg.Verbosity = uint(uint32(in.Verbosity))
	cfg.OutputDir, cfg.Output, cfg.Info = in.OutputDir, in.Output, in.LogFile
	if in.IDP > 0 {
		// The guide: idp sets how many bytes of the initial data packet
		// are reported (the original never reported them, QUIRK-2).
		cfg.ReportIDP = true
		cfg.IDP = uint(in.IDP)
	}
	if opts != nil {
		opts.Seal()
		opts.Apply(cfg)
	}
	orBitmask(cfg, in.Bitmask)
	if cfg.IDP > config.MaxIDP {
		log.Logf(logx.Err, "idp of %d bytes is more than %d; using %d", cfg.IDP, config.MaxIDP, config.MaxIDP)
	}
	if cfg.IPFIXExport {
		if cfg.IDP == 0 {
			cfg.IDP = config.DefaultIDP
		}
		cfg.IPFIXHost, cfg.IPFIXPort = ipfixCollector(in.IPFIXHost, in.IPFIXPort)
	}
	return cfg
}

// ipfixCollector is where joy_initialize's IPFIX export goes: host and
// port as given, DefaultIPFIXHost and DefaultIPFIXPort when not.
func ipfixCollector(host string, port uint) (string, uint) {
	if host == "" {
		host = DefaultIPFIXHost
	}
	if port == 0 {
		port = DefaultIPFIXPort
	}
	return host, port
}

// orBitmask turns on every registry entry whose bit is set in mask and
// that is off in cfg (on a zero Config it is registry.ApplyBitmask).
func orBitmask(cfg *Config, mask uint32) {
	for _, list := range [][]registry.Entry{registry.Features, registry.Modules} {
		for i := range list {
			if e := &list[i]; e.Bit != 0 && mask&e.Bit != 0 && e.Get(cfg) == 0 {
				e.Set(cfg, 1)
			}
		}
	}
}

// The configuration changes of the library guide. Each returns a new
// configuration and leaves cfg as it was, so a failed call changes
// nothing; Library swaps the result in. The errors are the log line.

// WithAnonSubnets adds the subnets listed in file path to the anonymized
// ones (with the key of ./joy.bin, made when missing).
func WithAnonSubnets(cfg *Config, path string, log *logx.Logger) (*Config, error) {
	fail := func(err error) (*Config, error) {
		return nil, fmt.Errorf("could not initialize anonymization subnets from file %s: %v", path, err)
	}
	subnets, err := readSubnets(path, true)
	if err != nil {
		return fail(err)
	}
	key, err := anonKey(log)
	if err != nil {
		return fail(err)
	}
	var all []netip.Prefix
	if cfg.AnonAddrs != nil {
		all = append(all, cfg.AnonAddrs.Subnets()...)
	}
	all = append(all, subnets...)
	for i, p := range all {
		log.Logf(logx.Info, "anon subnet %d: %s", i, p)
	}
	log.Logf(logx.Info, "configured %d subnets for anonymization", len(all))
	next := cfg.Clone()
	next.Anon = path
	next.AnonAddrs = anon.NewAddresses(key, all)
	return next, nil
}

func anonKey(log *logx.Logger) (*anon.Key, error) {
	key, created, err := anon.LoadOrCreateKey(anon.DefaultKeyFile)
	if err == nil && created {
		log.Logf(logx.Info, "created a new anonymization key in %s", anon.DefaultKeyFile)
	}
	return key, err
}

// WithAnonUsernames pseudonymizes the HTTP user names listed in file path.
func WithAnonUsernames(cfg *Config, path string, log *logx.Logger) (*Config, error) {
	fail := func(err error) (*Config, error) {
		return nil, fmt.Errorf("could not initialize HTTP username anonymization from file %s: %v", path, err)
	}
	key, err := anonKey(log)
	if err != nil {
		return fail(err)
	}
	f, err := os.Open(path)
	if err != nil {
		// The original called exit() here (QUIRK-10).
		return fail(err)
	}
	defer f.Close()
	u, err := anon.LoadUsernames(f, key)
	if err != nil {
		return fail(err)
	}
	next := cfg.Clone()
	next.UserAnon = path
	next.UserNames = u
	return next, nil
}

// WithSubnetLabel labels one subnet (fromFile false: arg is "a.b.c.d/len")
// or every subnet listed in file arg with name.
func WithSubnetLabel(cfg *Config, name string, fromFile bool, arg string) (*Config, error) {
	var subnets []netip.Prefix
	if fromFile {
		var err error
		if subnets, err = readSubnets(arg, false); err != nil {
			return nil, fmt.Errorf("could not add labeled subnets from file %s: %v", arg, err)
		}
	} else {
		p, err := anon.ParseSubnet(arg, false)
		if err != nil {
			return nil, fmt.Errorf("could not add labeled subnet for %s: %v", name, err)
		}
		subnets = []netip.Prefix{p}
	}
	labels := label.New()
	if old := cfg.SubnetLabels; old != nil {
		labels = old.Clone()
	}
	if err := labels.Add(name, subnets); err != nil {
		return nil, fmt.Errorf("could not add subnet label %s: %v", name, err)
	}
	next := cfg.Clone()
	next.Labels = append(next.Labels, name)
	next.SubnetLabels = labels
	return next, nil
}

func readSubnets(path string, requirePrefix bool) ([]netip.Prefix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return anon.ParseSubnets(f, requirePrefix)
}

// WithModelFiles loads the classifier's SPLT and byte-distribution
// parameters from files in the format of Joy's model tool, over the
// model in force (the original half-loaded a bad file and returned 0).
func WithModelFiles(cfg *Config, spltFile, bdFile string) (*Config, error) {
	m := classify.Default()
	if cfg.Model != nil {
		*m = *cfg.Model
	}
	if err := m.LoadFiles(spltFile, bdFile); err != nil {
		return nil, fmt.Errorf("could not update SPLT/BD parameters: %v", err)
	}
	next := cfg.Clone()
	next.Model = m
	return next, nil
}

// WithCompactMap turns on the compact byte distribution with the map in
// file path ("byte<TAB>bucket" lines).
func WithCompactMap(cfg *Config, path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("could not open compact BD file %s: %v", path, err)
	}
	defer f.Close()
	m, err := bytestats.LoadCompactMap(f)
	if err != nil {
		return nil, fmt.Errorf("could not read compact BD file %s: %v", path, err)
	}
	next := cfg.Clone()
	next.CDist = path
	next.CompactMap = m
	return next, nil
}

// UpdateFrom sets what may change while the context runs (address
// anonymizer, subnet labels, classifier, compact map) from cfg, for
// records printed from now on.
func (c *Context) UpdateFrom(cfg *Config) {
	c.SetAnonymizer(cfg.AnonAddrs)
	c.SetLabels(cfg.SubnetLabels)
	c.SetClassifier(classifier(cfg))
	c.SetCompactMap(cfg.CompactMap)
}

// Library is the C library's state between joy_initialize and the next
// one: the configuration, its contexts sharing one output, the log.
// Package capi converts C to calls of it; its methods mirror the guide's
// functions, log what goes wrong and return an error for the C caller's
// nonzero status.
//
// The configuration Config returns is never changed. The guide's
// configuration calls (AnonSubnets, LabelSubnets, UpdateParams, ...)
// build a new one (the With* functions) and swap it in; the contexts'
// working copy follows in the same call. As the guide says, they belong
// before packet processing, or at least not during a call on a context.
type Library struct {
	cfg    atomic.Pointer[Config]
	engine Config // what the contexts read; a copy of *cfg
	log    *logx.Logger
	out    io.Writer     // the output stream as given
	watch  *RemovalWatch // notices a removed output file
	outErr atomic.Bool   // the output's failure has been logged
	// format writes the records in the output file's format when its
	// suffix or cfg.Format names one (.csv, .parquet); nil: Joy JSON, as
	// they are. CompleteOutput finishes it.
	format      *SharedOutput
	ctx         []*Context
	ipfixWarned atomic.Bool
}

// NewLibrary starts a library of n contexts on cfg (which it keeps and
// never changes) writing to out, whose descriptor is outFD (watched for
// removal of its file), logging to log.
func NewLibrary(cfg *Config, n int, out io.Writer, outFD int, log *logx.Logger) (*Library, error) {
	l := &Library{log: log, out: out, watch: NewRemovalWatch(outFD), engine: *cfg.Clone()}
	l.cfg.Store(cfg)
	format, err := NewSharedOutput(watchedWriter{out, l.watch}, cfg.Format, cfg.Output)
	if err != nil {
		return nil, err
	}
	l.format = format
	var ctxOut io.Writer = watchedWriter{out, l.watch}
	if format != nil {
		ctxOut = format
	}
	l.ctx = make([]*Context, n)
	for i := range l.ctx {
		l.ctx[i] = NewContext(&l.engine, ctxOut, log)
		// The contexts share one output: its failure is one log line.
		l.ctx[i].ShareOutputErrorLog(&l.outErr)
	}
	return l, nil
}

// watchedWriter reports a write to a removed output file as
// ErrOutputRemoved.
type watchedWriter struct {
	w     io.Writer
	watch *RemovalWatch
}

func (w watchedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err == nil && n > 0 && w.watch.Removed(false) {
		return n, ErrOutputRemoved
	}
	return n, err
}

// Config returns the configuration in force. It must not be changed.
func (l *Library) Config() *Config { return l.cfg.Load() }

// Log returns the library's log.
func (l *Library) Log() *logx.Logger { return l.log }

// swap puts next in force, for the contexts too.
func (l *Library) swap(next *Config) {
	l.cfg.Store(next)
	l.engine = *next.Clone()
	for _, c := range l.ctx {
		c.UpdateFrom(next)
	}
}

// change builds a new configuration with with and swaps it in, or logs
// why it could not.
func (l *Library) change(with func(*Config) (*Config, error)) error {
	next, err := with(l.Config())
	if err != nil {
		l.log.Logf(logx.Err, "%v", err)
		return err
	}
	l.swap(next)
	return nil
}

// Len returns the number of contexts.
func (l *Library) Len() int { return len(l.ctx) }

// At returns context i, which must be in range (the packet path).
func (l *Library) At(i int) *Context { return l.ctx[i] }

// Context returns context i, or logs that it is out of range.
func (l *Library) Context(i uint) *Context {
	if i >= uint(len(l.ctx)) {
		l.log.Logf(logx.Crit, "Joy Library invalid context (%d) for packet processing!", i)
		return nil
	}
	return l.ctx[i]
}

// BadPacket logs why joy_process_packet refused a packet for context i:
// the index is out of range, or its header or data is missing.
func (l *Library) BadPacket(i uint64, nullHeader, nullData bool) {
	switch {
	case i >= uint64(len(l.ctx)):
		l.log.Logf(logx.Crit, "Joy Library invalid context (%d) for packet processing!", i)
	case nullHeader:
		l.log.Logf(logx.Err, "joy_process_packet: packet header is NULL (context %d)", i)
	case nullData:
		l.log.Logf(logx.Err, "joy_process_packet: packet data is NULL (context %d)", i)
	}
}

// WriteConfig writes the configuration record (joy_print_config): one
// JSON line, or the "key = value" lines.
func (l *Library) WriteConfig(json bool) {
	cfg := l.Config()
	var b []byte
	if json {
		b = registry.AppendConfigJSON(nil, cfg)
	} else {
		var subnets []string
		if cfg.AnonAddrs != nil {
			for _, p := range cfg.AnonAddrs.Subnets() {
				subnets = append(subnets, p.String())
			}
		}
		b = registry.AppendConfigTerminal(nil, cfg, subnets)
	}
	if l.format != nil {
		_, _ = l.format.Write(b)
		return
	}
	_, _ = l.out.Write(b)
}

// AnonSubnets is joy_anon_subnets: the subnets listed in file path are
// anonymized too.
func (l *Library) AnonSubnets(path string) error {
	return l.change(func(c *Config) (*Config, error) { return WithAnonSubnets(c, path, l.log) })
}

// AnonUsernames is joy_anon_http_usernames.
func (l *Library) AnonUsernames(path string) error {
	return l.change(func(c *Config) (*Config, error) { return WithAnonUsernames(c, path, l.log) })
}

// LabelSubnets is joy_label_subnets.
func (l *Library) LabelSubnets(name string, fromFile bool, arg string) error {
	return l.change(func(c *Config) (*Config, error) { return WithSubnetLabel(c, name, fromFile, arg) })
}

// UpdateParams is joy_update_splt_bd_params.
func (l *Library) UpdateParams(spltFile, bdFile string) error {
	return l.change(func(c *Config) (*Config, error) { return WithModelFiles(c, spltFile, bdFile) })
}

// CompactBD is joy_get_compact_bd.
func (l *Library) CompactBD(path string) error {
	return l.change(func(c *Config) (*Config, error) { return WithCompactMap(c, path) })
}

// ExportFlows is joy_export_flows_ipfix for context i. Without IPFIX
// export configured the drained flows are dropped, as in the original
// (QUIRK-12); unlike it, the host is told once.
func (l *Library) ExportFlows(i uint, all bool) {
	c := l.Context(i)
	if c == nil {
		return
	}
	if !l.Config().IPFIXExport {
		if !l.ipfixWarned.Swap(true) {
			l.log.Logf(logx.Err, "joy_export_flows_ipfix: IPFIX export is not configured (JOY_IPFIX_EXPORT_ON); flows are dropped")
		}
		c.Discard()
		return
	}
	c.ExportFlows(all)
}

// Cleanup is joy_cleanup for context i: its flows are dropped, its IPFIX
// export closed, and the output flushed (flush: the host's stream); a
// failed flush or a removed output file is counted and logged once.
func (l *Library) Cleanup(i uint, flush func() error) {
	c := l.Context(i)
	if c == nil {
		return
	}
	c.CloseExport()
	c.Discard()
	if err := flush(); err != nil {
		c.OutputFailed(err, 0)
	} else if !l.outErr.Load() && l.watch.Removed(true) {
		c.OutputFailed(ErrOutputRemoved, 0)
	}
}

// SetLinkType is joy_set_link_type for context i (dlt: a libpcap DLT_
// number).
func (l *Library) SetLinkType(i uint, dlt int) error {
	c := l.Context(i)
	if c == nil {
		return fmt.Errorf("context %d out of range", i)
	}
	t := decode.LinkType(dlt)
	if !decode.Supported(t) {
		err := fmt.Errorf("joy_set_link_type: link type %d is not supported", dlt)
		l.log.Logf(logx.Err, "%v", err)
		return err
	}
	c.SetLinkType(t)
	return nil
}

// Formatted reports whether the output has a format that CompleteOutput
// must finish (Parquet's footer).
func (l *Library) Formatted() bool { return l.format != nil }

// CompleteOutput finishes a formatted output (at the host's exit); later
// records are lost.
func (l *Library) CompleteOutput() {
	if err := l.format.Close(); err != nil {
		l.log.Logf(logx.Err, "output: completing the output file: %v", err)
	}
}

// Close ends the library when another replaces it: its flows are dropped
// unprinted, as the original does, its exporters closed and its output
// completed. The caller closes the streams.
func (l *Library) Close() {
	for _, c := range l.ctx {
		c.CloseExport()
		c.Discard()
	}
	_ = l.format.Close()
}
