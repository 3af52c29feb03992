// Command joy reads pcap and pcapng files and writes one JSON object per
// flow, accepting the original Joy tool's "name=value" option syntax:
//
//	joy bidir=1 capture.pcap > flows.json
//
// Output is plain JSON lines on standard output, or in output=FILE (under
// outdir=DIR); a FILE ending in ".gz" is written gzip-compressed. The first
// line is the configuration record, as the original prints it.
package main

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/label"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/registry"
)

func main() {
	// Flow state is long-lived and small; collecting less often costs a few
	// tens of MB and saves a fifth of the time with protocols on.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// A reader that goes away (joy ... | head) is a failed write like a
	// full disk: logged once, counted, exit status 1, and the input is
	// still read to the end, instead of a silent death by SIGPIPE.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// versionLine is what "joy --version" prints.
func versionLine() string {
	return fmt.Sprintf("joy %s (libjoy-go) %s", joy.Version, runtime.Version())
}

// commandLine is the command line taken apart.
type commandLine struct {
	assign  []assignment // name=value words, in order
	xfiles  []string     // -x files, in order
	inputs  []string     // capture files, directories, "-"
	help    bool
	version bool
}

// parseCommandLine splits the arguments into options, -x files and
// inputs. An empty argument (a script's unset variable) is skipped with a
// warning, as the original skipped it.
func parseCommandLine(args []string, stderr io.Writer) (*commandLine, error) {
	cl := &commandLine{}
	if len(args) > 0 && args[0] == "version" {
		cl.version = true
		return cl, nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.TrimSpace(a) == "":
			fmt.Fprintf(stderr, "joy: warning: argument %d is empty; skipped\n", i+1)
		case a == "-h" || a == "--help" || a == "help":
			cl.help = true
		case a == "--version" || a == "-V":
			cl.version = true
		case a == "-x" || a == "--xconfig":
			if i+1 >= len(args) || args[i+1] == "" {
				return nil, usagef("%s needs a file name", a)
			}
			i++
			cl.xfiles = append(cl.xfiles, args[i])
		case strings.HasPrefix(a, "--xconfig="):
			cl.xfiles = append(cl.xfiles, a[len("--xconfig="):])
		case strings.HasPrefix(a, "-x"):
			cl.xfiles = append(cl.xfiles, a[2:])
		case a == "-":
			cl.inputs = append(cl.inputs, a)
		case strings.HasPrefix(a, "-") && !strings.Contains(a, "="):
			return nil, usagef("unknown flag %q (options are name=value words; joy help lists them)", a)
		case strings.Contains(a, "="):
			name, value, _ := strings.Cut(a, "=")
			cl.assign = append(cl.assign, assignment{name: name, value: value})
		default:
			cl.inputs = append(cl.inputs, a)
		}
	}
	return cl, nil
}

// loadSettings applies the command line's options, then those of each -x
// file: as in the original, which reads its -x file after the command
// line, a file's setting wins over the command line's.
func loadSettings(cl *commandLine) (*settings, error) {
	s := defaultSettings()
	for _, a := range cl.assign {
		if err := s.apply(a.name, a.value, a.bare); err != nil {
			return nil, err
		}
	}
	for _, x := range cl.xfiles {
		as, err := readConfigFile(x)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if err := s.apply(a.name, a.value, a.bare); err != nil {
				return nil, usagef("%s: %v", a.where, err)
			}
		}
	}
	return s, s.check(len(cl.inputs))
}

// check refuses combinations that cannot run, before anything is opened.
func (s *settings) check(inputs int) error {
	collecting := s.collectPort != 0
	switch {
	case s.collectOnline && !collecting:
		return usagef("ipfix_collect_online=1 needs ipfix_collect_port=N")
	case collecting && s.cfg.IPFIXExport:
		return usagef("IPFIX collection (ipfix_collect_port) and export (ipfix_export_*) cannot run at the same time")
	case collecting && s.live.Interface != "":
		return usagef("IPFIX collection (ipfix_collect_port) and interface= cannot run at the same time")
	case collecting && s.nfv9Port != 0:
		return usagef("ipfix_collect_port and nfv9_port cannot run at the same time")
	case s.nfv9Port != 0 && s.live.Interface != "":
		return usagef("nfv9_port and interface= cannot run at the same time")
	case s.live.Interface != "" && inputs > 0:
		return usagef("both interface=%s and capture files given; choose one", s.live.Interface)
	case !collecting && s.nfv9Port == 0 && s.live.Interface == "" && inputs == 0:
		return usagef("no capture file given (joy help lists the options)")
	}
	// What the original let pass without effect is a warning, so its
	// option files still run.
	switch {
	case s.upload != "" && s.cfg.Output == "":
		s.warnings = append(s.warnings, "upload= has no effect without output=F or output=auto (standard output is not uploaded)")
		s.upload = ""
	case s.urlModel != "" && s.model == "":
		s.warnings = append(s.warnings, fmt.Sprintf("URLmodel=%s has no effect without model=F1:F2 (the file names fetched from it)", s.urlModel))
		s.urlModel = ""
	}
	if s.exportTemplate == "idp" && !s.cfg.ReportIDP {
		s.cfg.ReportIDP = true // 1300 bytes, the original's IPFIX IDP size
	}
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if code, ok := runAnalysis(args[0], args[1:], stdout, stderr); ok {
			return code
		}
	}
	cl, err := parseCommandLine(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "joy: %v\n", err)
		return 2
	}
	switch {
	case cl.version:
		fmt.Fprintln(stdout, versionLine())
		return 0
	case cl.help:
		writeUsage(stdout)
		return 0
	}
	s, err := loadSettings(cl)
	if err != nil {
		fmt.Fprintf(stderr, "joy: %v\n", err)
		return 2
	}
	for _, w := range s.warnings {
		fmt.Fprintf(stderr, "joy: warning: %s\n", w)
	}
	r := &runner{s: s, stdout: stdout, stderr: stderr, inputs: cl.inputs}
	return r.run()
}

// runner is one run of the command: its settings, log, output and inputs.
type runner struct {
	s              *settings
	stdout, stderr io.Writer
	inputs         []string
	log            *logx.Logger
	logw           io.Writer // the log stream: stderr or logfile
	out            *sink
	logFile        *logFile  // logfile=, reopened on SIGHUP
	parallel       joy.Stats // the counters of contexts that read files in parallel
	upd            *updater
	opened         []*input // inputs opened before privileges were dropped
}

func (r *runner) run() int {
	s := r.s
	r.logw = r.stderr
	if s.logfile != "" {
		f, err := openLogFile(s.logfile)
		if err != nil {
			fmt.Fprintf(r.stderr, "joy: logfile: %v\n", err)
			return 1
		}
		defer f.Close()
		fmt.Fprintf(r.stderr, "joy: writing errors/warnings/info/debug output to %s\n", s.logfile)
		r.logw, r.logFile = f, f
		s.cfg.Info = s.logfile
	}
	r.log = logx.New(r.logw, int(s.cfg.Verbosity))
	if err := s.prepare(r.logw); err != nil {
		fmt.Fprintf(r.stderr, "joy: %v\n", err)
		return 1
	}
	s.fillRecordFields()
	if s.showConfig {
		var subnets []string
		if s.cfg.AnonAddrs != nil {
			for _, p := range s.cfg.AnonAddrs.Subnets() {
				subnets = append(subnets, p.String())
			}
		}
		_, _ = r.logw.Write(registry.AppendConfigTerminal(nil, &s.cfg, subnets))
	}
	if s.showInterfaces {
		printInterfaces(r.logw)
	}
	if s.cpuprofile != "" {
		stop, err := startProfile(s.cpuprofile)
		if err != nil {
			fmt.Fprintf(r.stderr, "joy: cpuprofile: %v\n", err)
			return 1
		}
		defer stop()
	}
	if s.collectPort != 0 || s.nfv9Port != 0 {
		if s.count != 0 || s.upload != "" {
			fmt.Fprintf(r.stderr, "joy: warning: count= and upload= apply to flow records of captures, not to a collector's output\n")
		}
		if s.cfg.Output == "auto" {
			mac, err := macAddress("")
			if err != nil {
				fmt.Fprintf(r.stderr, "joy: %v\n", err)
				return 1
			}
			s.cfg.Output = autoName(mac, time.Now())
		}
	}
	switch {
	case s.collectPort != 0:
		return collect(s.collectPort, s.collectIdle, s.cfg.Output, s.cfg.OutputDir, r.dropPrivileges, r.stdout, r.stderr)
	case s.nfv9Port != 0:
		return r.collectNFv9()
	case s.live.Interface != "":
		return r.runLive()
	}
	return r.runFiles()
}

// runFiles processes capture files, directories and standard input.
func (r *runner) runFiles() int {
	s := r.s
	inputs, err := expandInputs(r.inputs)
	if err != nil {
		fmt.Fprintf(r.stderr, "joy: %v\n", err)
		return 1
	}
	var filter joy.CaptureFilter
	if s.live.BPF != "" {
		if filter, err = captureFilter(s.live.BPF); err != nil {
			fmt.Fprintf(r.stderr, "joy: %v\n", err)
			return 2
		}
	}
	if s.username != "" {
		// Open every input now: once privileges are dropped, they may no
		// longer be readable.
		for _, in := range inputs {
			o, err := openInput(in)
			if err != nil {
				fmt.Fprintf(r.stderr, "joy: %s: %v\n", in, err)
				return 1
			}
			defer o.close()
			r.opened = append(r.opened, o)
		}
		if code := r.dropPrivileges(); code != 0 {
			return code
		}
	}
	ctx, code := r.start("")
	if code != 0 {
		return code
	}
	if filter != nil {
		ctx.SetCaptureFilter(filter)
	}
	status := 0
	intr := interruptFiles(ctx, r.stderr)
	if r.parallelFiles(inputs) {
		ctx.Flush() // the configuration line first
		var sum joy.Stats
		status, sum = processFilesParallel(&s.cfg, r.out, inputs, int(s.live.Threads), filter, r.log, intr, r.stderr)
		r.parallel = sum
	} else {
		if s.live.Threads > 1 && r.upd == nil && !s.cfg.IPFIXExport {
			// One capture over N contexts: the same records as
			// threads=1 (joy.Context.SetThreads).
			ctx.SetThreads(int(s.live.Threads))
		}
		status = r.readInputs(ctx, inputs)
	}
	if intr.Stop() {
		defer func() { fmt.Fprint(r.stderr, intr.StatsLine()) }()
	}
	return r.finish(status, ctx)
}

// readInputs reads the inputs one after the other with one context, until
// the last or an interruption (SIGINT, SIGTERM).
func (r *runner) readInputs(ctx *joy.Context, inputs []string) int {
	status := 0
	prog := newProgress(r.stderr, r.s.progress)
	for i, in := range inputs {
		var o *input
		var err error
		if r.opened != nil {
			o = r.opened[i]
		} else if o, err = openInput(in); err != nil {
			fmt.Fprintf(r.stderr, "joy: %s: %v\n", in, err)
			status = 1
			continue
		}
		r.out.setSource(in)
		prog.begin(in, o.size)
		err = ctx.ProcessReader(o.rd, in, func() {
			r.between(ctx)
			prog.update(o.count.n, ctx.Stats().Packets, ctx.Flows())
		})
		prog.end()
		ctx.Flush()
		if r.opened == nil {
			o.close()
		}
		if errors.Is(err, joy.ErrInterrupted) {
			break
		}
	}
	return status
}

// parallelFiles reports whether threads=N reads the inputs with several
// contexts at once: several capture files, and nothing that needs one
// stream of records (IPFIX export's message sequence, source=, model and
// label updates, inputs opened before privileges were dropped, standard
// input).
func (r *runner) parallelFiles(inputs []string) bool {
	s := r.s
	if s.live.Threads <= 1 || len(inputs) <= 1 || s.cfg.IPFIXExport || s.source || r.upd != nil || r.opened != nil {
		return false
	}
	for _, in := range inputs {
		if in == "-" {
			return false
		}
	}
	return true
}

// start opens the output and makes the context, with its configuration
// line written. ifname names the capture interface for output=auto.
func (r *runner) start(ifname string) (*joy.Context, int) {
	s := r.s
	out, err := newSink(s, r.stdout, ifname, r.log)
	if err != nil {
		fmt.Fprintf(r.stderr, "joy: %v\n", err)
		return nil, 1
	}
	r.out = out
	ctx := r.newContext()
	ctx.WriteConfig(true)
	if s.urlModel != "" || s.urlLabel != "" {
		r.upd = startUpdater(s, r.log)
		r.upd.apply(ctx)
	}
	return ctx, 0
}

// newContext makes a context writing to the output that start opened.
func (r *runner) newContext() *joy.Context {
	ctx := joy.NewContext(&r.s.cfg, r.out, r.log)
	ctx.SetOutputBuffer(256 << 10)
	ctx.ExportWhilePrinting(r.s.cfg.IPFIXExport)
	if r.upd != nil {
		r.upd.apply(ctx)
	}
	return ctx
}

// between runs between packets, at the context's safe points:
// classifier or label updates.
func (r *runner) between(ctx *joy.Context) {
	if r.upd != nil {
		r.upd.apply(ctx)
	}
}

// finish flushes and closes everything and reports what was lost: the
// contexts' and, for files read in parallel, their contexts' (r.parallel).
func (r *runner) finish(status int, ctxs ...*joy.Context) int {
	s := r.s
	cs := r.parallel
	for _, ctx := range ctxs {
		ctx.Flush()
		ctx.FlushExport()
		st, dropped := ctx.ExportStats()
		ctx.CloseExport()
		if s.cfg.IPFIXExport {
			fmt.Fprintf(r.stderr, "joy: IPFIX: %d records in %d messages sent, %d failed sends, %d flows not exported\n",
				st.Records, st.Messages, st.Errors, dropped)
		}
		cs = addStats(cs, ctx.Stats())
	}
	if r.upd != nil {
		r.upd.stop()
	}
	// Any record that did not reach the output makes the exit status 1,
	// after every file has been processed.
	lines := cs.FlowsPrinted + r.out.configLines
	if err := r.out.close(); err != nil {
		if errors.Is(err, joy.ErrOutputRemoved) {
			if cs.WriteErrors == 0 {
				// Removed after the last write: nothing was counted yet.
				r.log.Logf(logx.Err, "output: %v", err)
			}
			cs.RecordsLost = lines
		}
		fmt.Fprintf(r.stderr, "joy: closing output: %v\n", err)
		status = 1
	}
	if cs.WriteErrors > 0 || cs.RecordsLost > 0 {
		fmt.Fprintf(r.stderr, "joy: %d of %d output lines (records and the configuration line) were lost; %d writes failed\n",
			cs.RecordsLost, lines, cs.WriteErrors)
		status = 1
	}
	if left := r.out.finishUploads(); left > 0 {
		fmt.Fprintf(r.stderr, "joy: %d output files could not be uploaded and were kept\n", left)
		status = 1
	}
	return status
}

// prepare loads the files that options name (models, maps, subnets,
// user names), so that a bad file stops the run before any packet.
func (s *settings) prepare(logw io.Writer) error {
	c := &s.cfg
	if s.upload != "" {
		if _, err := exec.LookPath("scp"); err != nil {
			return fmt.Errorf("upload=%s: %w", s.upload, err)
		}
		if s.keyfile != "" {
			f, err := os.Open(s.keyfile)
			if err != nil {
				return fmt.Errorf("keyfile=%s: %w", s.keyfile, err)
			}
			f.Close()
		}
	}
	if s.cdist != "" {
		c.CDist = s.cdist
		m, err := loadCompactMap(s.resolve(s.cdist))
		if err != nil {
			return fmt.Errorf("cdist=%s: %w", s.cdist, err)
		}
		c.CompactMap = m
	}
	if s.model != "" && s.urlModel == "" {
		spltFile, bdFile, _ := strings.Cut(s.model, ":")
		m := classify.Default()
		if err := m.LoadFiles(s.resolve(spltFile), s.resolve(bdFile)); err != nil {
			return fmt.Errorf("model=%s: %w", s.model, err)
		}
		c.Model = m
	}
	if s.anon != "" {
		c.Anon = s.anon
		if err := addAnonSubnets(c, s.resolve(s.anon), logw); err != nil {
			return fmt.Errorf("anon=%s: %w", s.anon, err)
		}
	}
	if s.useranon != "" {
		c.UserAnon = s.useranon
		if err := loadUsernames(c, s.resolve(s.useranon), logw); err != nil {
			return fmt.Errorf("useranon=%s: %w", s.useranon, err)
		}
	}
	for _, l := range s.labels {
		name, path, _ := strings.Cut(l, ":")
		if err := addLabel(c, name, s.resolve(path), l); err != nil {
			return fmt.Errorf("label=%s: %w", l, err)
		}
	}
	return nil
}

// resolve finds a relative resource file under aux_resource_path when it
// is not where it was named.
func (s *settings) resolve(path string) string {
	if s.auxPath == "" || filepath.IsAbs(path) {
		return path
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	return filepath.Join(s.auxPath, path)
}

// fillRecordFields copies the command's own settings into the values the
// configuration record prints.
func (s *settings) fillRecordFields() {
	c := &s.cfg
	c.Interface = s.live.Interface
	c.Promisc = b2u(s.live.Promisc)
	c.Username = s.username
	c.Count = s.count
	c.Upload = s.upload
	c.Keyfile = s.keyfile
	c.Retain = b2u(s.retain)
	c.BPF = s.live.BPF
	if c.IPFIXExport && c.IPFIXPort == 0 {
		c.IPFIXPort = 4739 // the original's default remote port
	}
}

func b2u(b bool) uint {
	if b {
		return 1
	}
	return 0
}

// addAnonSubnets loads the key (./joy.bin, created when missing) and the
// subnets to anonymize.
func addAnonSubnets(cfg *joy.Config, path string, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	subnets, err := anon.ParseSubnets(f, true)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.AnonAddrs == nil {
		key, created, err := anon.LoadOrCreateKey(anon.DefaultKeyFile)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(stderr, "joy: created a new anonymization key in %s\n", anon.DefaultKeyFile)
		}
		cfg.AnonAddrs = anon.NewAddresses(key, nil)
	}
	cfg.AnonAddrs.Add(subnets)
	return nil
}

// loadUsernames loads the key (./joy.bin, created when missing) and the
// user names to pseudonymize in HTTP requests.
func loadUsernames(cfg *joy.Config, path string, stderr io.Writer) error {
	key, created, err := anon.LoadOrCreateKey(anon.DefaultKeyFile)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "joy: created a new anonymization key in %s\n", anon.DefaultKeyFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	u, err := anon.LoadUsernames(f, key)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cfg.UserNames = u
	return nil
}

// addLabel labels every subnet in the file at path with name; value is
// the option as given, which the configuration record prints.
func addLabel(cfg *joy.Config, name, path, value string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	subnets, err := anon.ParseSubnets(f, false)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.SubnetLabels == nil {
		cfg.SubnetLabels = label.New()
	}
	if err := cfg.SubnetLabels.Add(name, subnets); err != nil {
		return err
	}
	cfg.Labels = append(cfg.Labels, value)
	return nil
}

func loadCompactMap(path string) (*bytestats.CompactMap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return bytestats.LoadCompactMap(f)
}

// openOutput returns the record writer and a function that flushes and
// closes it: standard output when path is "", otherwise the file at path
// (created new; with exclusive, never over an existing file). Plain
// outputs are written unbuffered: the context gathers whole records
// (SetOutputBuffer), so a failed write loses exactly the records it
// counts. format (format=) names the output format; "" lets the file's
// suffix decide (Joy JSON on standard output).
func openOutput(stdout io.Writer, path string, exclusive bool, format string) (io.Writer, func() error, error) {
	if path == "" {
		w := stdout
		if f, ok := stdout.(*os.File); ok {
			if stdoutClosed(f) {
				return joy.FailedOutput(joy.ErrOutputClosed), func() error { return nil }, nil
			}
			w = joy.NewFile(f)
		}
		return joy.NewOutput(w, format, "")
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if exclusive {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, nil, err
	}
	out := joy.NewFile(f)
	// FILE.csv and FILE.parquet are written by their format's driver.
	if fw, finish, err := joy.NewOutput(out, format, path); err == nil && fw != io.Writer(out) {
		return fw, func() error {
			return firstErr(finish(), removed(out), f.Close())
		}, nil
	}
	if !strings.HasSuffix(path, ".gz") {
		return out, func() error {
			return firstErr(removed(out), f.Close())
		}, nil
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	zw := gzip.NewWriter(bw)
	return zw, func() error {
		return firstErr(zw.Close(), bw.Flush(), removed(out), f.Close())
	}, nil
}

// outputPath is where output=name goes: under dir unless name is absolute
// (as in the original).
func outputPath(dir, name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// removed is the last look at an output file: removed during the run
// after the last write, its records are lost all the same.
func removed(out *joy.File) error {
	if out.Removed() {
		return joy.ErrOutputRemoved
	}
	return nil
}

// stdoutClosed reports whether the process was started with standard
// output closed. Go's runtime then puts /dev/null, opened read-write, on
// descriptor 1, so the records would vanish without an error. A shell's
// "> /dev/null" opens it write-only; to discard records on purpose with
// the descriptor read-write, use output=/dev/null.
func stdoutClosed(f *os.File) bool {
	if f.Fd() != 1 {
		return false
	}
	var st, null syscall.Stat_t
	if syscall.Fstat(1, &st) != nil || syscall.Stat(os.DevNull, &null) != nil {
		return false
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != null.Rdev {
		return false
	}
	fl, _, errno := syscall.Syscall(syscall.SYS_FCNTL, 1, syscall.F_GETFL, 0)
	return errno == 0 && fl&syscall.O_ACCMODE == syscall.O_RDWR
}

// startProfile starts a CPU profile written to path; the returned function
// stops it and closes the file.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
